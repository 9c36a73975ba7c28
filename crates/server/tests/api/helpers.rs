//! `spawn_app()` and real clients: the server on port 0 with a temp data dir,
//! reqwest for HTTP, tokio-tungstenite for WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use confab_server::{Application, Settings};
use confab_shared::{ClientMsg, ServerMsg, SessionReply};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for an expected frame before failing.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub addr: SocketAddr,
    pub data_dir: Arc<TempDir>,
    pub settings: Settings,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server with the test defaults changed by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: data_dir.path().to_owned(),
        ..Settings::default()
    };
    tweak(&mut settings);
    start(settings, data_dir).await
}

/// Starts a server with exactly these settings on an existing data directory.
pub async fn start(settings: Settings, data_dir: Arc<TempDir>) -> TestApp {
    let app = Application::build(settings.clone())
        .await
        .expect("server builds");
    let addr = app.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run_until_stopped(async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        addr,
        data_dir,
        settings,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("server stops in time")
                .expect("server task ends cleanly");
        }
    }

    /// Stops this server and starts a new one on the same data directory.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".into();
        start(settings, self.data_dir.clone()).await
    }

    /// Claims `name`; panics unless it works.
    pub async fn login(&self, name: &str) -> Session {
        let res = http()
            .post(self.url("/api/session"))
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "login {name}");
        let reply: SessionReply = res.json().await.expect("session json");
        Session {
            token: reply.token,
            name: name.to_owned(),
        }
    }

    /// A WebSocket for `session`, after its `welcome`.
    pub async fn connect(&self, session: &Session) -> Ws {
        let mut ws = self.connect_raw(session).await;
        match ws.recv().await {
            ServerMsg::Welcome { .. } => ws,
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// A WebSocket for `session`, before reading anything.
    pub async fn connect_raw(&self, session: &Session) -> Ws {
        let request = ws_request(&self.ws_url(), Some(&session.token), None);
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("ws connects");
        Ws {
            stream,
            name: session.name.clone(),
        }
    }

    /// An upgrade attempt's HTTP status (for the refusals).
    pub async fn ws_status(&self, token: Option<&str>, origin: Option<&str>) -> u16 {
        let request = ws_request(&self.ws_url(), token, origin);
        match tokio_tungstenite::connect_async(request).await {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
            Err(e) => panic!("unexpected ws error {e}"),
        }
    }

    pub async fn get(&self, path: &str, session: &Session) -> reqwest::Response {
        http()
            .get(self.url(path))
            .bearer_auth(&session.token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post(&self, path: &str, session: &Session, body: Value) -> reqwest::Response {
        http()
            .post(self.url(path))
            .bearer_auth(&session.token)
            .json(&body)
            .send()
            .await
            .expect("POST")
    }
}

pub fn ws_request(url: &str, token: Option<&str>, origin: Option<&str>) -> Request {
    let mut request = url.into_client_request().expect("ws url");
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("header");
        request.headers_mut().insert("authorization", value);
    }
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("header"));
    }
    request
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(WAIT)
        .build()
        .expect("client")
}

#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub name: String,
}

pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub name: String,
}

impl Ws {
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_text(&msg.to_json()).await;
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(WsMessage::Text(text.to_owned()))
            .await
            .expect("ws send");
    }

    /// The next server frame (pings are answered by tungstenite itself).
    pub async fn recv(&mut self) -> ServerMsg {
        loop {
            let next = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .unwrap_or_else(|_| panic!("{}: no frame within {WAIT:?}", self.name));
            match next {
                Some(Ok(WsMessage::Text(text))) => {
                    return serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("bad server frame {text}: {e}"))
                }
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                other => panic!("{}: expected a text frame, got {other:?}", self.name),
            }
        }
    }

    /// Skips frames until one matches.
    pub async fn recv_until(&mut self, mut wanted: impl FnMut(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let msg = self.recv().await;
            if wanted(&msg) {
                return msg;
            }
        }
    }

    /// The next frame that is not presence or typing noise.
    pub async fn recv_significant(&mut self) -> ServerMsg {
        self.recv_until(|m| !matches!(m, ServerMsg::Presence { .. } | ServerMsg::Typing { .. }))
            .await
    }

    /// Waits for the server to close; returns the close code.
    pub async fn closed(&mut self) -> Option<CloseCode> {
        loop {
            match tokio::time::timeout(WAIT, self.stream.next()).await {
                Err(_) => panic!("{}: not closed within {WAIT:?}", self.name),
                Ok(Some(Ok(WsMessage::Close(frame)))) => return frame.map(|f| f.code),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_)) | None) => return None,
            }
        }
    }

    /// Asserts that nothing but presence/typing arrives for `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return,
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    let msg: ServerMsg = serde_json::from_str(&text).expect("frame");
                    assert!(
                        matches!(msg, ServerMsg::Presence { .. } | ServerMsg::Typing { .. }),
                        "{}: unexpected {msg:?}",
                        self.name
                    );
                }
                Ok(Some(Ok(_))) => continue,
                Ok(other) => panic!("{}: connection ended: {other:?}", self.name),
            }
        }
    }

    pub async fn join(&mut self, room: &str, since: Option<u64>) -> ServerMsg {
        self.send(&ClientMsg::Join {
            room: room.parse().expect("room"),
            since,
        })
        .await;
        self.recv_until(|m| matches!(m, ServerMsg::Joined { .. } | ServerMsg::Error { .. }))
            .await
    }

    /// Sends text to a room and waits for its ack; returns the seq.
    pub async fn say(&mut self, room: &str, text: &str, client_id: &str) -> u64 {
        self.send_json(serde_json::json!({
            "type": "send", "room": room, "text": text, "client_id": client_id
        }))
        .await;
        match self
            .recv_until(|m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
            .await
        {
            ServerMsg::Ack { message, .. } => message.seq,
            other => panic!("{}: expected ack, got {other:?}", self.name),
        }
    }
}

/// The messages of a frame that carries messages.
pub fn texts(msg: &ServerMsg) -> Vec<String> {
    match msg {
        ServerMsg::Joined { messages, .. } | ServerMsg::History { messages, .. } => {
            messages.iter().map(|m| m.text.clone()).collect()
        }
        ServerMsg::Message { message } => vec![message.text.clone()],
        other => panic!("no messages in {other:?}"),
    }
}

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

/// A real `GET /api/events` stream, parsed as EventSource would.
pub struct Sse {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl Sse {
    pub async fn open(app: &TestApp, session: &Session, last_event_id: Option<&str>) -> Sse {
        let mut req = reqwest::Client::new()
            .get(app.url("/api/events"))
            .bearer_auth(&session.token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = req.send().await.expect("GET /api/events");
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
                return event;
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
