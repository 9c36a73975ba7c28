//! The broker: publish/subscribe of events between nodes.
//!
//! Every node's hub subscribes to one stream of [`BusEvent`]s. The writer
//! publishes each committed log entry (after its commit) with its frame
//! already serialized, so no node serializes it again; typing and presence
//! changes are published without being stored. [`local::LocalBroker`] is the
//! single-node broker (an in-process channel); [`redis::RedisBroker`] adds
//! Redis pub/sub under it for a cluster. Both deliver a node's own events to
//! its own hub in-process, so a node keeps serving its clients while Redis
//! is down.
//!
//! Pub/sub may lose events (a full queue, a dropped connection). Stored
//! events are never lost for good: they carry their global `pos`, a hub that
//! sees a gap or a [`Delivery::Lost`] reads the missing entries from the
//! store. Typing and presence changes are best-effort; presence is repaired
//! by the periodic snapshot (see [`crate::presence`]).

pub mod local;
pub mod redis;

use std::sync::Arc;

use bytestring::ByteString;
use confab_shared::{RoomId, User};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Identifies one WebSocket or SSE connection on its node.
pub type ConnId = u64;
use crate::store::LogEntry;

/// Identifies one server process in a cluster (a fresh UUID per start).
pub type NodeId = Arc<str>;

/// One event on the bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BusEvent {
    /// The node that published it.
    pub node: NodeId,
    pub body: BusBody,
}

// Events travel behind an `Arc` (`Delivery::Event`), so the size of the
// largest variant is paid once per event, not per recipient.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum BusBody {
    /// A committed log entry and its frame, serialized once by the writer.
    Logged {
        entry: LogEntry,
        frame: ByteString,
        /// The connection that caused it (on `node`), which already got its
        /// answer (`ack`, `joined`) and must not get the event again.
        origin: Option<ConnId>,
    },
    /// Someone is typing in a room (not stored).
    Typing {
        room: RoomId,
        user_id: String,
        frame: ByteString,
    },
    /// `user` got their first connection on `node` (`online`), or closed
    /// their last one there. `rooms` are the user's rooms, so that nodes
    /// without the user's rooms cached can tell the right members.
    Presence {
        user: User,
        rooms: Vec<RoomId>,
        online: bool,
    },
    /// A session was ended (logout): every node closes that session's
    /// connections. `session` is the token's hash, never the token.
    SessionEnded { session: String },
}

/// What a subscriber receives.
#[derive(Debug, Clone)]
pub enum Delivery {
    Event(Arc<BusEvent>),
    /// Events may have been lost (a lagging subscriber, a broker
    /// reconnect): catch up from the store.
    Lost,
}

/// Whether the broker reaches the other nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerHealth {
    Ok,
    /// Local delivery goes on; other nodes miss our events until it heals
    /// (they catch up from the store then).
    Degraded(String),
}

pub trait Broker: Send + Sync + 'static {
    /// Hands an event to every node's hub, this one's included. Never
    /// waits: a full queue drops the event (and counts it), which the
    /// store-backed catch-up repairs for stored events.
    fn publish(&self, event: BusEvent);
    /// A new subscription for this node's hub.
    fn subscribe(&self) -> broadcast::Receiver<Delivery>;
    fn health(&self) -> BrokerHealth;
    /// This node's id.
    fn node(&self) -> &NodeId;
}
