//! A test's WebSocket client that keeps what it has not looked at yet, and
//! helpers to read the frames it gets.

use std::collections::VecDeque;
use std::time::Duration;

use confab_shared::{Message, ServerMsg};
use serde_json::{json, Value};
use tokio::time::Instant;

use confab_testkit::*;

/// A test's socket: frames it has read but not yet looked at wait in a
/// backlog, so looking for one frame never loses another.
pub struct Client {
    pub ws: Ws,
    backlog: VecDeque<ServerMsg>,
    /// The connection's first frame.
    pub welcome: Option<ServerMsg>,
}

impl Client {
    /// Wraps a socket that has just connected; reads its `welcome`.
    pub async fn new(ws: Ws) -> Client {
        let mut client = Client {
            ws,
            backlog: VecDeque::new(),
            welcome: None,
        };
        let welcome = client
            .wait_for("welcome", WAIT, |m| matches!(m, ServerMsg::Welcome { .. }))
            .await;
        client.welcome = Some(welcome);
        client
    }

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
            matches!(m, ServerMsg::Presence { event: e, .. }
                if json!(e) == json!(event)
                    && m.presence_users().iter().any(|u| u.as_str() == user))
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
