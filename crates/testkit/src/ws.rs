//! WebSocket clients: [`Ws`] for tests (panics with the client's name),
//! [`ws_connect`], [`next_frame`], [`join_room`] for the benchmark and
//! cluster tests (errors and deadlines, never a panic on what a server sends).

use std::time::Duration;

use confab_shared::{ClientMsg, ErrorCode, Message, RoomId, ServerMsg};
use futures_util::{SinkExt, Stream, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{Error, LinesSocket, Result, WAIT};

/// The `error` that refused a frame, as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: ErrorCode,
    pub client_id: Option<String>,
    pub retry_after: Option<u64>,
}

/// A client WebSocket over plain TCP.
pub type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;
type WsResult = std::result::Result<WsMessage, tokio_tungstenite::tungstenite::Error>;

/// An upgrade request for `url` with an optional bearer token and origin.
pub fn try_ws_request(url: &str, token: Option<&str>, origin: Option<&str>) -> Result<Request> {
    let mut request = url
        .into_client_request()
        .map_err(|e| Error::context(format!("ws url {url}"), e))?;
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|e| Error::context("authorization header", e))?;
        request.headers_mut().insert("authorization", value);
    }
    if let Some(origin) = origin {
        let value = origin
            .parse()
            .map_err(|e| Error::context("origin header", e))?;
        request.headers_mut().insert("origin", value);
    }
    Ok(request)
}

/// [`try_ws_request`] that panics.
pub fn ws_request(url: &str, token: Option<&str>, origin: Option<&str>) -> Request {
    try_ws_request(url, token, origin).unwrap_or_else(|e| panic!("{e}"))
}

/// What [`next_frame`] read.
// Not boxed: an `Incoming` lives from one read to the match right after
// it, and a box would cost the benchmark's clients an allocation a frame
// (and every caller its patterns).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Incoming {
    Frame(ServerMsg),
    /// The connection is over, or sent something unreadable.
    Ended(String),
    TimedOut,
}

/// The next server frame (pings are answered by tungstenite itself).
pub async fn next_frame<S>(rx: &mut S, deadline: Instant) -> Incoming
where
    S: Stream<Item = WsResult> + Unpin,
{
    loop {
        match timeout_at(deadline, rx.next()).await {
            Err(_) => return Incoming::TimedOut,
            Ok(None) => return Incoming::Ended("connection ended".into()),
            Ok(Some(Err(e))) => return Incoming::Ended(format!("socket error: {e}")),
            Ok(Some(Ok(WsMessage::Text(text)))) => {
                return match serde_json::from_str::<ServerMsg>(&text) {
                    Ok(msg) => Incoming::Frame(msg),
                    Err(e) => Incoming::Ended(format!("unreadable frame ({e}): {text}")),
                }
            }
            Ok(Some(Ok(WsMessage::Close(frame)))) => {
                let code = frame.map(|f| u16::from(f.code));
                return Incoming::Ended(format!("closed by the server, code {code:?}"));
            }
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// A socket to `ws_url` (`ws://host:port/ws`) for `token`, past its
/// `welcome`, without Nagle's delay.
pub async fn ws_connect(ws_url: &str, token: &str, deadline: Instant) -> Result<WsStream> {
    let request = try_ws_request(ws_url, Some(token), None)?;
    let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (mut ws, _) = timeout_at(deadline, connecting)
        .await
        .map_err(|_| Error::new("WebSocket handshake timed out"))?
        .map_err(|e| Error::context("WebSocket handshake", e))?;
    match next_frame(&mut ws, deadline).await {
        Incoming::Frame(ServerMsg::Welcome { .. }) => Ok(ws),
        Incoming::Frame(other) => Err(Error(format!("expected welcome, got {}", other.kind()))),
        Incoming::Ended(why) => Err(Error(format!("before welcome: {why}"))),
        Incoming::TimedOut => Err(Error::new("no welcome in time")),
    }
}

/// Connects one socket per token, `concurrency` handshakes at a time, and
/// hands each to `then` right after its welcome (so it starts reading at once).
pub async fn ws_connect_all<T, F>(
    ws_url: &str,
    tokens: &[String],
    concurrency: usize,
    deadline: Instant,
    then: F,
) -> Result<Vec<T>>
where
    F: Fn(usize, WsStream) -> T,
{
    let then = &then;
    let results: Vec<Result<T>> = futures_util::stream::iter(tokens.iter().enumerate())
        .map(|(i, token)| async move {
            let ws = ws_connect(ws_url, token, deadline)
                .await
                .map_err(|e| Error::context(format!("socket {i}"), e))?;
            Ok(then(i, ws))
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Joins `room`; its latest seq.
pub async fn join_room(ws: &mut LinesSocket, room: &RoomId, deadline: Instant) -> Result<u64> {
    let join = ClientMsg::Join {
        room: room.clone(),
        since: None,
        password: None,
    };
    ws.get_mut()
        .send(WsMessage::Text(join.to_json()))
        .await
        .map_err(|e| Error::context("join", e))?;
    loop {
        match ws.next_frame(deadline).await {
            Incoming::Frame(ServerMsg::Joined { latest_seq, .. }) => return Ok(latest_seq),
            Incoming::Frame(ServerMsg::Error { code, message, .. }) => {
                return Err(Error(format!("join {room}: {code:?} {message}")))
            }
            Incoming::Frame(_) => {}
            Incoming::Ended(why) => return Err(Error(format!("join {room}: {why}"))),
            Incoming::TimedOut => return Err(Error(format!("join {room}: timed out"))),
        }
    }
}

/// A test's WebSocket: every method panics, naming the client, when the
/// server does not do what it should within [`WAIT`].
pub struct Ws {
    pub stream: WsStream,
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
        match next_frame(&mut self.stream, Instant::now() + WAIT).await {
            Incoming::Frame(msg) => msg,
            Incoming::TimedOut => panic!("{}: no frame within {WAIT:?}", self.name),
            Incoming::Ended(why) => panic!("{}: expected a text frame: {why}", self.name),
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
        self.recv_until(|m| !is_noise(m)).await
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
        let deadline = Instant::now() + quiet;
        loop {
            match timeout_at(deadline, self.stream.next()).await {
                Err(_) => return,
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    let msg: ServerMsg = serde_json::from_str(&text).expect("frame");
                    assert!(is_noise(&msg), "{}: unexpected {msg:?}", self.name);
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
            password: None,
        })
        .await;
        self.recv_until(|m| matches!(m, ServerMsg::Joined { .. } | ServerMsg::Error { .. }))
            .await
    }

    /// Sends `frame` (a post, an edit, a deletion) and waits for what
    /// answers it: the `ack`'s entry, or the `error`.
    pub async fn ask(&mut self, frame: Value) -> std::result::Result<Message, Refused> {
        self.send_json(frame).await;
        match self
            .recv_until(|m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
            .await
        {
            ServerMsg::Ack { message, .. } => Ok(message),
            ServerMsg::Error {
                code,
                client_id,
                retry_after,
                ..
            } => Err(Refused {
                code,
                client_id,
                retry_after,
            }),
            other => panic!("{}: expected an ack or an error, got {other:?}", self.name),
        }
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

/// Presence and typing: frames that come and go with other clients.
fn is_noise(msg: &ServerMsg) -> bool {
    matches!(msg, ServerMsg::Presence { .. } | ServerMsg::Typing { .. })
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

/// A short client text frame written by hand (masked, as RFC 6455 requires
/// of a client), for tests that put bytes on the wire themselves.
pub fn masked_text_frame(text: &[u8]) -> Vec<u8> {
    assert!(text.len() < 126, "a short frame");
    let mask = [0x1f, 0x2e, 0x3d, 0x4c];
    let mut frame = vec![0x81, 0x80 | text.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(text.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}
