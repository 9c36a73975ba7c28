//! A connection's outgoing queue, bounded by frames *and* bytes.
//!
//! The hub pushes into it without ever waiting: a full outbox means the
//! client cannot keep up, so the outbox closes itself ([`CloseReason::Overflow`],
//! WebSocket code 1013) and the hub forgets the connection. One slow client
//! therefore never slows anyone else, and its memory stays bounded. It loses
//! nothing either: it resumes with `join` + `since` when it reconnects.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytestring::ByteString;
use confab_shared::ServerMsg;
use tokio::sync::{watch, Notify};

/// One serialized server frame. Cloning shares the bytes, so a broadcast
/// serializes once however many recipients it has.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The frame's `type` (the SSE `event:` name).
    pub kind: &'static str,
    pub json: ByteString,
    /// Global position of the message it carries, if any (the SSE `id:`).
    pub pos: Option<i64>,
}

impl Frame {
    pub fn new(msg: &ServerMsg) -> Self {
        Self {
            kind: msg.kind(),
            json: ByteString::from(msg.to_json()),
            pos: None,
        }
    }

    pub fn with_pos(msg: &ServerMsg, pos: i64) -> Self {
        Self {
            pos: Some(pos),
            ..Self::new(msg)
        }
    }

    fn weight(&self) -> usize {
        self.json.len()
    }
}

/// Why a connection is being closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The outbox overflowed: the client is too slow (1013). Pending frames
    /// are dropped.
    Overflow,
    /// The server is shutting down (1001). Pending frames are sent first.
    Shutdown,
    /// The server could not serve this connection (1011). Pending frames,
    /// such as the error that explains it, are sent first.
    Internal,
    /// The connection's session was ended (logout, 1008). Pending frames are
    /// dropped: the session may no longer read anything.
    LoggedOut,
}

impl CloseReason {
    fn drains(self) -> bool {
        !matches!(self, Self::Overflow | Self::LoggedOut)
    }
}

/// What the connection should do next.
#[derive(Debug)]
pub enum Next {
    Send(Frame),
    Close(CloseReason),
}

/// The outbox is closed; the frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

struct State {
    frames: VecDeque<Frame>,
    bytes: usize,
    closing: Option<CloseReason>,
}

struct Inner {
    state: Mutex<State>,
    ready: Notify,
    close_tx: watch::Sender<Option<CloseReason>>,
    max_frames: usize,
    max_bytes: usize,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; recover the data if it ever did.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn close(&self, state: &mut State, reason: CloseReason) {
        if state.closing.is_none() {
            state.closing = Some(reason);
            if !reason.drains() {
                state.frames.clear();
                state.bytes = 0;
            }
            self.close_tx.send_replace(Some(reason));
            self.ready.notify_one();
        }
    }
}

/// The hub's end: push frames, or ask for the connection to close.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

/// The connection's end.
pub struct OutboxReceiver {
    inner: Arc<Inner>,
    close_rx: watch::Receiver<Option<CloseReason>>,
}

/// A new outbox holding at most `max_frames` frames and `max_bytes` bytes.
pub fn outbox(max_frames: usize, max_bytes: usize) -> (Outbox, OutboxReceiver) {
    let (close_tx, close_rx) = watch::channel(None);
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            frames: VecDeque::new(),
            bytes: 0,
            closing: None,
        }),
        ready: Notify::new(),
        close_tx,
        max_frames: max_frames.max(1),
        max_bytes: max_bytes.max(1),
    });
    (
        Outbox {
            inner: inner.clone(),
        },
        OutboxReceiver { inner, close_rx },
    )
}

impl Outbox {
    /// Queues a frame. If that would pass a limit, the outbox closes itself
    /// with [`CloseReason::Overflow`] and the frame is refused.
    pub fn push(&self, frame: Frame) -> Result<(), Closed> {
        let mut state = self.inner.lock();
        if state.closing.is_some() {
            return Err(Closed);
        }
        let weight = frame.weight();
        if state.frames.len() >= self.inner.max_frames
            || state.bytes + weight > self.inner.max_bytes
        {
            self.inner.close(&mut state, CloseReason::Overflow);
            return Err(Closed);
        }
        state.bytes += weight;
        state.frames.push_back(frame);
        drop(state);
        self.inner.ready.notify_one();
        Ok(())
    }

    /// Asks the connection to close; a no-op if it is already closing.
    pub fn close(&self, reason: CloseReason) {
        let mut state = self.inner.lock();
        self.inner.close(&mut state, reason);
    }

    /// Frames waiting to be written.
    pub fn len(&self) -> usize {
        self.inner.lock().frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl OutboxReceiver {
    /// The next frame to write, or the instruction to close.
    pub async fn next(&mut self) -> Next {
        loop {
            {
                let mut state = self.inner.lock();
                match state.closing {
                    Some(reason) if !reason.drains() => return Next::Close(reason),
                    _ => {}
                }
                if let Some(frame) = state.frames.pop_front() {
                    state.bytes -= frame.weight();
                    return Next::Send(frame);
                }
                if let Some(reason) = state.closing {
                    return Next::Close(reason);
                }
            }
            // notify_one keeps a permit if nobody waits, so a push between
            // the unlock above and this await is not missed.
            self.inner.ready.notified().await;
        }
    }

    /// Resolves once the connection must close *now* (pending frames
    /// dropped); used to abandon a write to a client that stopped reading.
    pub async fn aborted(&mut self) -> CloseReason {
        let reason = self
            .close_rx
            .wait_for(|c| c.is_some_and(|r| !r.drains()))
            .await
            .ok()
            .and_then(|c| *c);
        match reason {
            Some(reason) => reason,
            // The sender lives in `inner`, which we hold: it cannot be dropped.
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_shared::{ErrorCode, ServerMsg};

    fn frame(text: &str) -> Frame {
        Frame::new(&ServerMsg::error(ErrorCode::Internal, text, None))
    }

    #[tokio::test]
    async fn delivers_in_order_then_overflows_by_frames() {
        let (tx, mut rx) = outbox(2, 1 << 20);
        tx.push(frame("a")).unwrap();
        tx.push(frame("b")).unwrap();
        assert_eq!(tx.push(frame("c")), Err(Closed));
        // Overflow drops what was pending and closes at once.
        assert!(matches!(
            rx.next().await,
            Next::Close(CloseReason::Overflow)
        ));
        assert_eq!(tx.push(frame("d")), Err(Closed));
        assert_eq!(rx.aborted().await, CloseReason::Overflow);
    }

    #[tokio::test]
    async fn overflows_by_bytes() {
        let (tx, _rx) = outbox(100, 120);
        tx.push(frame("x")).unwrap();
        assert_eq!(tx.push(frame(&"y".repeat(100))), Err(Closed));
    }

    #[tokio::test]
    async fn shutdown_drains_before_closing() {
        let (tx, mut rx) = outbox(10, 1 << 20);
        tx.push(frame("a")).unwrap();
        tx.close(CloseReason::Shutdown);
        assert!(matches!(rx.next().await, Next::Send(f) if f.json.contains("\"a\"")));
        assert!(matches!(
            rx.next().await,
            Next::Close(CloseReason::Shutdown)
        ));
    }

    #[tokio::test]
    async fn wakes_a_waiting_receiver() {
        let (tx, mut rx) = outbox(10, 1 << 20);
        let waiter = tokio::spawn(async move { matches!(rx.next().await, Next::Send(_)) });
        tokio::task::yield_now().await;
        tx.push(frame("late")).unwrap();
        assert!(waiter.await.unwrap());
    }
}
