//! The broker's two tasks, each with its own connection: the publisher
//! (queue → PUBLISH, in pipelined batches) and the subscriber (SUBSCRIBE →
//! local delivery). Both reconnect every `retry_every` until the broker
//! stops them.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSub};
use redis::{AsyncConnectionConfig, Client, Msg};
use tokio::sync::{mpsc, watch, Notify};

use super::wire::{decode, encode, encode_resync, Incoming};
use super::{RedisBrokerOptions, Shared, MAX_BATCH, PING_EVERY, TIMEOUT};
use crate::bus::{Broker, BusEvent, Delivery};

pub(super) async fn publisher_connection(client: &Client) -> Result<MultiplexedConnection, String> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(TIMEOUT)
        .set_response_timeout(TIMEOUT);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| e.to_string())
}

pub(super) async fn subscription(client: &Client, channel: &str) -> Result<PubSub, String> {
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

pub(super) struct Publisher {
    pub(super) shared: Arc<Shared>,
    pub(super) client: Client,
    pub(super) options: RedisBrokerOptions,
    pub(super) stop: watch::Receiver<bool>,
}

impl Publisher {
    pub(super) async fn run(
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

pub(super) struct Subscriber {
    /// How our own events begin on the wire.
    pub(super) own: Vec<u8>,
    pub(super) shared: Arc<Shared>,
    pub(super) client: Client,
    pub(super) options: RedisBrokerOptions,
    pub(super) stop: watch::Receiver<bool>,
}

impl Subscriber {
    pub(super) async fn run(mut self, mut first: Option<PubSub>) {
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
