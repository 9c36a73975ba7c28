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

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSub};
use redis::{AsyncConnectionConfig, Client, Msg};
use tokio::sync::{broadcast, mpsc, watch, Notify};
use tokio::task::JoinHandle;

mod wire;

use super::local::LocalBroker;
use super::{Broker, BrokerHealth, BusEvent, Delivery, NodeId};
use wire::{decode, encode, encode_resync, header_prefix, Incoming};

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

async fn publisher_connection(client: &Client) -> Result<MultiplexedConnection, String> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(TIMEOUT)
        .set_response_timeout(TIMEOUT);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| e.to_string())
}

async fn subscription(client: &Client, channel: &str) -> Result<PubSub, String> {
    let subscribe = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    match tokio::time::timeout(TIMEOUT, subscribe).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Waits `pause` unless the broker shuts down first (then true).
async fn stopped_during(pause: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = stop.changed() => true,
        _ = tokio::time::sleep(pause) => *stop.borrow(),
    }
}

/// Resolves when the publisher should check its connection.
async fn ping_now(check: &Notify) {
    tokio::select! {
        _ = check.notified() => {}
        _ = tokio::time::sleep(PING_EVERY) => {}
    }
}

struct Publisher {
    shared: Arc<Shared>,
    client: Client,
    options: RedisBrokerOptions,
    stop: watch::Receiver<bool>,
}

impl Publisher {
    async fn run(
        mut self,
        mut conn: Option<MultiplexedConnection>,
        mut rx: mpsc::Receiver<Arc<BusEvent>>,
    ) {
        let shared = self.shared.clone();
        let up = &shared.publisher_up;
        // Set after a loss: tell the other nodes to catch up once we are back.
        let mut resync = false;
        loop {
            let Some(c) = conn.as_mut() else {
                match publisher_connection(&self.client).await {
                    Ok(c) => {
                        conn = Some(c);
                        shared.up(up, "publisher");
                    }
                    Err(e) => {
                        shared.down(up, "publisher", e);
                        // Events queued meanwhile would reach the others
                        // stale (typing) or be read from the store anyway
                        // after the resync: drop them rather than send a
                        // burst when Redis is back.
                        while rx.try_recv().is_ok() {
                            shared.publish_dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        if stopped_during(self.options.retry_every, &mut self.stop).await {
                            return;
                        }
                    }
                }
                continue;
            };
            if resync {
                let marker = encode_resync(shared.local.node());
                match redis::cmd("PUBLISH")
                    .arg(&self.options.channel)
                    .arg(marker)
                    .exec_async(c)
                    .await
                {
                    Ok(()) => resync = false,
                    Err(e) => {
                        shared.down(up, "publisher", e);
                        conn = None;
                    }
                }
                continue;
            }
            let first = tokio::select! {
                _ = self.stop.changed() => return,
                event = rx.recv() => match event {
                    Some(event) => event,
                    None => return,
                },
                _ = ping_now(&shared.check) => {
                    if let Err(e) = redis::cmd("PING").exec_async(c).await {
                        shared.down(up, "publisher", e);
                        conn = None;
                        resync = true;
                    }
                    continue;
                }
            };
            let mut pipe = redis::pipe();
            let mut count = 0u64;
            let mut next = Some(first);
            while let Some(event) = next.take() {
                match encode(&event) {
                    Ok(payload) => {
                        pipe.cmd("PUBLISH")
                            .arg(&self.options.channel)
                            .arg(payload)
                            .ignore();
                        count += 1;
                    }
                    Err(e) => {
                        tracing::error!("redis broker: cannot encode an event: {e}");
                        shared.publish_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if count < MAX_BATCH as u64 {
                    next = rx.try_recv().ok();
                }
            }
            if count == 0 {
                continue;
            }
            match pipe.exec_async(c).await {
                Ok(()) => {
                    shared.published.fetch_add(count, Ordering::Relaxed);
                }
                Err(e) => {
                    // Some of the batch may have gone out; resending could
                    // duplicate it, so drop it and let the resync repair.
                    shared.publish_dropped.fetch_add(count, Ordering::Relaxed);
                    shared.down(up, "publisher", e);
                    conn = None;
                    resync = true;
                }
            }
        }
    }
}

struct Subscriber {
    /// How our own events begin on the wire.
    own: Vec<u8>,
    shared: Arc<Shared>,
    client: Client,
    options: RedisBrokerOptions,
    stop: watch::Receiver<bool>,
}

impl Subscriber {
    async fn run(mut self, mut first: Option<PubSub>) {
        let shared = self.shared.clone();
        let up = &shared.subscriber_up;
        loop {
            let pubsub = match first.take() {
                Some(p) => p,
                None => match subscription(&self.client, &self.options.channel).await {
                    Ok(p) => {
                        shared.up(up, "subscription");
                        // Subscribed first, then told to catch up: anything
                        // committed from here on also arrives on the channel.
                        shared.local.deliver(Delivery::Lost);
                        p
                    }
                    Err(e) => {
                        shared.down(up, "subscription", e);
                        if stopped_during(self.options.retry_every, &mut self.stop).await {
                            return;
                        }
                        continue;
                    }
                },
            };
            let (mut sink, mut stream) = pubsub.split();
            let err = loop {
                tokio::select! {
                    _ = self.stop.changed() => return,
                    msg = stream.next() => match msg {
                        Some(msg) => self.receive(&msg),
                        None => break "connection closed".to_owned(),
                    },
                    // After a quiet second, a ping catches a connection
                    // that died silently (traffic proves it alive).
                    _ = tokio::time::sleep(PING_EVERY) => {
                        match tokio::time::timeout(TIMEOUT, sink.ping::<redis::Value>()).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => break e.to_string(),
                            Err(_) => break "ping timed out".to_owned(),
                        }
                    }
                }
            };
            shared.down(up, "subscription", err);
            shared.check.notify_one();
            if stopped_during(self.options.retry_every, &mut self.stop).await {
                return;
            }
        }
    }

    fn receive(&self, msg: &Msg) {
        let shared = &self.shared;
        let payload = msg.get_payload_bytes();
        if payload.starts_with(&self.own) {
            // Our own events were delivered locally when published.
            return;
        }
        match decode(payload) {
            Ok(Incoming::Resync(node)) if node == *shared.local.node() => {}
            Ok(Incoming::Event(event)) if event.node == *shared.local.node() => {}
            Ok(Incoming::Resync(_)) => shared.local.deliver(Delivery::Lost),
            Ok(Incoming::Event(event)) => {
                shared.received.fetch_add(1, Ordering::Relaxed);
                shared.local.deliver(Delivery::Event(event));
            }
            Err(e) => {
                // It may have been a stored event: catch up rather than
                // leave a hole until the next one shows the gap.
                tracing::warn!("redis broker: unreadable message: {e}");
                shared.local.deliver(Delivery::Lost);
            }
        }
    }
}
