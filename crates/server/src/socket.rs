//! One WebSocket connection, in two tasks: the reader (this one) takes
//! frames from the client, answers them into the connection's outbox and
//! sends the heartbeat; the writer takes the outbox to the wire. The reader
//! never waits for the client to read, so a client that keeps asking
//! without reading fills its own bounded outbox and is closed (1013) like
//! any slow client, instead of stalling the loop with its memory held.
//! Whatever ends the connection, the cleanup after it always runs: the hub
//! forgets the connection (presence goes offline with the user's last one),
//! the close handshake is done and the TCP connection is closed at once.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use actix_http::ws::{CloseCode, CloseReason as WsCloseReason};
use actix_web::web;
use confab_shared::{
    decode, ClientId, ClientMsg, ErrorCode, HistoryLimit, RoomId, ServerMsg, User,
};
use futures_util::FutureExt as _;
use tokio::task::JoinHandle;
use tokio::time::{interval_at, Instant};

use crate::chat::{Asker, Change, Post, Target};
use crate::error::AppError;
use crate::history::{mark_read, read_history, HistoryQuery};
use crate::hub::ConnId;
use crate::outbox::{CloseReason, Frame, Outbox, OutboxReceiver};
use crate::rate_limit::RateLimiter;
use crate::state::AppState;

mod drain;
mod finish;
mod wire;
mod write;

use self::finish::finish;
pub(crate) use self::wire::{open as open_wire, Frames, Session};
use self::wire::{Incoming, WireError};
pub(crate) use self::write::send_text;
use self::write::{write_out, Written};

/// Everything one connection needs besides its socket.
pub struct SocketContext {
    pub conn: ConnId,
    pub user: User,
    /// Client address for logs.
    pub client: String,
    /// The server's shared state (the chat, the store, the hub, the
    /// metrics): one pointer, where copies of its handles cost an idle
    /// socket ~180 bytes.
    pub app: web::Data<AppState>,
    /// This connection's own handle on its outbox: replies that are not
    /// broadcasts (errors, history pages, acks) queue there too, bounded
    /// like everything else.
    pub outbox: Outbox,
    pub heartbeat: Duration,
    /// How long a broadcast may wait for company ([`write_out`]).
    pub write_delay: Duration,
    /// The client asked for [`confab_shared::Framing::Lines`]: several
    /// frames may share one WebSocket text frame.
    pub lines: bool,
    pub client_timeout: Duration,
    pub limiter: RateLimiter,
    /// Its places under the connection limits, given back when it ends.
    pub _admission: crate::routes::Admission,
}

/// The size of a future, as a gauge value: a task keeps this much for as
/// long as it runs, room for its widest state included.
pub(crate) fn future_bytes<F: std::future::Future>(future: &F) -> i64 {
    i64::try_from(std::mem::size_of_val(future)).unwrap_or(i64::MAX)
}

/// How the loop ended.
pub(crate) enum Ending {
    /// The peer is gone; nothing more can be sent.
    Gone,
    /// The server closes with this code, and waits for the client's answer.
    Close(WsCloseReason),
    /// The client closed: answer its close frame; the handshake is done.
    Answer(WsCloseReason),
}

pub(crate) fn close(code: CloseCode, why: &str) -> Ending {
    Ending::Close(WsCloseReason {
        code,
        description: Some(why.to_owned()),
    })
}

pub(crate) fn close_for(reason: CloseReason) -> Ending {
    match reason {
        CloseReason::Overflow => close(CloseCode::Again, "too slow: reconnect and resume"),
        CloseReason::Shutdown => close(CloseCode::Away, "server shutting down"),
        CloseReason::Internal => close(CloseCode::Error, "server error"),
        CloseReason::LoggedOut => close(CloseCode::Policy, "logged out"),
    }
}

/// Queues a ping or pong unless the wire is full (the client is not
/// reading: the heartbeat's timeout or the outbox decides then); `false`
/// if the connection is gone.
fn control(session: &mut Session, pong: Option<&[u8]>) -> bool {
    let sent = match pong {
        Some(bytes) => session.pong(bytes).now_or_never(),
        None => session.ping(b"").now_or_never(),
    };
    !matches!(sent, Some(Err(_)))
}

/// The connection's reader task.
///
/// An `async move` block, not an `async fn`: rustc keeps an async fn's
/// arguments and the locals they move into side by side in its state, so
/// every socket would carry its context, session and stream twice (the
/// reader's future measured 2 752 bytes that way).
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice in its state (see above)"
)]
pub(crate) fn run(
    mut ctx: SocketContext,
    mut session: Session,
    mut stream: Frames,
    outbox: OutboxReceiver,
) -> impl std::future::Future<Output = ()> {
    async move {
        ctx.app.metrics.ws_connections.fetch_add(1, Relaxed);
        ctx.app.metrics.connections_total.fetch_add(1, Relaxed);
        tracing::info!(conn = ctx.conn, user = %ctx.user.name, client = %ctx.client, "websocket open");

        // In a block of its own: rustc keeps a local's room in the state
        // machine until its scope ends, moved out or not, so a writer future
        // named in the loop's scope would stay inside the reader's (856 bytes
        // of an idle socket's 1 888).
        let mut writer: JoinHandle<Written> = {
            let writer = write_out(session.clone(), outbox, ctx.write_delay, ctx.lines);
            ctx.app
                .metrics
                .socket_writer_bytes
                .store(future_bytes(&writer), Relaxed);
            tokio::spawn(writer)
        };
        let mut writer_done = false;
        let mut last_heard = Instant::now();
        let mut heartbeat = interval_at(Instant::now() + ctx.heartbeat, ctx.heartbeat);
        let ending = loop {
            tokio::select! {
                written = &mut writer, if !writer_done => {
                    writer_done = true;
                    match written {
                        Ok(Written::Ended(ending)) => break ending,
                        // Answers every frame already received before closing.
                        // Boxed: the reader's future would otherwise keep room
                        // for this rare state for the socket's whole life.
                        Ok(Written::Shutdown(mut outbox)) => {
                            break Box::pin(drain::on_shutdown(
                                &mut ctx,
                                &mut session,
                                &mut stream,
                                &mut outbox,
                            ))
                            .await;
                        }
                        Err(_) => break Ending::Gone,
                    }
                }
                item = stream.recv() => {
                    let Some(item) = item else { break Ending::Gone };
                    last_heard = Instant::now();
                    // Boxed for the same reason: handling a frame (a post, a
                    // history page) needs far more room than waiting does, and
                    // an idle socket waits almost all the time.
                    if let Some(ending) = Box::pin(ctx.on_item(&mut session, item)).await {
                        break ending;
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > ctx.client_timeout {
                        break close(CloseCode::Policy, "no answer to pings");
                    }
                    if !control(&mut session, None) {
                        break Ending::Gone;
                    }
                }
            }
        };
        // Boxed: closing needs room (timeouts, the close handshake) that the
        // reader's future would otherwise keep for the socket's whole life.
        Box::pin(finish(ctx, session, stream, writer, writer_done, ending)).await;
    }
}

impl SocketContext {
    /// Handles one frame from the client; `Some` ends the connection.
    async fn on_item(
        &mut self,
        session: &mut Session,
        item: Result<Incoming, WireError>,
    ) -> Option<Ending> {
        match item {
            Ok(Incoming::Text(text)) => {
                if let Some(reply) = self.on_text(&text).await {
                    self.reply(&reply);
                }
            }
            Ok(Incoming::Binary) => {
                self.reply(&ServerMsg::error(
                    ErrorCode::BinaryUnsupported,
                    "binary frames are not supported: send JSON text frames",
                    None,
                ));
            }
            Ok(Incoming::Ping(bytes)) => {
                if !control(session, Some(&bytes[..])) {
                    return Some(Ending::Gone);
                }
            }
            Ok(Incoming::Pong(_)) => {}
            Ok(Incoming::Close(reason)) => {
                return Some(Ending::Answer(reason.unwrap_or_else(wire::normal)));
            }
            Err(WireError::FrameTooBig) => {
                return Some(close(CloseCode::Size, "frame larger than 64 KiB"));
            }
            Err(WireError::MessageTooBig) => {
                return Some(close(CloseCode::Size, "message larger than 64 KiB"));
            }
            Err(e) => {
                tracing::debug!(conn = self.conn, error = %e, "websocket protocol error");
                return Some(close(CloseCode::Protocol, "protocol error"));
            }
        }
        None
    }

    /// Handles one text frame; returns a frame to answer with directly (an
    /// error, or a history page), while hub replies arrive via the outbox.
    async fn on_text(&mut self, text: &str) -> Option<ServerMsg> {
        self.app.metrics.frames_in.fetch_add(1, Relaxed);
        let decoded = decode(text);
        if !self.limiter.allow() {
            self.app.metrics.rate_limited.fetch_add(1, Relaxed);
            let client_id = match &decoded {
                Ok(msg) => client_id_of(msg),
                Err(e) => e.client_id.clone(),
            };
            return Some(ServerMsg::rate_limited(
                "too many frames: slow down and send this again",
                client_id,
                1,
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
                read_history(self.app.store.as_ref(), &self.user, &room, query)
                    .await
                    .map(|page| {
                        Some(ServerMsg::History {
                            room,
                            messages: page.messages,
                            more: page.more,
                        })
                    })
            }
            ClientMsg::Read { room, seq } => {
                mark_read(self.app.store.as_ref(), &self.user, &room, seq)
                    .await
                    .map(|()| None)
            }
            // The hub queues `joined` itself, in order with the room's messages.
            ClientMsg::Join {
                room,
                since,
                password,
            } => {
                let asker = self.asker();
                self.app
                    .chat
                    .join(&self.user, room, since, password, Some(&asker))
                    .await
                    .map(|_| None)
            }
            ClientMsg::Moderate {
                room,
                action,
                client_id,
            } => {
                let asker = self.asker();
                self.app
                    .chat
                    .moderate(&self.user, room, action, client_id, Some(&asker))
                    .await
                    .map(|_| None)
            }
            ClientMsg::Leave { room } => self.app.chat.leave(&self.user, room).await.map(Some),
            ClientMsg::Typing { room } => {
                self.app.chat.typing(&self.user, room).await.map(|()| None)
            }
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
            ClientMsg::Edit {
                room,
                seq,
                text,
                client_id,
            } => self.change(room, seq, Change::Edit(text), client_id).await,
            ClientMsg::Delete {
                room,
                seq,
                client_id,
            } => self.change(room, seq, Change::Delete, client_id).await,
        };
        match result {
            Ok(reply) => reply,
            Err(e) => {
                // In the connection's span, which carries its request id.
                e.log();
                Some(e.frame(client_id))
            }
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
        self.app
            .chat
            .post(&self.user, post, Some(&asker))
            .await
            .map(|_| None)
    }

    /// Like [`SocketContext::post`], for an edit or deletion.
    async fn change(
        &self,
        room: RoomId,
        seq: u64,
        change: Change,
        client_id: Option<ClientId>,
    ) -> Result<Option<ServerMsg>, AppError> {
        let asker = self.asker();
        self.app
            .chat
            .change(&self.user, room, seq, change, client_id, Some(&asker))
            .await
            .map(|_| None)
    }

    /// Queues a direct reply in the outbox; a client that asks for page
    /// after page without reading overflows it and is closed (1013).
    fn reply(&self, msg: &ServerMsg) {
        if self.outbox.push(Frame::new(msg)).is_ok() {
            self.app.metrics.frames_out.fetch_add(1, Relaxed);
        } else {
            self.outbox.close(CloseReason::Overflow);
        }
    }
}

fn client_id_of(msg: &ClientMsg) -> Option<String> {
    match msg {
        ClientMsg::Send { client_id, .. }
        | ClientMsg::Dm { client_id, .. }
        | ClientMsg::Edit { client_id, .. }
        | ClientMsg::Delete { client_id, .. } => client_id.as_ref().map(|c| c.as_str().to_owned()),
        _ => None,
    }
}
