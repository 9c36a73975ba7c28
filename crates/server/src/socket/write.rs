//! A connection's writer: its outbox to the wire.

use std::time::Duration;

use bytestring::ByteString;
use futures_util::future::Either;
use tokio::time::Instant;

use super::wire::{Closed, Session};
use super::{close_for, Ending};
use crate::outbox::{CloseReason, Frame, Next, OutboxReceiver};

/// Text messages longer than this go out in fragments of this size.
const FRAGMENT: usize = 16 * 1024;

/// How the writer ended.
pub(crate) enum Written {
    Ended(Ending),
    /// The server is shutting down: the reader takes the outbox back to
    /// answer what the client already sent ([`super::drain`]).
    Shutdown(OutboxReceiver),
}

/// The writer: the outbox to the wire, until the outbox closes or the
/// client is gone. A write the client does not take blocks only this task;
/// an overflow behind it abandons the write.
///
/// A broadcast lingers up to `delay` for the ones after it, then everything
/// queued goes out together, so a busy room costs a write per socket per
/// `delay`, not per message. An answer to this socket never waits. Under
/// [`Framing::Lines`](confab_shared::Framing) (`lines`), what is queued
/// goes out as one text frame too, a JSON object per line ([`pack`]).
///
/// An `async move` block for the reason given at [`super::run`].
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice in its state (see super::run)"
)]
pub(crate) fn write_out(
    mut session: Session,
    mut outbox: OutboxReceiver,
    delay: Duration,
    lines: bool,
) -> impl std::future::Future<Output = Written> {
    async move {
        loop {
            // Scoped as tightly as the awaits allow: rustc keeps a local's
            // room in the state machine for as long as it is in scope, moved
            // out or not (see the reader's writer handle in `super::run`).
            let mut next = Some(match outbox.next().await {
                Next::Send(frame) => frame,
                Next::Close(CloseReason::Shutdown) => return Written::Shutdown(outbox),
                Next::Close(reason) => return Written::Ended(close_for(reason)),
            });
            if next.as_ref().is_some_and(Frame::can_wait) && !delay.is_zero() {
                // Also ends when the outbox closes (handled just below).
                outbox.linger(Instant::now() + delay).await;
            }
            while let Some(frame) = next.take() {
                let left = {
                    let (text, left) = if lines {
                        pack(frame, &mut outbox)
                    } else {
                        (frame.json, None)
                    };
                    // Boxed: writing (the send, the abort it races) needs
                    // far more room than waiting for the outbox, and an
                    // idle socket's writer waits almost all the time; one
                    // allocation per write, against its syscall.
                    let sent = Box::pin(async {
                        tokio::select! {
                            sent = send_text(&mut session, text) => if sent.is_err() { Some(Ending::Gone) } else { None },
                            reason = outbox.aborted() => Some(close_for(reason)),
                        }
                    })
                    .await;
                    if let Some(ending) = sent {
                        return Written::Ended(ending);
                    }
                    left
                };
                next = left.or_else(|| outbox.try_next());
            }
        }
    }
}

/// `first` and the frames queued behind it as one text frame of at most
/// [`FRAGMENT`] bytes, one JSON object per line (see [`confab_shared::frame_lines`]),
/// and the first frame that did not fit, if any. One frame alone goes out
/// as it is, without a copy.
///
/// Why: every WebSocket frame is a write syscall of its own, which costs
/// far more than copying its bytes once; a socket in a busy room gets one
/// frame per tick instead of one per message.
fn pack(first: Frame, outbox: &mut OutboxReceiver) -> (ByteString, Option<Frame>) {
    let Some(second) = outbox.try_next() else {
        return (first.json, None);
    };
    if first.json.len() + 1 + second.json.len() > FRAGMENT {
        return (first.json, Some(second));
    }
    let mut text = String::with_capacity(2 * (first.json.len() + second.json.len()));
    text.push_str(&first.json);
    let mut next = Some(second);
    while let Some(frame) = next.take() {
        if text.len() + 1 + frame.json.len() > FRAGMENT {
            return (ByteString::from(text), Some(frame));
        }
        text.push('\n');
        text.push_str(&frame.json);
        next = outbox.try_next();
    }
    (ByteString::from(text), None)
}

/// Sends one text message; a long one (a page of history) in fragments of
/// [`FRAGMENT`] bytes: what the kernel does not take at once is copied
/// aside until it does ([`Session`]), and fragments bound that copy.
///
/// Not an `async fn`: the writer holds this future in its state for the
/// socket's whole life, so the common case (one message) stays small and
/// the rare fragmented one is boxed.
pub(crate) fn send_text(
    session: &mut Session,
    json: ByteString,
) -> impl std::future::Future<Output = Result<(), Closed>> + '_ {
    if json.len() <= FRAGMENT {
        Either::Left(session.text(json))
    } else {
        Either::Right(Box::pin(send_fragments(session, json)))
    }
}

async fn send_fragments(session: &mut Session, text: ByteString) -> Result<(), Closed> {
    let bytes = text.as_bytes();
    let last = (bytes.len() - 1) / FRAGMENT;
    for i in 0..=last {
        let part = &bytes[i * FRAGMENT..((i + 1) * FRAGMENT).min(bytes.len())];
        session.fragment(i == 0, i == last, part).await?;
    }
    Ok(())
}
