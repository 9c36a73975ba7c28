//! A socket that reads server frames one at a time, whether a WebSocket
//! text frame carries one of them or, under `GET /ws?frames=lines`
//! ([`confab_shared::Framing::Lines`]), several: what the browser client and the benchmark
//! ask for. [`next_frame`](crate::next_frame) reads a socket without it.

use std::collections::VecDeque;

use confab_shared::{frame_lines, ServerMsg};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{Stream, StreamExt};
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{try_ws_request, Error, Incoming, Result, WsStream};

type WsResult = std::result::Result<WsMessage, tokio_tungstenite::tungstenite::Error>;

/// A socket's incoming side with the server frames read but not yet taken.
pub struct Frames<S> {
    stream: S,
    queued: VecDeque<ServerMsg>,
    /// Room messages passed over by [`Frames::next_answer`], not yet counted.
    skipped: usize,
}

/// How every room message's line begins (serde writes the tag first).
const MESSAGE_PREFIX: &str = r#"{"type":"message","#;

/// A whole socket under `?frames=lines`, past its `welcome`.
pub type LinesSocket = Frames<WsStream>;
/// The sending half of a split [`LinesSocket`].
pub type LinesSink = SplitSink<WsStream, WsMessage>;
/// The receiving half of a split [`LinesSocket`].
pub type LinesSource = Frames<SplitStream<WsStream>>;

impl<S> Frames<S> {
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            queued: VecDeque::new(),
            skipped: 0,
        }
    }

    /// The socket itself, to send on it.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }
}

impl<S> Frames<S>
where
    S: Stream<Item = WsResult> + Unpin,
{
    /// The next server frame (pings are answered by tungstenite itself).
    /// Cancel-safe: a frame is taken only when this returns it.
    pub async fn next_frame(&mut self, deadline: Instant) -> Incoming {
        self.read(deadline, false).await
    }

    /// The next frame that is not a room message, and how many room
    /// messages were passed over since the last call, counted without
    /// decoding them (a WebSocket frame is read whole, so some of them may
    /// have come right after the frame returned: the sum over calls is
    /// exact). For a load generator that only counts deliveries: decoding
    /// each one costs it more than the server spends delivering it.
    pub async fn next_answer(&mut self, deadline: Instant) -> (Incoming, usize) {
        let incoming = self.read(deadline, true).await;
        (incoming, std::mem::take(&mut self.skipped))
    }

    async fn read(&mut self, deadline: Instant, skip_messages: bool) -> Incoming {
        loop {
            if let Some(msg) = self.queued.pop_front() {
                return Incoming::Frame(msg);
            }
            match timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Incoming::TimedOut,
                Ok(None) => return Incoming::Ended("connection ended".into()),
                Ok(Some(Err(e))) => return Incoming::Ended(format!("socket error: {e}")),
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    for line in frame_lines(&text) {
                        if skip_messages && line.starts_with(MESSAGE_PREFIX) {
                            self.skipped += 1;
                            continue;
                        }
                        match serde_json::from_str::<ServerMsg>(line) {
                            Ok(msg) => self.queued.push_back(msg),
                            Err(e) => {
                                return Incoming::Ended(format!("unreadable line ({e}): {line}"))
                            }
                        }
                    }
                }
                Ok(Some(Ok(WsMessage::Close(frame)))) => {
                    let code = frame.map(|f| u16::from(f.code));
                    return Incoming::Ended(format!("closed by the server, code {code:?}"));
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}

impl LinesSocket {
    /// Its sending and receiving halves, the frames already read kept.
    pub fn split(self) -> (LinesSink, LinesSource) {
        let (sink, stream) = self.stream.split();
        (
            sink,
            Frames {
                stream,
                queued: self.queued,
                skipped: self.skipped,
            },
        )
    }
}

/// A socket for `token` to `url`, the server's `ws_url_for(Framing::Lines)`,
/// past its `welcome`, without Nagle's delay. (The benchmark's Node relay
/// ignores the query: lines are read either way.)
pub async fn ws_connect_lines(url: &str, token: &str, deadline: Instant) -> Result<LinesSocket> {
    let request = try_ws_request(url, Some(token), None)?;
    let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (ws, _) = timeout_at(deadline, connecting)
        .await
        .map_err(|_| Error::new("WebSocket handshake timed out"))?
        .map_err(|e| Error::context("WebSocket handshake", e))?;
    let mut socket = Frames::new(ws);
    match socket.next_frame(deadline).await {
        Incoming::Frame(ServerMsg::Welcome { .. }) => Ok(socket),
        Incoming::Frame(other) => Err(Error(format!("expected welcome, got {}", other.kind()))),
        Incoming::Ended(why) => Err(Error(format!("before welcome: {why}"))),
        Incoming::TimedOut => Err(Error::new("no welcome in time")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_shared::RoomId;
    use std::time::Duration;

    fn text(lines: &[&str]) -> WsMessage {
        WsMessage::Text(lines.join("\n"))
    }

    /// A socket's incoming side that yields `frames`, then ends.
    fn socket(frames: Vec<WsMessage>) -> Frames<impl Stream<Item = WsResult> + Unpin> {
        Frames::new(futures_util::stream::iter(frames.into_iter().map(Ok)))
    }

    #[tokio::test]
    async fn next_answer_counts_room_messages_without_decoding_them() {
        let left = ServerMsg::Left {
            room: RoomId::lobby(),
        }
        .to_json();
        // Skipped lines need not even be valid JSON: they are only counted.
        let message = r#"{"type":"message","not":"decoded"#;
        let frames = vec![
            text(&[message, message, &left]),
            text(&[message]),
            text(&[&left]),
        ];
        let mut socket = socket(frames);
        let deadline = Instant::now() + Duration::from_secs(5);

        let (first, passed) = socket.next_answer(deadline).await;
        assert!(matches!(first, Incoming::Frame(ServerMsg::Left { .. })));
        assert_eq!(passed, 2);
        let (second, passed) = socket.next_answer(deadline).await;
        assert!(matches!(second, Incoming::Frame(ServerMsg::Left { .. })));
        assert_eq!(passed, 1);
        let (end, passed) = socket.next_answer(deadline).await;
        assert!(matches!(end, Incoming::Ended(_)));
        assert_eq!(passed, 0);
    }

    #[tokio::test]
    async fn next_frame_still_decodes_every_line() {
        let message = r#"{"type":"message","not":"decoded"#;
        let mut socket = socket(vec![text(&[message])]);
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(matches!(
            socket.next_frame(deadline).await,
            Incoming::Ended(why) if why.starts_with("unreadable line")
        ));
    }
}
