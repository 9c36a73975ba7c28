//! One WebSocket connection: a single `select!` loop over frames from the
//! client, frames from the hub (its outbox) and the heartbeat. Whatever ends
//! the loop, the cleanup after it always runs: the hub forgets the
//! connection (presence goes offline with the user's last one) and the
//! socket is closed with the right code.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, ProtocolError, Session};
use confab_shared::{decode, ClientMsg, ErrorCode, HistoryLimit, ServerMsg, User};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{interval_at, Instant};

use crate::chat::{Asker, Chat, Post, Target};
use crate::error::AppError;
use crate::history::{mark_read, read_history, HistoryQuery};
use crate::hub::{ConnId, HubHandle};
use crate::metrics::Metrics;
use crate::outbox::{CloseReason, Frame, Next, Outbox, OutboxReceiver};
use crate::rate_limit::RateLimiter;
use confab_engine::store::Store;

/// How long a close frame may wait for a client that stopped reading.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything one connection needs besides its socket.
pub struct SocketContext {
    pub conn: ConnId,
    pub user: User,
    /// Client address for logs.
    pub client: String,
    pub hub: HubHandle,
    pub chat: Chat,
    /// This connection's own handle on its outbox: replies that are not
    /// broadcasts (errors, history pages, acks) queue there too, bounded
    /// like everything else.
    pub outbox: Outbox,
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub heartbeat: Duration,
    pub client_timeout: Duration,
    pub limiter: RateLimiter,
    /// Held for as long as the connection lives (`max_connections`).
    pub _permit: OwnedSemaphorePermit,
}

/// How the loop ended.
enum Ending {
    /// The peer is gone; nothing more can be sent.
    Gone,
    /// Close with this code.
    Close(actix_ws::CloseReason),
}

fn close(code: CloseCode, why: &str) -> Ending {
    Ending::Close(actix_ws::CloseReason {
        code,
        description: Some(why.to_owned()),
    })
}

fn close_for(reason: CloseReason) -> Ending {
    match reason {
        CloseReason::Overflow => close(CloseCode::Again, "too slow: reconnect and resume"),
        CloseReason::Shutdown => close(CloseCode::Away, "server shutting down"),
        CloseReason::Internal => close(CloseCode::Error, "server error"),
        CloseReason::LoggedOut => close(CloseCode::Policy, "logged out"),
    }
}

pub async fn run(
    mut ctx: SocketContext,
    mut session: Session,
    mut stream: AggregatedMessageStream,
    mut outbox: OutboxReceiver,
) {
    ctx.metrics.ws_connections.fetch_add(1, Relaxed);
    ctx.metrics.connections_total.fetch_add(1, Relaxed);
    tracing::info!(conn = ctx.conn, user = %ctx.user.name, client = %ctx.client, "websocket open");

    let mut last_heard = Instant::now();
    let mut heartbeat = interval_at(Instant::now() + ctx.heartbeat, ctx.heartbeat);
    let ending = loop {
        tokio::select! {
            next = outbox.next() => match next {
                Next::Send(frame) => {
                    // A client that stopped reading blocks this write; the
                    // hub then overflows the outbox and we must give up.
                    tokio::select! {
                        sent = session.text(frame.json) => if sent.is_err() { break Ending::Gone },
                        reason = outbox.aborted() => break close_for(reason),
                    }
                }
                Next::Close(reason) => break close_for(reason),
            },
            item = stream.recv() => {
                let Some(item) = item else { break Ending::Gone };
                last_heard = Instant::now();
                match item {
                    Ok(AggregatedMessage::Text(text)) => {
                        if let Some(reply) = ctx.on_text(&text).await {
                            ctx.reply(&reply);
                        }
                    }
                    Ok(AggregatedMessage::Binary(_)) => {
                        ctx.reply(&ServerMsg::error(
                            ErrorCode::BinaryUnsupported,
                            "binary frames are not supported: send JSON text frames",
                            None,
                        ));
                    }
                    Ok(AggregatedMessage::Ping(bytes)) => {
                        if session.pong(&bytes).await.is_err() {
                            break Ending::Gone;
                        }
                    }
                    Ok(AggregatedMessage::Pong(_)) => {}
                    Ok(AggregatedMessage::Close(reason)) => {
                        break Ending::Close(reason.unwrap_or_else(|| CloseCode::Normal.into()));
                    }
                    Err(ProtocolError::Overflow) => {
                        break close(CloseCode::Size, "frame larger than 64 KiB");
                    }
                    Err(ProtocolError::Io(e)) if e.to_string().contains("continuation size") => {
                        break close(CloseCode::Size, "message larger than 64 KiB");
                    }
                    Err(e) => {
                        tracing::debug!(conn = ctx.conn, error = %e, "websocket protocol error");
                        break close(CloseCode::Protocol, "protocol error");
                    }
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > ctx.client_timeout {
                    break close(CloseCode::Policy, "no answer to pings");
                }
                if session.ping(b"").await.is_err() {
                    break Ending::Gone;
                }
            }
        }
    };

    ctx.hub.disconnect(ctx.conn).await;
    ctx.metrics.ws_connections.fetch_sub(1, Relaxed);
    let code = match ending {
        Ending::Close(reason) => {
            let code = u16::from(reason.code);
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, session.close(Some(reason))).await;
            Some(code)
        }
        Ending::Gone => None,
    };
    tracing::info!(conn = ctx.conn, user = %ctx.user.name, client = %ctx.client, ?code, "websocket closed");
}

impl SocketContext {
    /// Handles one text frame; returns a frame to answer with directly (an
    /// error, or a history page), while hub replies arrive via the outbox.
    async fn on_text(&mut self, text: &str) -> Option<ServerMsg> {
        self.metrics.frames_in.fetch_add(1, Relaxed);
        let decoded = decode(text);
        if !self.limiter.allow() {
            self.metrics.rate_limited.fetch_add(1, Relaxed);
            let client_id = match &decoded {
                Ok(msg) => client_id_of(msg),
                Err(e) => e.client_id.clone(),
            };
            return Some(ServerMsg::error(
                ErrorCode::RateLimited,
                "too many frames: slow down and send this again",
                client_id,
            ));
        }
        let msg = match decoded {
            Ok(msg) => msg,
            Err(e) => return Some(ServerMsg::error(e.code, e.message, e.client_id)),
        };
        let client_id = client_id_of(&msg);
        let result = match msg {
            ClientMsg::History {
                room,
                before,
                limit,
            } => {
                let query = HistoryQuery {
                    after: None,
                    before,
                    limit: limit.unwrap_or(HistoryLimit::DEFAULT),
                };
                read_history(self.store.as_ref(), &self.user, &room, query)
                    .await
                    .map(|page| {
                        Some(ServerMsg::History {
                            room,
                            messages: page.messages,
                            more: page.more,
                        })
                    })
            }
            ClientMsg::Read { room, seq } => mark_read(self.store.as_ref(), &self.user, &room, seq)
                .await
                .map(|()| None),
            // The hub queues `joined` itself, in order with the room's messages.
            ClientMsg::Join { room, since } => {
                let asker = self.asker();
                self.chat
                    .join(&self.user, room, since, Some(&asker))
                    .await
                    .map(|_| None)
            }
            ClientMsg::Leave { room } => self.chat.leave(&self.user, room).await.map(Some),
            ClientMsg::Typing { room } => self.chat.typing(&self.user, room).await.map(|()| None),
            ClientMsg::Send {
                room,
                text,
                client_id,
            } => {
                self.post(Post::text(Target::Room(room), text, client_id))
                    .await
            }
            ClientMsg::Dm {
                to,
                text,
                client_id,
            } => {
                self.post(Post::text(Target::User(to), text, client_id))
                    .await
            }
        };
        match result {
            Ok(reply) => reply,
            Err(e) => Some(ServerMsg::error(e.code(), e.to_string(), client_id)),
        }
    }
}

impl SocketContext {
    fn asker(&self) -> Asker {
        Asker {
            conn: self.conn,
            outbox: self.outbox.clone(),
        }
    }

    /// The `ack` (or `error`) arrives in the outbox after the commit, so
    /// the loop reads the next frame at once (pipelined sends).
    async fn post(&self, post: Post) -> Result<Option<ServerMsg>, AppError> {
        let asker = self.asker();
        self.chat
            .post(&self.user, post, Some(&asker))
            .await
            .map(|_| None)
    }

    /// Queues a direct reply in the outbox; a client that asks for page
    /// after page without reading overflows it and is closed (1013).
    fn reply(&self, msg: &ServerMsg) {
        if self.outbox.push(Frame::new(msg)).is_ok() {
            self.metrics.frames_out.fetch_add(1, Relaxed);
        } else {
            self.outbox.close(CloseReason::Overflow);
        }
    }
}

fn client_id_of(msg: &ClientMsg) -> Option<String> {
    match msg {
        ClientMsg::Send { client_id, .. } | ClientMsg::Dm { client_id, .. } => {
            client_id.as_ref().map(|c| c.as_str().to_owned())
        }
        _ => None,
    }
}
