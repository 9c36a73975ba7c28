//! A real `GET /api/events` stream, parsed as EventSource would.

use std::pin::Pin;

use confab_shared::ServerMsg;
use futures_util::{Stream, StreamExt};

use crate::{Session, TestApp, WAIT};

/// One Server-Sent Event.
#[derive(Debug, Clone, Default)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
    /// A `: comment` block (the heartbeat).
    pub comment: bool,
}

impl SseEvent {
    pub fn frame(&self) -> ServerMsg {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("bad SSE data {}: {e}", self.data))
    }
}

/// An open event stream; every method panics when the server does not send
/// what it should within [`WAIT`].
pub struct Sse {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl Sse {
    pub async fn open(app: &TestApp, session: &Session, last_event_id: Option<&str>) -> Sse {
        Self::open_url(&app.url(""), session, last_event_id).await
    }

    /// The stream of the server under `base_url` (`http://host:port`).
    pub async fn open_url(base_url: &str, session: &Session, last_event_id: Option<&str>) -> Sse {
        let mut req = reqwest::Client::new()
            .get(format!("{base_url}/api/events"))
            .bearer_auth(&session.token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = tokio::time::timeout(WAIT, req.send())
            .await
            .expect("GET /api/events answers in time")
            .expect("GET /api/events");
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        Sse {
            body: Box::pin(res.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next event block, comments included.
    pub async fn next_block(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                return parse_block(&block);
            }
            let chunk = tokio::time::timeout(WAIT, self.body.next())
                .await
                .expect("an SSE event in time")
                .expect("the stream is open")
                .expect("stream chunk");
            self.buf
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }

    /// The next real event (no comments, no bare `retry:`).
    pub async fn next_event(&mut self) -> SseEvent {
        loop {
            let e = self.next_block().await;
            if !e.comment && !e.event.is_empty() {
                return e;
            }
        }
    }

    /// The next `message` event: its id and message.
    pub async fn next_message(&mut self) -> (i64, confab_shared::Message) {
        loop {
            let e = self.next_event().await;
            if e.event == "message" {
                let id =
                    e.id.as_deref()
                        .expect("message events have ids")
                        .parse()
                        .expect("numeric id");
                match e.frame() {
                    ServerMsg::Message { message } => return (id, message),
                    other => panic!("event: message carried {other:?}"),
                }
            }
        }
    }
}

fn parse_block(block: &str) -> SseEvent {
    let mut event = SseEvent::default();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id: ") {
            event.id = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("event: ") {
            event.event = v.to_owned();
        } else if let Some(v) = line.strip_prefix("data: ") {
            event.data = v.to_owned();
        } else if line.starts_with(':') {
            event.comment = true;
        }
    }
    event
}
