//! The single-node broker: an in-process broadcast channel.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::{Broker, BrokerHealth, BusEvent, Delivery, NodeId};

/// Events buffered for a slow hub before it lags (and then catches up from
/// the store).
pub const LOCAL_CAPACITY: usize = 65_536;

pub struct LocalBroker {
    node: NodeId,
    tx: broadcast::Sender<Delivery>,
}

impl LocalBroker {
    pub fn new(node: NodeId) -> Self {
        let (tx, _) = broadcast::channel(LOCAL_CAPACITY);
        Self { node, tx }
    }

    /// Delivers to this node's subscribers only (a cluster broker calls it
    /// for events arriving from Redis).
    pub fn deliver(&self, delivery: Delivery) {
        // No subscriber yet (start-up) is fine: the hub catches up from the
        // store when it starts.
        let _ = self.tx.send(delivery);
    }
}

impl Broker for LocalBroker {
    fn publish(&self, event: BusEvent) {
        self.deliver(Delivery::Event(Arc::new(event)));
    }

    fn subscribe(&self) -> broadcast::Receiver<Delivery> {
        self.tx.subscribe()
    }

    fn health(&self) -> BrokerHealth {
        BrokerHealth::Ok
    }

    fn node(&self) -> &NodeId {
        &self.node
    }
}
