//! The WebSocket protocol on a connection's own TCP stream, once actix-http
//! has handed the connection over ([`crate::upgrade`]).
//!
//! Why not actix-ws: on top of the HTTP dispatcher that stays under it for
//! the socket's whole life (an 8 KiB read and an 8 KiB write buffer, not
//! configurable) and a queue between the socket's tasks and that
//! dispatcher, an idle WebSocket cost 13.6 KiB before Confab kept anything
//! of its own. Here an idle socket holds its TCP stream and nothing else:
//! the read buffer exists only while bytes wait to be decoded, a write goes
//! from the caller's bytes to the kernel in one `writev` (header and
//! payload, no copy), and only the part the kernel did not take is kept.
//!
//! [`Session`] writes (cloneable: the writer task and the reader's control
//! frames share it, one write at a time); [`Frames`] reads.
//!
//! Readiness is awaited with `poll_read_ready` / `poll_write_ready`, not
//! `readable()` / `writable()`: the poll functions keep one waker per
//! direction and replace it, while `readable()` waits in a list of its own
//! and leaves the waker actix's dispatcher stored there in place, and that
//! waker kept the finished connection task (6 KiB with its HTTP state)
//! alive for the socket's whole life (found with `heaptrack`).

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use actix_codec::Decoder as _;
use actix_http::ws::{CloseCode, CloseReason, Codec, Frame, Item, ProtocolError};
use actix_web::rt::net::TcpStream;
use actix_web::web::{Buf as _, Bytes, BytesMut};
use bytestring::ByteString;

/// How much one read asks the kernel for.
const READ_SIZE: usize = 4096;
/// RFC 6455 5.5: a control frame's payload is at most 125 bytes, a close
/// frame's reason 123 after its code.
const MAX_CONTROL: usize = 125;

/// The connection is gone (or closing): nothing more can be sent.
#[derive(Debug)]
pub(crate) struct Closed;

struct Shared {
    stream: TcpStream,
    /// What the kernel has not taken yet of a frame whose write was
    /// interrupted (the socket was full, or the write's future dropped):
    /// the next write sends it first, so frames never interleave. Empty
    /// (no allocation) on an idle socket.
    unwritten: tokio::sync::Mutex<BytesMut>,
    /// A close frame went out, or a write failed.
    closed: AtomicBool,
}

/// The sending side of a WebSocket.
#[derive(Clone)]
pub(crate) struct Session(Arc<Shared>);

/// The receiving side of a WebSocket.
pub(crate) struct Frames {
    wire: Arc<Shared>,
    /// Bytes read and not yet decoded; released whenever it empties.
    buf: BytesMut,
    codec: Codec,
    /// A fragmented message being put together, and whether it is text.
    /// Boxed: almost no socket ever sees one.
    partial: Option<Box<(bool, BytesMut)>>,
    max_message: usize,
    ended: bool,
}

/// One message from the client (fragments put together).
pub(crate) enum Incoming {
    Text(ByteString),
    Binary,
    Ping(Bytes),
    Pong(Bytes),
    Close(Option<CloseReason>),
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    #[error("frame over the size limit")]
    FrameTooBig,
    #[error("fragmented message over the size limit")]
    MessageTooBig,
    #[error("text that is not UTF-8")]
    NotUtf8,
    #[error(transparent)]
    Protocol(ProtocolError),
    #[error(transparent)]
    Io(io::Error),
}

/// A WebSocket on `stream`, whose first bytes (read by actix along with
/// the upgrade request) are `read`; frames and messages of at most
/// `max_size` bytes.
pub(crate) fn open(stream: TcpStream, read: BytesMut, max_size: usize) -> (Session, Frames) {
    let wire = Arc::new(Shared {
        stream,
        unwritten: tokio::sync::Mutex::new(BytesMut::new()),
        closed: AtomicBool::new(false),
    });
    let frames = Frames {
        wire: wire.clone(),
        buf: if read.is_empty() {
            BytesMut::new()
        } else {
            read
        },
        codec: Codec::new().max_size(max_size),
        partial: None,
        max_message: max_size,
        ended: false,
    };
    (Session(wire), frames)
}

mod opcode {
    pub const CONTINUE: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// A server frame's header (unmasked) for a payload of `len` bytes.
fn header(out: &mut [u8; 10], opcode: u8, fin: bool, len: usize) -> &[u8] {
    out[0] = if fin { 0x80 | opcode } else { opcode };
    if len < 126 {
        out[1] = len as u8;
        &out[..2]
    } else if let Ok(len) = u16::try_from(len) {
        out[1] = 126;
        out[2..4].copy_from_slice(&len.to_be_bytes());
        &out[..4]
    } else {
        out[1] = 127;
        out[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        &out[..10]
    }
}

impl Session {
    pub(crate) async fn text(&mut self, text: ByteString) -> Result<(), Closed> {
        self.send(opcode::TEXT, true, text.as_bytes()).await
    }

    /// One fragment of a text message: the first one is a text frame, the
    /// others continuations; `last` ends the message.
    pub(crate) async fn fragment(
        &mut self,
        first: bool,
        last: bool,
        part: &[u8],
    ) -> Result<(), Closed> {
        let op = if first {
            opcode::TEXT
        } else {
            opcode::CONTINUE
        };
        self.send(op, last, part).await
    }

    pub(crate) async fn ping(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.send(opcode::PING, true, &bytes[..bytes.len().min(MAX_CONTROL)])
            .await
    }

    pub(crate) async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.send(opcode::PONG, true, &bytes[..bytes.len().min(MAX_CONTROL)])
            .await
    }

    /// Sends the close frame; nothing can be sent after it.
    pub(crate) async fn close(self, reason: Option<CloseReason>) -> Result<(), Closed> {
        let mut payload = Vec::new();
        if let Some(reason) = reason {
            payload.extend_from_slice(&u16::from(reason.code).to_be_bytes());
            if let Some(why) = &reason.description {
                let mut end = why.len().min(MAX_CONTROL - 2);
                while !why.is_char_boundary(end) {
                    end -= 1;
                }
                payload.extend_from_slice(&why.as_bytes()[..end]);
            }
        }
        let sent = self.send(opcode::CLOSE, true, &payload).await;
        self.0.closed.store(true, Relaxed);
        sent
    }

    /// Writes one frame: at once where the kernel takes it all (the usual
    /// case, one `writev`), else what is left is kept and written as the
    /// socket drains. Cancel-safe: a dropped write leaves its rest in
    /// `unwritten`, which goes out before the next frame.
    async fn send(&self, opcode: u8, fin: bool, payload: &[u8]) -> Result<(), Closed> {
        if self.0.closed.load(Relaxed) {
            return Err(Closed);
        }
        let mut unwritten = self.0.unwritten.lock().await;
        self.flush(&mut unwritten).await?;
        let mut head = [0u8; 10];
        let head = header(&mut head, opcode, fin, payload.len());
        let total = head.len() + payload.len();
        let mut done = 0;
        while done < total {
            let wrote = if done < head.len() {
                let parts = [IoSlice::new(&head[done..]), IoSlice::new(payload)];
                self.0.stream.try_write_vectored(&parts)
            } else {
                self.0.stream.try_write(&payload[done - head.len()..])
            };
            match wrote {
                Ok(0) => return Err(self.fail()),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if done < head.len() {
                        unwritten.extend_from_slice(&head[done..]);
                        unwritten.extend_from_slice(payload);
                    } else {
                        unwritten.extend_from_slice(&payload[done - head.len()..]);
                    }
                    return self.flush(&mut unwritten).await;
                }
                Err(_) => return Err(self.fail()),
            }
        }
        Ok(())
    }

    /// Writes what an earlier write left, waiting for room as needed.
    async fn flush(&self, unwritten: &mut BytesMut) -> Result<(), Closed> {
        while !unwritten.is_empty() {
            let stream = &self.0.stream;
            if std::future::poll_fn(|cx| stream.poll_write_ready(cx))
                .await
                .is_err()
            {
                return Err(self.fail());
            }
            match self.0.stream.try_write(unwritten) {
                Ok(0) => return Err(self.fail()),
                Ok(n) => unwritten.advance(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return Err(self.fail()),
            }
        }
        if unwritten.capacity() > 0 {
            // An idle socket keeps no buffer.
            *unwritten = BytesMut::new();
        }
        Ok(())
    }

    fn fail(&self) -> Closed {
        self.0.closed.store(true, Relaxed);
        Closed
    }
}

impl Frames {
    /// The next message; `None` once the client has hung up. Cancel-safe:
    /// every byte read stays in `self` until decoded.
    pub(crate) async fn recv(&mut self) -> Option<Result<Incoming, WireError>> {
        loop {
            match self.codec.decode(&mut self.buf) {
                Ok(Some(frame)) => match self.assemble(frame) {
                    Some(message) => return Some(message),
                    None => continue,
                },
                Ok(None) => {}
                Err(ProtocolError::Overflow) => return Some(Err(WireError::FrameTooBig)),
                Err(e) => return Some(Err(WireError::Protocol(e))),
            }
            if self.ended {
                return None;
            }
            if self.buf.is_empty() && self.buf.capacity() > 0 {
                // Waiting for the client: an idle socket holds no buffer.
                self.buf = BytesMut::new();
            }
            let stream = &self.wire.stream;
            if let Err(e) = std::future::poll_fn(|cx| stream.poll_read_ready(cx)).await {
                self.ended = true;
                return Some(Err(WireError::Io(e)));
            }
            self.buf.reserve(READ_SIZE);
            match self.wire.stream.try_read_buf(&mut self.buf) {
                Ok(0) => self.ended = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    self.ended = true;
                    return Some(Err(WireError::Io(e)));
                }
            }
        }
    }

    /// A frame as a message, or `None` while a fragmented one is not
    /// complete.
    fn assemble(&mut self, frame: Frame) -> Option<Result<Incoming, WireError>> {
        let (first, part, last) = match frame {
            Frame::Text(bytes) => return Some(text(bytes)),
            Frame::Binary(_) => return Some(Ok(Incoming::Binary)),
            Frame::Ping(bytes) => return Some(Ok(Incoming::Ping(bytes))),
            Frame::Pong(bytes) => return Some(Ok(Incoming::Pong(bytes))),
            Frame::Close(reason) => return Some(Ok(Incoming::Close(reason))),
            Frame::Continuation(Item::FirstText(part)) => (Some(true), part, false),
            Frame::Continuation(Item::FirstBinary(part)) => (Some(false), part, false),
            Frame::Continuation(Item::Continue(part)) => (None, part, false),
            Frame::Continuation(Item::Last(part)) => (None, part, true),
        };
        // The codec has checked the order (a first fragment, then
        // continuations): a continuation finds its message here.
        let partial = self
            .partial
            .get_or_insert_with(|| Box::new((first.unwrap_or(true), BytesMut::new())));
        if partial.1.len() + part.len() > self.max_message {
            self.partial = None;
            return Some(Err(WireError::MessageTooBig));
        }
        partial.1.extend_from_slice(&part);
        if !last {
            return None;
        }
        let (is_text, bytes) = *self.partial.take()?;
        Some(if is_text {
            text(bytes.freeze())
        } else {
            Ok(Incoming::Binary)
        })
    }
}

fn text(bytes: Bytes) -> Result<Incoming, WireError> {
    ByteString::try_from(bytes)
        .map(Incoming::Text)
        .map_err(|_| WireError::NotUtf8)
}

/// The reason a client's close frame is answered with when it gave none.
pub(crate) fn normal() -> CloseReason {
    CloseCode::Normal.into()
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
