//! The hub's typed commands and the cloneable handle sessions use to send them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use confab_engine::presence::Snapshot;
use confab_engine::store::{LogEntry, Membership};
use confab_shared::{RoomId, User};
use tokio::sync::{mpsc, oneshot};

pub use confab_engine::bus::ConnId;

use crate::error::AppError;
use crate::outbox::{Frame, Outbox};

pub enum Command {
    /// A new connection of `user`, a member of `rooms` (read from the store
    /// by the session, so the hub never waits for it). The hub queues its
    /// `welcome`.
    Connect {
        conn: ConnId,
        user: User,
        /// The session (token hash) it was opened with, so logging out
        /// closes it.
        session: String,
        outbox: Outbox,
        rooms: Vec<Membership>,
    },
    /// The session (token hash) was ended: close its connections here (1008)
    /// and tell every other node to close theirs.
    EndSession {
        session: String,
    },
    Disconnect {
        conn: ConnId,
    },
    /// `conn` is about to join `room`: start tracking the room, but let
    /// [`Command::Subscribe`] (not the membership event) add the connection,
    /// so it gets its `joined` page before any live message.
    Joining {
        conn: ConnId,
        room: RoomId,
    },
    /// The join failed: forget [`Command::Joining`].
    JoinFailed {
        conn: ConnId,
        room: RoomId,
    },
    /// Queue `joined` (whose page ends at seq `after`) for `conn`, then
    /// route the room's messages after `after` to it. Answers `false` when
    /// the hub already delivered messages past `after` that it can no
    /// longer replay: the session reads the page again.
    Subscribe {
        conn: ConnId,
        room: RoomId,
        after: u64,
        joined: Frame,
        reply: oneshot::Sender<bool>,
    },
    /// Whether each user is online (cluster-wide).
    OnlineFlags {
        user_ids: Vec<String>,
        reply: oneshot::Sender<Vec<bool>>,
    },
    /// Log entries read from the store (a gap or a catch-up); `full` when
    /// the read hit its limit and more may follow.
    Fill {
        entries: Vec<LogEntry>,
        full: bool,
    },
    /// The store's newest position (the periodic position check).
    StoreAt {
        pos: i64,
    },
    /// Every live node's online users (the periodic presence check).
    Snapshot(Snapshot),
    /// Tell every connection goodbye (1001), and stop.
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// The hub has stopped (the server is shutting down).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the server is shutting down")]
pub struct HubGone;

impl From<HubGone> for AppError {
    fn from(_: HubGone) -> Self {
        AppError::Unavailable("the server is shutting down".into())
    }
}

/// Cheap to clone; every session holds one.
#[derive(Clone)]
pub struct HubHandle {
    tx: mpsc::Sender<Command>,
    next_conn: Arc<AtomicU64>,
}

impl HubHandle {
    pub(super) fn new(tx: mpsc::Sender<Command>) -> Self {
        Self {
            tx,
            next_conn: Arc::new(AtomicU64::new(1)),
        }
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends a command, waiting for room in the (bounded) queue: a busy hub
    /// slows its clients down instead of growing without limit.
    pub async fn send(&self, cmd: Command) -> Result<(), HubGone> {
        self.tx.send(cmd).await.map_err(|_| HubGone)
    }

    /// Sends a command without waiting (background tasks that must never
    /// block on the hub); false if the queue is full or the hub gone.
    pub fn try_send(&self, cmd: Command) -> bool {
        self.tx.try_send(cmd).is_ok()
    }

    pub async fn disconnect(&self, conn: ConnId) {
        // If the hub is gone it has forgotten every connection already.
        let _ = self.send(Command::Disconnect { conn }).await;
    }

    /// Closes every connection of a session that was just deleted, on
    /// every node.
    pub async fn end_session(&self, session: String) -> Result<(), HubGone> {
        self.send(Command::EndSession { session }).await
    }

    pub async fn online_flags(&self, user_ids: Vec<String>) -> Result<Vec<bool>, HubGone> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::OnlineFlags { user_ids, reply }).await?;
        rx.await.map_err(|_| HubGone)
    }

    /// Asks the hub to close every connection; returns when done.
    pub async fn shutdown(&self) {
        let (done, rx) = oneshot::channel();
        if self.send(Command::Shutdown { done }).await.is_ok() {
            let _ = rx.await;
        }
    }
}
