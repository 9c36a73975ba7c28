//! The hub's typed commands and the cloneable handle sessions use to send them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use confab_shared::{Attachment, ClientId, MessageText, RoomId, ServerMsg, User, UserName};
use tokio::sync::{mpsc, oneshot};

use crate::error::AppError;
use crate::outbox::Outbox;

/// Identifies one WebSocket or SSE connection.
pub type ConnId = u64;

/// Where the answer to an [`Action`] goes.
pub enum Origin {
    /// A socket or event stream: the reply frame goes to its outbox.
    Conn(ConnId),
    /// An HTTP request waiting for its answer.
    Http(oneshot::Sender<Result<ServerMsg, AppError>>),
}

/// Where a post goes.
#[derive(Debug, Clone)]
pub enum Target {
    Room(RoomId),
    /// The direct conversation with this user.
    User(UserName),
}

/// Something a user asks the hub to do.
#[derive(Debug, Clone)]
pub enum Action {
    Join {
        room: RoomId,
        since: Option<u64>,
    },
    Leave {
        room: RoomId,
    },
    Post {
        target: Target,
        /// Already validated (`MessageText`, or an empty caption when there
        /// is an attachment).
        text: String,
        client_id: Option<ClientId>,
        attachment: Option<Attachment>,
    },
    Typing {
        room: RoomId,
    },
}

impl Action {
    /// A text post without an attachment.
    pub fn post(target: Target, text: MessageText, client_id: Option<ClientId>) -> Self {
        Self::Post {
            target,
            text: text.into(),
            client_id,
            attachment: None,
        }
    }
}

pub enum Command {
    Connect {
        conn: ConnId,
        user: User,
        outbox: Outbox,
    },
    Disconnect {
        conn: ConnId,
    },
    Act {
        user: User,
        origin: Origin,
        action: Action,
    },
    /// How many members of each room are online right now.
    OnlineCounts {
        rooms: Vec<RoomId>,
        reply: oneshot::Sender<Vec<u32>>,
    },
    /// Flush, tell every connection goodbye (1001), and stop.
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

    pub async fn connect(&self, conn: ConnId, user: User, outbox: Outbox) -> Result<(), HubGone> {
        self.send(Command::Connect { conn, user, outbox }).await
    }

    pub async fn disconnect(&self, conn: ConnId) {
        // If the hub is gone it has forgotten every connection already.
        let _ = self.send(Command::Disconnect { conn }).await;
    }

    /// Runs an action for an HTTP request and waits for its reply frame.
    pub async fn act_http(&self, user: User, action: Action) -> Result<ServerMsg, AppError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Act {
            user,
            origin: Origin::Http(reply),
            action,
        })
        .await?;
        rx.await.map_err(|_| AppError::from(HubGone))?
    }

    pub async fn online_counts(&self, rooms: Vec<RoomId>) -> Result<Vec<u32>, HubGone> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::OnlineCounts { rooms, reply }).await?;
        rx.await.map_err(|_| HubGone)
    }

    /// Asks the hub to flush and close every connection; returns when done.
    pub async fn shutdown(&self) {
        let (done, rx) = oneshot::channel();
        if self.send(Command::Shutdown { done }).await.is_ok() {
            let _ = rx.await;
        }
    }
}
