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

use crate::error::AppError;
use crate::history::{mark_read, read_history, HistoryQuery};
use crate::hub::{Action, Command, ConnId, HubHandle, Origin, Target};
use crate::metrics::Metrics;
use crate::outbox::{CloseReason, Next, OutboxReceiver};
use crate::rate_limit::RateLimiter;
use crate::store::Store;

/// How long a close frame may wait for a client that stopped reading.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything one connection needs besides its socket.
pub struct SocketContext {
    pub conn: ConnId,
    pub user: User,
    /// Client address for logs.
    pub client: String,
    pub hub: HubHandle,
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
                            if session.text(reply.to_json()).await.is_err() {
                                break Ending::Gone;
                            }
                        }
                    }
                    Ok(AggregatedMessage::Binary(_)) => {
                        let reply = ServerMsg::error(
                            ErrorCode::BinaryUnsupported,
                            "binary frames are not supported: send JSON text frames",
                            None,
                        );
                        if session.text(reply.to_json()).await.is_err() {
                            break Ending::Gone;
                        }
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
            ClientMsg::Join { room, since } => self.act(Action::Join { room, since }).await,
            ClientMsg::Leave { room } => self.act(Action::Leave { room }).await,
            ClientMsg::Typing { room } => self.act(Action::Typing { room }).await,
            ClientMsg::Send {
                room,
                text,
                client_id,
            } => {
                self.act(Action::post(Target::Room(room), text, client_id))
                    .await
            }
            ClientMsg::Dm {
                to,
                text,
                client_id,
            } => {
                self.act(Action::post(Target::User(to), text, client_id))
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
    /// Hands an action to the hub; its reply arrives through the outbox.
    async fn act(&self, action: Action) -> Result<Option<ServerMsg>, AppError> {
        let cmd = Command::Act {
            user: self.user.clone(),
            origin: Origin::Conn(self.conn),
            action,
        };
        self.hub.send(cmd).await?;
        Ok(None)
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
