//! Presence: who is online, across nodes.
//!
//! The hub keeps the view it answers from in memory (it never waits on
//! I/O); this module keeps the shared record that lets a node rebuild that
//! view and notice dead nodes. Each node records its own online users;
//! the server's presence task refreshes the node's heartbeat and takes a
//! [`Snapshot`] every few seconds, which the hub diffs against its view:
//! users of a node whose heartbeat expired go offline (within 15 s of a
//! `kill -9`), users it missed come online.
//!
//! [`memory::MemoryPresence`] is the single-node record (this node only);
//! [`redis::RedisPresence`] keeps it in Redis for a cluster.

pub mod memory;
pub mod redis;

use std::collections::HashMap;

use async_trait::async_trait;
use confab_shared::{RoomId, User};

use crate::bus::NodeId;

/// How often a node refreshes its heartbeat and takes a snapshot.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
/// A node whose heartbeat is older than this is dead.
pub const NODE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
#[error("presence store unavailable: {0}")]
pub struct PresenceError(pub String);

/// One online user as recorded by the node that has their connections.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OnlineUser {
    pub user: User,
    pub rooms: Vec<RoomId>,
}

/// Every live node's online users.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub nodes: HashMap<NodeId, Vec<OnlineUser>>,
}

#[async_trait]
pub trait Presence: Send + Sync + 'static {
    /// Records that `user` has a connection on this node (`Some`), or no
    /// longer has one (`None` for `user_id`'s entry).
    async fn set_online(
        &self,
        user_id: &str,
        entry: Option<&OnlineUser>,
    ) -> Result<(), PresenceError>;
    /// Proves this node is alive for another [`NODE_TTL`].
    async fn heartbeat(&self) -> Result<(), PresenceError>;
    /// Every live node's online users; removes what dead nodes left behind.
    async fn snapshot(&self) -> Result<Snapshot, PresenceError>;
    /// Removes this node's record (clean shutdown).
    async fn retire(&self);
}
