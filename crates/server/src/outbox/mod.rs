//! A connection's outgoing queue, bounded by frames *and* bytes.
//!
//! The hub pushes into it without ever waiting: a full outbox means the
//! client cannot keep up, so the outbox closes itself ([`CloseReason::Overflow`],
//! WebSocket code 1013) and the hub forgets the connection. One slow client
//! therefore never slows anyone else, and its memory stays bounded. It loses
//! nothing either: it resumes with `join` + `since` when it reconnects.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard};

use bytestring::ByteString;
use confab_shared::ServerMsg;
use tokio::sync::Notify;

use crate::metrics::Metrics;

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

    /// Whether the frame may wait for company (see
    /// [`OutboxReceiver::linger`]): a room's broadcast may, an answer to
    /// this connection (ack, error, joined, history, welcome) may not.
    pub fn can_wait(&self) -> bool {
        matches!(
            self.kind,
            "message" | "presence" | "typing" | "notification"
        )
    }
}

/// Why a connection is being closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The outbox overflowed: the client is too slow (1013). Pending frames
    /// are dropped.
    Overflow,
    /// The server is shutting down (1001). Pending frames are sent first,
    /// and the answers still owed to the client (see [`Ticket`]) are
    /// accepted and sent too, before the socket closes.
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
    /// Queued frames that may not wait ([`Frame::can_wait`]).
    urgent: usize,
    bytes: usize,
    closing: Option<CloseReason>,
    /// Answers the writer still owes this connection (live [`Ticket`]s).
    owed: usize,
}

struct Inner {
    state: Mutex<State>,
    ready: Notify,
    /// Woken when the outbox closes ([`OutboxReceiver::aborted`]): a
    /// `Notify` beside the state, where a watch channel cost every
    /// connection a 150-byte allocation of its own.
    aborting: Notify,
    max_frames: usize,
    max_bytes: usize,
    /// Where queued bytes and overflows are counted (none in unit tests).
    metrics: Option<Arc<Metrics>>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; recover the data if it ever did.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Moves the server-wide count of queued bytes.
    fn count_bytes(&self, delta: i64) {
        if let Some(m) = &self.metrics {
            m.outbox_bytes.fetch_add(delta, Relaxed);
        }
    }

    fn close(&self, state: &mut State, reason: CloseReason) {
        if state.closing.is_none() {
            state.closing = Some(reason);
            if !reason.drains() {
                state.frames.clear();
                state.urgent = 0;
                self.count_bytes(-(state.bytes as i64));
                state.bytes = 0;
            }
            // Counted here, where it happens once per connection, whoever
            // overflowed it (the hub's broadcast or the connection's own
            // replies) and however often the hub tries again afterwards.
            if reason == CloseReason::Overflow {
                if let Some(m) = &self.metrics {
                    m.slow_consumers_closed.fetch_add(1, Relaxed);
                }
            }
            self.ready.notify_one();
            self.aborting.notify_waiters();
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
}

impl Inner {
    fn pop(&self, state: &mut State) -> Option<Frame> {
        let frame = state.frames.pop_front()?;
        state.bytes -= frame.weight();
        state.urgent = state.urgent.saturating_sub(usize::from(!frame.can_wait()));
        self.count_bytes(-(frame.weight() as i64));
        Some(frame)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let state = self.lock();
        self.count_bytes(-(state.bytes as i64));
    }
}

/// A new outbox holding at most `max_frames` frames and `max_bytes` bytes.
pub fn outbox(max_frames: usize, max_bytes: usize) -> (Outbox, OutboxReceiver) {
    outbox_counted(max_frames, max_bytes, None)
}

/// [`outbox`] whose queued bytes (`confab_outbox_bytes`) and overflow
/// (`confab_slow_consumers_closed_total`) are counted in `metrics`.
pub fn outbox_counted(
    max_frames: usize,
    max_bytes: usize,
    metrics: Option<Arc<Metrics>>,
) -> (Outbox, OutboxReceiver) {
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            frames: VecDeque::new(),
            urgent: 0,
            bytes: 0,
            closing: None,
            owed: 0,
        }),
        ready: Notify::new(),
        aborting: Notify::new(),
        max_frames: max_frames.max(1),
        max_bytes: max_bytes.max(1),
        metrics,
    });
    (
        Outbox {
            inner: inner.clone(),
        },
        OutboxReceiver { inner },
    )
}

impl Outbox {
    /// Queues a frame. If that would pass a limit, the outbox closes itself
    /// with [`CloseReason::Overflow`] and the frame is refused.
    /// A draining close (shutdown) still takes frames: the answers owed
    /// to the client go out before the socket closes.
    pub fn push(&self, frame: Frame) -> Result<(), Closed> {
        let mut state = self.inner.lock();
        if state.closing.is_some_and(|r| !r.drains()) {
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
        // Only a frame the receiver may be waiting for wakes it: the first
        // of a queue (it waits only on an empty one) or one that may not
        // wait (it may be lingering). A busy room therefore wakes a
        // socket's writer once per tick, not once per message.
        let urgent = !frame.can_wait();
        let wake = state.frames.is_empty() || urgent;
        state.urgent += usize::from(urgent);
        state.frames.push_back(frame);
        self.inner.count_bytes(weight as i64);
        drop(state);
        if wake {
            self.inner.ready.notify_one();
        }
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

    /// Whether the outbox is closing (the connection is on its way out).
    pub fn is_closing(&self) -> bool {
        self.inner.lock().closing.is_some()
    }

    /// Records that an answer (an `ack` or `error`) is owed to the client
    /// until the returned ticket is dropped, which whoever answers does
    /// after pushing it (or by being dropped unanswered: the writer is
    /// gone). At shutdown the socket waits for its tickets.
    pub fn ticket(&self) -> Ticket {
        self.inner.lock().owed += 1;
        Ticket {
            inner: self.inner.clone(),
        }
    }
}

/// An answer owed to the client (see [`Outbox::ticket`]).
pub struct Ticket {
    inner: Arc<Inner>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        state.owed = state.owed.saturating_sub(1);
        drop(state);
        self.inner.ready.notify_one();
    }
}

impl OutboxReceiver {
    /// The next frame to write, or the instruction to close.
    pub async fn next(&mut self) -> Next {
        self.next_or(|state| state.closing).await
    }

    /// At shutdown: the next frame to write, or [`Next::Close`] when the
    /// connection must close now (overflow) or, with `until_settled`, once
    /// nothing is queued and no answer is owed any more.
    pub async fn drain(&mut self, until_settled: bool) -> Next {
        self.next_or(|state| {
            (until_settled && state.owed == 0)
                .then(|| state.closing.unwrap_or(CloseReason::Shutdown))
        })
        .await
    }

    /// The next frame; a close at once when the connection must close now
    /// (pending frames dropped), or once nothing is queued and `idle` gives
    /// a reason.
    async fn next_or(&mut self, idle: impl Fn(&State) -> Option<CloseReason>) -> Next {
        loop {
            {
                let mut state = self.inner.lock();
                if let Some(reason) = state.closing.filter(|reason| !reason.drains()) {
                    return Next::Close(reason);
                }
                if let Some(frame) = self.inner.pop(&mut state) {
                    return Next::Send(frame);
                }
                if let Some(reason) = idle(&state) {
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
    /// The next queued frame, if any, without waiting (nothing once the
    /// outbox closes without draining).
    pub fn try_next(&mut self) -> Option<Frame> {
        let mut state = self.inner.lock();
        if state.closing.is_some_and(|reason| !reason.drains()) {
            return None;
        }
        self.inner.pop(&mut state)
    }

    /// Waits until `deadline`, or less: until a frame that may not wait is
    /// queued, or the outbox closes. The writer lingers here after a
    /// broadcast so that the next ones go out in the same write.
    pub async fn linger(&self, deadline: tokio::time::Instant) {
        loop {
            {
                let state = self.inner.lock();
                if state.urgent > 0 || state.closing.is_some() {
                    return;
                }
            }
            let woken = tokio::time::timeout_at(deadline, self.inner.ready.notified()).await;
            if woken.is_err() {
                return;
            }
        }
    }

    pub async fn aborted(&mut self) -> CloseReason {
        loop {
            // Registered before the state is read, so a close between the
            // two still wakes it.
            let notified = self.inner.aborting.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(reason) = self.inner.lock().closing.filter(|r| !r.drains()) {
                return reason;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests;
