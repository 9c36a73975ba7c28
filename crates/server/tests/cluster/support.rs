//! A cluster of real `confab` processes sharing one fresh PostgreSQL
//! database and a private Redis, and clients that keep what they have not
//! looked at yet.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use confab_shared::{Message, ServerMsg};
use serde_json::{json, Value};
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::{sleep, Instant};

use confab_testkit::*;

/// One cluster test at a time: each runs three servers, PostgreSQL and
/// Redis on a small machine, and their time limits assume they do not
/// compete with each other.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Three nodes, one database, one Redis of the test's own.
pub struct Cluster {
    pub nodes: Vec<ServerProcess>,
    pub redis: PrivateRedis,
    /// Set when the test runs its own PostgreSQL (so it may stop it).
    pub pg: Option<PrivatePostgres>,
    _turn: MutexGuard<'static, ()>,
}

impl Cluster {
    /// Three nodes on a fresh database of the shared PostgreSQL
    /// (`CONFAB_TEST_PG_URL`, default 127.0.0.1:5432).
    pub async fn start() -> Cluster {
        let turn = ONE_AT_A_TIME.lock().await;
        let database_url = fresh_database(&test_pg_url()).await;
        Self::with(database_url, None, turn).await
    }

    /// Three nodes on a PostgreSQL of the test's own, which it may stop.
    pub async fn start_private_postgres() -> Cluster {
        let turn = ONE_AT_A_TIME.lock().await;
        let pg = PrivatePostgres::new();
        let database_url = fresh_database(&pg.url()).await;
        Self::with(database_url, Some(pg), turn).await
    }

    async fn with(
        database_url: String,
        pg: Option<PrivatePostgres>,
        turn: MutexGuard<'static, ()>,
    ) -> Cluster {
        let redis = PrivateRedis::new();
        let bin = Path::new(env!("CARGO_BIN_EXE_confab"));
        let mut nodes = Vec::new();
        for i in 0..3 {
            let args = [
                "--database-url",
                &database_url,
                "--redis-url",
                &redis.url(),
                "--rate-limit",
                "0",
            ];
            let node = ServerProcess::start(bin, args, "info")
                .await
                .unwrap_or_else(|e| panic!("node {i} does not start: {e}"));
            nodes.push(node);
        }
        Cluster {
            nodes,
            redis,
            pg,
            _turn: turn,
        }
    }

    pub fn url(&self, node: usize) -> String {
        self.nodes[node].url("")
    }

    /// Claims `name` through `node`.
    pub async fn login(&self, node: usize, name: &str) -> Session {
        login(&http(), &self.url(node), name)
            .await
            .unwrap_or_else(|e| panic!("node {node}: {e}"))
    }

    /// A socket of `who` on `node`, past its `welcome` (kept in the backlog).
    pub async fn connect(&self, node: usize, who: &Session) -> Client {
        let label = format!("{}@node{node}", who.name);
        let deadline = Instant::now() + WAIT;
        let request = ws_request(&self.nodes[node].ws_url(), Some(&who.token), None);
        let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
        let (stream, _) = match tokio::time::timeout_at(deadline, connecting).await {
            Err(_) => panic!("{label}: no handshake in time"),
            Ok(Err(e)) => panic!("{label}: {e}"),
            Ok(Ok(connected)) => connected,
        };
        let mut client = Client {
            ws: Ws {
                stream,
                name: label,
            },
            backlog: VecDeque::new(),
            welcome: None,
        };
        let welcome = client
            .wait_for("welcome", WAIT, |m| matches!(m, ServerMsg::Welcome { .. }))
            .await;
        client.welcome = Some(welcome);
        client
    }

    /// `GET path` on `node` with `who`'s token: status and JSON body.
    pub async fn get(&self, node: usize, path: &str, who: Option<&Session>) -> (u16, Value) {
        let mut req = http().get(self.nodes[node].url(path));
        if let Some(who) = who {
            req = req.bearer_auth(&who.token);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} on node {node}: {e}"));
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Every stored message of `room`, oldest first, read through `node`.
    pub async fn history(&self, node: usize, who: &Session, room: &str) -> Vec<Message> {
        let mut all: Vec<Message> = Vec::new();
        loop {
            let after = all.last().map_or(0, |m| m.seq);
            let path = format!("/api/rooms/{room}/messages?after={after}&limit=200");
            let (status, body) = self.get(node, &path, Some(who)).await;
            assert_eq!(status, 200, "history of {room} on node {node}: {body}");
            let page: Vec<Message> =
                serde_json::from_value(body["messages"].clone()).expect("messages");
            let more = body["more"].as_bool().unwrap_or(false);
            let empty = page.is_empty();
            all.extend(page);
            if !more || empty {
                return all;
            }
        }
    }

    /// The status and body of `/healthz` on `node`.
    pub async fn health(&self, node: usize) -> (u16, Value) {
        self.get(node, "/healthz", None).await
    }

    /// Polls `/healthz` on `node` until `ok` holds; panics after `limit`.
    pub async fn wait_health(
        &self,
        node: usize,
        limit: Duration,
        what: &str,
        ok: impl Fn(u16, &Value) -> bool,
    ) -> (u16, Value) {
        let deadline = Instant::now() + limit;
        loop {
            let (status, body) = self.health(node).await;
            if ok(status, &body) {
                return (status, body);
            }
            assert!(
                Instant::now() < deadline,
                "node {node}: /healthz not {what} within {limit:?}; last {status} {body}"
            );
            sleep(Duration::from_millis(100)).await;
        }
    }

    /// A counter of `node`'s `/metrics`.
    pub async fn metric(&self, node: usize, name: &str) -> f64 {
        let text = self.nodes[node]
            .metrics()
            .await
            .unwrap_or_else(|e| panic!("node {node}: {e}"));
        metric(&text, name).unwrap_or_else(|e| panic!("node {node}: {e}"))
    }

    /// A Redis command over plain TCP; its first reply line.
    pub fn redis_command(&self, command: &str) -> String {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.redis.port()))
            .expect("connect to the private Redis");
        conn.set_read_timeout(Some(Duration::from_secs(2))).ok();
        conn.write_all(format!("{command}\r\n").as_bytes())
            .expect("write to Redis");
        let mut buf = [0u8; 256];
        let n = conn.read(&mut buf).expect("Redis answers");
        String::from_utf8_lossy(&buf[..n]).trim().to_owned()
    }
}

impl Drop for Cluster {
    /// A failing test shows what each node logged last.
    fn drop(&mut self) {
        if std::thread::panicking() {
            for (i, node) in self.nodes.iter().enumerate() {
                let log = strip_colors(&node.log_tail());
                eprintln!("---- node {i} ({}) log tail:\n{log}", node.addr);
                // Warnings and errors from the whole log, which the tail
                // may have scrolled past.
                let path = node.data_dir().with_file_name("server.log");
                let text = strip_colors(&std::fs::read_to_string(path).unwrap_or_default());
                let bad: Vec<&str> = text
                    .lines()
                    .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
                    .collect();
                let bad = &bad[bad.len().saturating_sub(30)..];
                eprintln!("---- node {i} warnings and errors:\n{}", bad.join("\n"));
            }
        }
    }
}

/// `text` without ANSI color sequences (`ESC [ ... m`).
fn strip_colors(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// A test's socket: frames it has read but not yet looked at wait in a
/// backlog, so looking for one frame never loses another.
pub struct Client {
    pub ws: Ws,
    backlog: VecDeque<ServerMsg>,
    /// The connection's first frame.
    pub welcome: Option<ServerMsg>,
}

impl Client {
    pub fn name(&self) -> &str {
        &self.ws.name
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws.send_json(frame).await;
    }

    /// Sends a post to `room` without waiting for its ack.
    pub async fn post(&mut self, room: &str, text: &str, client_id: &str) {
        self.send(json!({"type": "send", "room": room, "text": text, "client_id": client_id}))
            .await;
    }

    /// The next frame from the socket, or `None` at `deadline`.
    async fn read(&mut self, deadline: Instant) -> Option<ServerMsg> {
        match next_frame(&mut self.ws.stream, deadline).await {
            Incoming::Frame(msg) => Some(msg),
            Incoming::TimedOut => None,
            Incoming::Ended(why) => panic!("{}: {why}", self.ws.name),
        }
    }

    /// The first frame (backlog first) for which `wanted` holds; the others
    /// stay in the backlog. `None` after `limit`.
    pub async fn try_wait_for(
        &mut self,
        limit: Duration,
        mut wanted: impl FnMut(&ServerMsg) -> bool,
    ) -> Option<ServerMsg> {
        if let Some(i) = self.backlog.iter().position(&mut wanted) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + limit;
        loop {
            let msg = self.read(deadline).await?;
            if wanted(&msg) {
                return Some(msg);
            }
            self.backlog.push_back(msg);
        }
    }

    /// Whether a frame for which `wanted` holds arrives within `limit`; it
    /// stays in the backlog, for a later look.
    pub async fn saw(
        &mut self,
        limit: Duration,
        mut wanted: impl FnMut(&ServerMsg) -> bool,
    ) -> bool {
        if self.backlog.iter().any(&mut wanted) {
            return true;
        }
        let deadline = Instant::now() + limit;
        while let Some(msg) = self.read(deadline).await {
            let found = wanted(&msg);
            self.backlog.push_back(msg);
            if found {
                return true;
            }
        }
        false
    }

    /// [`Client::try_wait_for`] that panics, naming `what`, after `limit`.
    pub async fn wait_for(
        &mut self,
        what: &str,
        limit: Duration,
        wanted: impl FnMut(&ServerMsg) -> bool,
    ) -> ServerMsg {
        match self.try_wait_for(limit, wanted).await {
            Some(msg) => msg,
            None => panic!("{}: no {what} within {limit:?}", self.ws.name),
        }
    }

    /// The ack or error for `client_id`.
    pub async fn answer(&mut self, client_id: &str, limit: Duration) -> ServerMsg {
        self.wait_for(&format!("answer to {client_id}"), limit, |m| match m {
            ServerMsg::Ack {
                client_id: Some(c), ..
            } => c.as_str() == client_id,
            ServerMsg::Error {
                client_id: Some(c), ..
            } => c == client_id,
            _ => false,
        })
        .await
    }

    /// Posts and waits for the ack; the stored message.
    pub async fn say(&mut self, room: &str, text: &str, client_id: &str) -> Message {
        self.post(room, text, client_id).await;
        match self.answer(client_id, WAIT).await {
            ServerMsg::Ack { message, .. } => message,
            other => panic!("{}: expected an ack, got {other:?}", self.ws.name),
        }
    }

    /// Joins `room`; the `joined` frame.
    pub async fn join(&mut self, room: &str, since: Option<u64>) -> ServerMsg {
        self.send(json!({"type": "join", "room": room, "since": since}))
            .await;
        let want = room.to_owned();
        let reply = self
            .wait_for(&format!("joined {room}"), WAIT, |m| match m {
                ServerMsg::Joined { room, .. } => room.to_string() == want,
                ServerMsg::Error { .. } => true,
                _ => false,
            })
            .await;
        assert!(
            matches!(reply, ServerMsg::Joined { .. }),
            "{}: join {room}: {reply:?}",
            self.ws.name
        );
        reply
    }

    /// The next `count` live messages of `room`, all within `limit`.
    pub async fn messages(&mut self, room: &str, count: usize, limit: Duration) -> Vec<Message> {
        let deadline = Instant::now() + limit;
        let mut got = Vec::new();
        while got.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.try_wait_for(left, |m| is_message_in(m, room)).await {
                Some(ServerMsg::Message { message }) => got.push(message),
                _ => panic!(
                    "{}: {} of {count} messages of {room} within {limit:?}: {:?}",
                    self.ws.name,
                    got.len(),
                    seqs(&got)
                ),
            }
        }
        got
    }

    /// Asserts that no further message of `room` arrives for `quiet`.
    pub async fn no_more_messages(&mut self, room: &str, quiet: Duration) {
        if let Some(extra) = self.try_wait_for(quiet, |m| is_message_in(m, room)).await {
            panic!("{}: one message too many: {extra:?}", self.ws.name);
        }
    }

    /// The presence frame of `user` with this `event` (`"online"`, ...).
    pub async fn presence(&mut self, user: &str, event: &str, limit: Duration) -> ServerMsg {
        let (user, event) = (user.to_owned(), event.to_owned());
        self.wait_for(&format!("presence {event} of {user}"), limit, |m| {
            matches!(m, ServerMsg::Presence { user: u, event: e, .. }
                if u.as_str() == user && json!(e) == json!(event))
        })
        .await
    }
}

/// `(latest_seq, unread)` of `room` in a `welcome` frame.
pub fn welcome_room(welcome: &ServerMsg, room: &str) -> Option<(u64, u64)> {
    match welcome {
        ServerMsg::Welcome { rooms, .. } => rooms
            .iter()
            .find(|r| r.name.to_string() == room)
            .map(|r| (r.latest_seq, r.unread)),
        other => panic!("not a welcome frame: {other:?}"),
    }
}

pub fn is_message_in(m: &ServerMsg, room: &str) -> bool {
    matches!(m, ServerMsg::Message { message } if message.room.to_string() == room)
}

pub fn seqs(messages: &[Message]) -> Vec<u64> {
    messages.iter().map(|m| m.seq).collect()
}

pub fn texts_of(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.text.clone()).collect()
}

/// Asserts seqs strictly increase (in order, no duplicate).
pub fn assert_increasing(who: &str, messages: &[Message]) {
    let s = seqs(messages);
    assert!(
        s.windows(2).all(|w| w[0] < w[1]),
        "{who}: messages out of order or repeated: {s:?}"
    );
}

/// The members of a `joined` frame as (name, online).
pub fn members(joined: &ServerMsg) -> Vec<(String, bool)> {
    match joined {
        ServerMsg::Joined { members, .. } => members
            .iter()
            .map(|m| (m.name.to_string(), m.online))
            .collect(),
        other => panic!("not a joined frame: {other:?}"),
    }
}

/// The messages of a `joined` frame.
pub fn joined_messages(joined: &ServerMsg) -> Vec<Message> {
    match joined {
        ServerMsg::Joined { messages, .. } => messages.clone(),
        other => panic!("not a joined frame: {other:?}"),
    }
}
