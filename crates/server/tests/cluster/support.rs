//! A cluster of real `confab` processes sharing one fresh PostgreSQL
//! database and a private Redis, and clients that keep what they have not
//! looked at yet.

use std::path::Path;
use std::time::Duration;

use confab_shared::Message;
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::{sleep, Instant};

use confab_testkit::*;

pub use crate::client::*;

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
        Self::with(database_url, None, turn, "0").await
    }

    /// Three nodes on a fresh database of the shared PostgreSQL whose users
    /// may send `send_rate` messages a second (bursts of 20).
    pub async fn start_with_send_rate(send_rate: u32) -> Cluster {
        let turn = ONE_AT_A_TIME.lock().await;
        let database_url = fresh_database(&test_pg_url()).await;
        Self::with(database_url, None, turn, &send_rate.to_string()).await
    }

    /// Three nodes on a PostgreSQL of the test's own, which it may stop.
    pub async fn start_private_postgres() -> Cluster {
        let turn = ONE_AT_A_TIME.lock().await;
        let pg = PrivatePostgres::new();
        let database_url = fresh_database(&pg.url()).await;
        Self::with(database_url, Some(pg), turn, "0").await
    }

    async fn with(
        database_url: String,
        pg: Option<PrivatePostgres>,
        turn: MutexGuard<'static, ()>,
        send_rate: &str,
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
                "--send-rate",
                send_rate,
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
        Client::new(Ws {
            stream,
            name: label,
        })
        .await
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
