//! The cluster broker: Redis pub/sub under a [`LocalBroker`].
//!
//! [`RedisBroker::publish`] delivers to this node's own hub in-process at
//! once (so a node keeps serving its clients while Redis is down) and hands
//! the event to a publisher task through a bounded queue; a subscriber task
//! delivers the other nodes' events. Each task owns one connection and
//! reconnects on its own every `retry_every`.
//!
//! Losses are repaired, not prevented: after the subscription comes back the
//! subscriber delivers [`Delivery::Lost`] (the hub catches up from the
//! store); after the publisher comes back it publishes a resync marker so
//! that the other nodes do the same for the events it may have dropped.
//!
//! Events are serialized once, the frame untouched (see [`wire`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::Client;
use tokio::sync::{broadcast, mpsc, watch, Notify};
use tokio::task::JoinHandle;

mod tasks;
mod wire;

use super::local::LocalBroker;
use super::{Broker, BrokerHealth, BusEvent, Delivery, NodeId};
use tasks::{publisher_connection, subscription, Publisher, Subscriber};
use wire::header_prefix;

/// The broker could not start.
#[derive(Debug, thiserror::Error)]
#[error("redis broker: {0}")]
pub struct BrokerError(pub String);

/// How long a connection attempt or a command may take before Redis counts
/// as unreachable.
const TIMEOUT: Duration = Duration::from_secs(1);
/// An idle connection is pinged this often, so that `health()` notices a
/// dead Redis without waiting for the next event.
const PING_EVERY: Duration = Duration::from_secs(1);
/// Events sent in one pipeline (one round trip) when the queue backs up.
const MAX_BATCH: usize = 256;

#[derive(Debug, Clone)]
pub struct RedisBrokerOptions {
    /// The pub/sub channel every node of the cluster shares.
    pub channel: String,
    /// Events waiting for the publisher; more are dropped (and counted).
    pub queue: usize,
    /// Pause between reconnection attempts.
    pub retry_every: Duration,
}

impl Default for RedisBrokerOptions {
    fn default() -> Self {
        Self {
            channel: "confab:events".into(),
            queue: 8192,
            retry_every: Duration::from_millis(500),
        }
    }
}

/// Counters for /metrics, totals since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BrokerStats {
    /// Events published to Redis.
    pub published: u64,
    /// Events other nodes never got from us: the queue was full, or Redis
    /// failed while publishing them.
    pub publish_dropped: u64,
    /// Events received from other nodes.
    pub received: u64,
    /// Connections re-established after a loss (publisher and subscriber).
    pub reconnects: u64,
}

/// What the broker and its tasks share.
struct Shared {
    local: LocalBroker,
    publisher_up: AtomicBool,
    subscriber_up: AtomicBool,
    last_error: Mutex<String>,
    published: AtomicU64,
    publish_dropped: AtomicU64,
    received: AtomicU64,
    reconnects: AtomicU64,
    /// The subscription was lost: the publisher's connection probably was
    /// too, so it pings at once instead of at its next idle ping.
    check: Notify,
}

impl Shared {
    fn down(&self, side: &AtomicBool, what: &str, err: impl std::fmt::Display) {
        if side.swap(false, Ordering::SeqCst) {
            tracing::warn!("redis broker: {what} lost: {err}");
        }
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = format!("{what}: {err}");
    }

    fn up(&self, side: &AtomicBool, what: &str) {
        side.store(true, Ordering::SeqCst);
        self.reconnects.fetch_add(1, Ordering::Relaxed);
        tracing::info!("redis broker: {what} reconnected");
    }
}

pub struct RedisBroker {
    shared: Arc<Shared>,
    queue: mpsc::Sender<Arc<BusEvent>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RedisBroker {
    /// Connects both connections before returning, so that a node started
    /// without a reachable Redis fails at once instead of running degraded.
    pub async fn connect(url: &str, node: NodeId) -> Result<Self, BrokerError> {
        Self::connect_with(url, node, RedisBrokerOptions::default()).await
    }

    pub async fn connect_with(
        url: &str,
        node: NodeId,
        options: RedisBrokerOptions,
    ) -> Result<Self, BrokerError> {
        let client = Client::open(url).map_err(|e| BrokerError(format!("bad Redis URL: {e}")))?;
        let addr = client.get_connection_info().addr.to_string();
        let unreachable = |e: String| BrokerError(format!("cannot reach Redis at {addr}: {e}"));
        let conn = publisher_connection(&client).await.map_err(unreachable)?;
        let pubsub = subscription(&client, &options.channel)
            .await
            .map_err(unreachable)?;

        let shared = Arc::new(Shared {
            local: LocalBroker::new(node),
            publisher_up: AtomicBool::new(true),
            subscriber_up: AtomicBool::new(true),
            last_error: Mutex::new(String::new()),
            published: AtomicU64::new(0),
            publish_dropped: AtomicU64::new(0),
            received: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            check: Notify::new(),
        });
        let (queue, rx) = mpsc::channel(options.queue.max(1));
        let (shutdown, stop) = watch::channel(false);
        let publisher = Publisher {
            shared: shared.clone(),
            client: client.clone(),
            options: options.clone(),
            stop: stop.clone(),
        };
        let subscriber = Subscriber {
            own: header_prefix(shared.local.node()),
            shared: shared.clone(),
            client,
            options,
            stop,
        };
        let tasks = vec![
            tokio::spawn(publisher.run(Some(conn), rx)),
            tokio::spawn(subscriber.run(Some(pubsub))),
        ];
        Ok(Self {
            shared,
            queue,
            shutdown,
            tasks,
        })
    }

    pub fn stats(&self) -> BrokerStats {
        let s = &self.shared;
        BrokerStats {
            published: s.published.load(Ordering::Relaxed),
            publish_dropped: s.publish_dropped.load(Ordering::Relaxed),
            received: s.received.load(Ordering::Relaxed),
            reconnects: s.reconnects.load(Ordering::Relaxed),
        }
    }

    /// Stops both tasks (they also stop when the broker is dropped); local
    /// delivery goes on.
    pub fn close(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for RedisBroker {
    fn drop(&mut self) {
        self.close();
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Broker for RedisBroker {
    fn publish(&self, event: BusEvent) {
        let event = Arc::new(event);
        self.shared.local.deliver(Delivery::Event(event.clone()));
        if self.queue.try_send(event).is_err() {
            self.shared.publish_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Delivery> {
        self.shared.local.subscribe()
    }

    fn health(&self) -> BrokerHealth {
        let s = &self.shared;
        if s.publisher_up.load(Ordering::SeqCst) && s.subscriber_up.load(Ordering::SeqCst) {
            BrokerHealth::Ok
        } else {
            let err = s.last_error.lock().unwrap_or_else(|p| p.into_inner());
            BrokerHealth::Degraded(format!("redis unreachable: {err}"))
        }
    }

    fn node(&self) -> &NodeId {
        self.shared.local.node()
    }
}
