//! A socket's last seconds when the server shuts down: no frame the client
//! sent before it heard of the shutdown goes unanswered.
//!
//! The hub has queued a `notification` (kind `system`) and asked the
//! connection to close (1001); by the time we get here that notice is
//! written. Then:
//!
//! 1. We ping with [`MARKER`]. A client answers a ping after reading every
//!    frame before it, and TCP keeps order, so when its pong arrives every
//!    frame it sent before it read the notice has arrived too. Until then we
//!    keep reading and handle each frame as usual: a `send` goes to the
//!    writer, which is still running (or is answered `unavailable` if not).
//! 2. We stop reading and wait until every answer owed to the client (the
//!    writer's `ack` or `error` for each post, see
//!    [`crate::outbox::Ticket`]) is queued and written.
//! 3. We close with 1001.
//!
//! All of it within [`DRAIN`], so a client that never answers the ping
//! cannot hold the shutdown up (actix's graceful stop gives connections
//! five seconds). What such a client sent after the deadline is not read;
//! it resends it, with the same `client_id`, after reconnecting.

use super::wire::{normal, Frames, Incoming, Session};
use tokio::time::{sleep_until, Duration, Instant};

use super::{close_for, Ending, SocketContext};
use crate::outbox::{CloseReason, Next, OutboxReceiver};

/// The longest a socket spends answering what it received at shutdown.
const DRAIN: Duration = Duration::from_secs(3);

/// The payload of the shutdown ping, to tell its pong from a heartbeat's.
const MARKER: &[u8] = b"confab-shutdown";

pub(crate) async fn on_shutdown(
    ctx: &mut SocketContext,
    session: &mut Session,
    stream: &mut Frames,
    outbox: &mut OutboxReceiver,
) -> Ending {
    let deadline = Instant::now() + DRAIN;
    if session.ping(MARKER).await.is_err() {
        return Ending::Gone;
    }
    // 1. Read up to the pong (or the client's own close).
    let mut client_closed = None;
    let mut read_all = false;
    while !read_all {
        tokio::select! {
            () = sleep_until(deadline) => {
                tracing::info!(conn = ctx.conn, "no pong to the shutdown ping in time");
                break;
            }
            next = outbox.drain(false) => match next {
                Next::Send(frame) => {
                    if let Some(ending) = write(session, outbox, frame, deadline).await {
                        return ending;
                    }
                }
                Next::Close(reason) => return close_for(reason),
            },
            item = stream.recv() => {
                let Some(item) = item else { return Ending::Gone };
                match item {
                    Ok(Incoming::Pong(bytes)) if bytes.as_ref() == MARKER => read_all = true,
                    // The client closes: nothing comes after that.
                    Ok(Incoming::Close(reason)) => {
                        client_closed = Some(reason.unwrap_or_else(normal));
                        read_all = true;
                    }
                    item => {
                        if let Some(ending) = ctx.on_item(session, item).await {
                            return ending;
                        }
                    }
                }
            }
        }
    }
    // 2. Write every answer still owed.
    loop {
        tokio::select! {
            () = sleep_until(deadline) => {
                tracing::warn!(conn = ctx.conn, "closing before every answer was written");
                break;
            }
            next = outbox.drain(true) => match next {
                Next::Send(frame) => {
                    if let Some(ending) = write(session, outbox, frame, deadline).await {
                        return ending;
                    }
                }
                Next::Close(CloseReason::Overflow) => return close_for(CloseReason::Overflow),
                Next::Close(_) => break,
            },
        }
    }
    // 3. Close (answering the client's close, if it sent one).
    match client_closed {
        Some(reason) => Ending::Answer(reason),
        None => close_for(CloseReason::Shutdown),
    }
}

/// Writes one frame, giving up on a client that stopped reading.
async fn write(
    session: &mut Session,
    outbox: &mut OutboxReceiver,
    frame: crate::outbox::Frame,
    deadline: Instant,
) -> Option<Ending> {
    tokio::select! {
        sent = super::send_text(session, frame.json) => sent.is_err().then_some(Ending::Gone),
        reason = outbox.aborted() => Some(close_for(reason)),
        () = sleep_until(deadline) => Some(close_for(CloseReason::Shutdown)),
    }
}
