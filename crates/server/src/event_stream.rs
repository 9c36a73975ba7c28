//! One Server-Sent Events stream: the same frames a WebSocket gets, one way.
//!
//! Each `message` event carries `id: <pos>`, the message's global append
//! position. A client reconnecting with `Last-Event-ID: <pos>` first gets
//! every stored message of its rooms after `pos` (so nothing is lost, also
//! across a restart), then the live stream, from which messages it already
//! got in the replay are dropped (so nothing arrives twice).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use confab_shared::{ServerMsg, User};
use tokio::sync::mpsc;
use tokio::time::{interval_at, Instant};

use crate::hub::{ConnId, HubHandle};
use crate::metrics::Metrics;
use crate::outbox::{Frame, Next, OutboxReceiver};
use confab_engine::store::Store;

/// Messages read from the store per replay query.
const REPLAY_PAGE: u32 = 500;
/// Encoded events waiting for the HTTP response at most; past that the
/// outbox fills and the stream is ended like a slow socket.
pub const WIRE_QUEUE: usize = 16;

pub struct StreamContext {
    pub conn: ConnId,
    pub user: User,
    pub client: String,
    pub hub: HubHandle,
    /// Keeps the outbox's sending side alive with the stream.
    pub _outbox: crate::outbox::Outbox,
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub heartbeat: Duration,
    /// Resume after this position (`Last-Event-ID`).
    pub resume_after: Option<i64>,
    /// Its places under the connection limits, given back when it ends.
    pub _admission: crate::routes::Admission,
}

/// An SSE event for a frame: `id:` for messages, `event:` = the frame's type.
pub fn encode(frame: &Frame) -> Bytes {
    let mut out = String::with_capacity(frame.json.len() + 48);
    if let Some(pos) = frame.pos {
        out.push_str(&format!("id: {pos}\n"));
    }
    out.push_str("event: ");
    out.push_str(frame.kind);
    out.push_str("\ndata: ");
    out.push_str(&frame.json);
    out.push_str("\n\n");
    Bytes::from(out)
}

pub async fn run(ctx: StreamContext, mut outbox: OutboxReceiver, wire: mpsc::Sender<Bytes>) {
    ctx.metrics.sse_connections.fetch_add(1, Relaxed);
    ctx.metrics.connections_total.fetch_add(1, Relaxed);
    tracing::info!(conn = ctx.conn, user = %ctx.user.name, client = %ctx.client, resume = ?ctx.resume_after, "event stream open");
    let outcome = pump(&ctx, &mut outbox, &wire).await;
    ctx.hub.disconnect(ctx.conn).await;
    ctx.metrics.sse_connections.fetch_sub(1, Relaxed);
    tracing::info!(conn = ctx.conn, user = %ctx.user.name, client = %ctx.client, outcome, "event stream closed");
}

/// Sends events until the client goes away or the server closes the stream.
async fn pump(
    ctx: &StreamContext,
    outbox: &mut OutboxReceiver,
    wire: &mpsc::Sender<Bytes>,
) -> &'static str {
    // Ask EventSource to come back quickly after a drop.
    if wire
        .send(Bytes::from_static(b"retry: 2000\n\n"))
        .await
        .is_err()
    {
        return "client gone";
    }
    let mut last_pos = ctx.resume_after;
    let mut replaying = ctx.resume_after.is_some();
    let mut heartbeat = interval_at(Instant::now() + ctx.heartbeat, ctx.heartbeat);
    loop {
        tokio::select! {
            next = outbox.next() => match next {
                Next::Send(frame) => {
                    // The welcome comes first; the replay right after it.
                    let is_welcome = frame.kind == "welcome";
                    if frame.pos.is_some_and(|p| last_pos.is_some_and(|last| p <= last)) {
                        continue;
                    }
                    if let Some(p) = frame.pos {
                        last_pos = Some(p);
                    }
                    if !send(wire, encode(&frame), outbox).await {
                        return "client gone or too slow";
                    }
                    if is_welcome && replaying {
                        replaying = false;
                        match replay(ctx, &mut last_pos, outbox, wire).await {
                            Ok(()) => {}
                            Err(why) => return why,
                        }
                    }
                }
                Next::Close(_) => return "closed by the server",
            },
            _ = heartbeat.tick() => {
                if !send(wire, Bytes::from_static(b": keepalive\n\n"), outbox).await {
                    return "client gone or too slow";
                }
            }
        }
    }
}

/// Sends every stored message after `last_pos` of the user's rooms.
async fn replay(
    ctx: &StreamContext,
    last_pos: &mut Option<i64>,
    outbox: &mut OutboxReceiver,
    wire: &mpsc::Sender<Bytes>,
) -> Result<(), &'static str> {
    loop {
        let after = last_pos.unwrap_or(0);
        let page = ctx
            .store
            .messages_for_user_after(&ctx.user.id, after, REPLAY_PAGE)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "event stream replay failed");
                "replay failed"
            })?;
        let full = page.len() == REPLAY_PAGE as usize;
        for (pos, message) in page {
            let frame = Frame::with_pos(&ServerMsg::Message { message }, pos);
            *last_pos = Some(pos);
            if !send(wire, encode(&frame), outbox).await {
                return Err("client gone or too slow");
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// Hands bytes to the response, giving up if the hub aborts the stream
/// (its outbox overflowed because the client does not read).
async fn send(wire: &mpsc::Sender<Bytes>, bytes: Bytes, outbox: &mut OutboxReceiver) -> bool {
    tokio::select! {
        sent = wire.send(bytes) => sent.is_ok(),
        _ = outbox.aborted() => false,
    }
}
