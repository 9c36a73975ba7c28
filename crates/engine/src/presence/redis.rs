//! Cluster presence in Redis.
//!
//! Keys (under a prefix, `confab:` by default):
//! - `presence:<node>`: a hash of the node's online users (user id → JSON
//!   of [`OnlineUser`]);
//! - `nodes`: the set of nodes that have a record;
//! - `alive:<node>`: the heartbeat, which expires after the TTL; a node
//!   whose heartbeat is gone is dead and its record is removed by whichever
//!   node notices first.
//!
//! Each node also keeps its own entries in memory and writes them all again
//! when Redis may have lost them (its heartbeat had expired, Redis restarted
//! empty, a write failed), so the record heals within one heartbeat.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use redis::{FromRedisValue, RedisError, Value};

use super::{OnlineUser, Presence, PresenceError, Snapshot, NODE_TTL};
use crate::bus::NodeId;
use crate::redis_link::RedisLink;

/// Removes a dead node's record, unless its heartbeat came back since we
/// looked (atomic, so a node that revives is never removed).
const REMOVE_IF_DEAD: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[2])
    redis.call('SREM', KEYS[3], ARGV[1])
    return 1
end
return 0";

#[derive(Debug, Clone)]
pub struct RedisPresenceOptions {
    /// Prepended to every key (tests use their own).
    pub prefix: String,
    /// How long a heartbeat proves a node alive ([`NODE_TTL`]).
    pub ttl: Duration,
}

impl Default for RedisPresenceOptions {
    fn default() -> Self {
        Self {
            prefix: "confab:".into(),
            ttl: NODE_TTL,
        }
    }
}

/// This node's entries as it knows them.
#[derive(Default)]
struct Mine {
    users: HashMap<String, OnlineUser>,
    /// Bumped on every change, so a rewrite can tell it raced one.
    version: u64,
}

pub struct RedisPresence {
    link: RedisLink,
    node: NodeId,
    options: RedisPresenceOptions,
    hash: String,
    alive: String,
    nodes: String,
    mine: Mutex<Mine>,
    /// Redis may not hold all of `mine`: rewrite it at the next heartbeat.
    dirty: AtomicBool,
    rewrites: AtomicU64,
}

fn unavailable(e: RedisError) -> PresenceError {
    PresenceError(e.to_string())
}

impl RedisPresence {
    /// Connects and records this node as alive; fails if Redis is
    /// unreachable.
    pub async fn connect(url: &str, node: NodeId) -> Result<Self, PresenceError> {
        Self::connect_with(url, node, RedisPresenceOptions::default()).await
    }

    pub async fn connect_with(
        url: &str,
        node: NodeId,
        options: RedisPresenceOptions,
    ) -> Result<Self, PresenceError> {
        let link =
            RedisLink::open(url).map_err(|e| PresenceError(format!("bad Redis URL: {e}")))?;
        let p = &options.prefix;
        let presence = Self {
            hash: format!("{p}presence:{node}"),
            alive: format!("{p}alive:{node}"),
            nodes: format!("{p}nodes"),
            link,
            node,
            options,
            mine: Mutex::new(Mine::default()),
            dirty: AtomicBool::new(false),
            rewrites: AtomicU64::new(0),
        };
        presence.heartbeat().await?;
        Ok(presence)
    }

    /// How often this node rewrote its whole record (for /metrics and
    /// tests).
    pub fn rewrites(&self) -> u64 {
        self.rewrites.load(Ordering::Relaxed)
    }

    fn mine(&self) -> std::sync::MutexGuard<'_, Mine> {
        self.mine.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run<T: FromRedisValue>(
        &self,
        op: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> Result<T, PresenceError> {
        let result = self.link.run(op).await.map_err(unavailable);
        if result.is_err() {
            self.dirty.store(true, Ordering::SeqCst);
        }
        result
    }

    /// Replaces this node's hash with `mine`.
    async fn rewrite(&self) -> Result<(), PresenceError> {
        let (entries, version) = {
            let mine = self.mine();
            let entries: Vec<(String, String)> = mine
                .users
                .iter()
                .filter_map(|(id, user)| Some((id.clone(), serde_json::to_string(user).ok()?)))
                .collect();
            (entries, mine.version)
        };
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("DEL").arg(&self.hash).ignore();
        if !entries.is_empty() {
            pipe.cmd("HSET").arg(&self.hash);
            for (id, json) in &entries {
                pipe.arg(id).arg(json);
            }
            pipe.ignore();
        }
        self.run(async |c| pipe.query_async::<()>(c).await).await?;
        self.rewrites.fetch_add(1, Ordering::Relaxed);
        if self.mine().version != version {
            // A set_online ran meanwhile and its write may have been undone.
            self.dirty.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}

#[async_trait]
impl Presence for RedisPresence {
    async fn set_online(
        &self,
        user_id: &str,
        entry: Option<&OnlineUser>,
    ) -> Result<(), PresenceError> {
        {
            let mut mine = self.mine();
            match entry {
                Some(e) => mine.users.insert(user_id.to_owned(), e.clone()),
                None => mine.users.remove(user_id),
            };
            mine.version += 1;
        }
        match entry {
            Some(e) => {
                let json = serde_json::to_string(e).map_err(|e| PresenceError(e.to_string()))?;
                self.run(async |c| {
                    redis::cmd("HSET")
                        .arg(&self.hash)
                        .arg(user_id)
                        .arg(json)
                        .query_async::<()>(c)
                        .await
                })
                .await
            }
            None => {
                self.run(async |c| {
                    redis::cmd("HDEL")
                        .arg(&self.hash)
                        .arg(user_id)
                        .query_async(c)
                        .await
                })
                .await
            }
        }
    }

    async fn heartbeat(&self) -> Result<(), PresenceError> {
        let ttl_ms = u64::try_from(self.options.ttl.as_millis()).unwrap_or(u64::MAX);
        let (existed,): (bool,) = self
            .run(async |c| {
                redis::pipe()
                    .atomic()
                    .cmd("EXISTS")
                    .arg(&self.alive)
                    .cmd("SET")
                    .arg(&self.alive)
                    .arg(1)
                    .arg("PX")
                    .arg(ttl_ms)
                    .ignore()
                    .cmd("SADD")
                    .arg(&self.nodes)
                    .arg(&*self.node)
                    .ignore()
                    .query_async(c)
                    .await
            })
            .await?;
        // No heartbeat before means Redis may have lost our record (we were
        // taken for dead, or Redis restarted empty).
        if !existed || self.dirty.swap(false, Ordering::SeqCst) {
            self.rewrite().await?;
        }
        Ok(())
    }

    async fn snapshot(&self) -> Result<Snapshot, PresenceError> {
        let members: Vec<String> = self
            .run(async |c| redis::cmd("SMEMBERS").arg(&self.nodes).query_async(c).await)
            .await?;
        let others: Vec<String> = members.into_iter().filter(|n| **n != *self.node).collect();
        let mut pipe = redis::pipe();
        for node in &others {
            let p = &self.options.prefix;
            pipe.cmd("EXISTS").arg(format!("{p}alive:{node}"));
            pipe.cmd("HVALS").arg(format!("{p}presence:{node}"));
        }
        let replies: Vec<Value> = if others.is_empty() {
            Vec::new()
        } else {
            self.run(async |c| pipe.query_async(c).await).await?
        };

        let mut snapshot = Snapshot::default();
        // Our own record is what we know, even if our heartbeat is late.
        let own = self.mine().users.values().cloned().collect();
        snapshot.nodes.insert(self.node.clone(), own);
        for (node, reply) in others.iter().zip(replies.chunks(2)) {
            let [alive, users] = reply else { continue };
            if !bool::from_redis_value(alive).unwrap_or(false) {
                self.remove_if_dead(node).await;
                continue;
            }
            let users: Vec<String> = Vec::from_redis_value(users).unwrap_or_default();
            let users = users
                .iter()
                .filter_map(|json| match serde_json::from_str::<OnlineUser>(json) {
                    Ok(u) => Some(u),
                    Err(e) => {
                        tracing::warn!("presence: unreadable entry of node {node}: {e}");
                        None
                    }
                })
                .collect();
            snapshot.nodes.insert(node.as_str().into(), users);
        }
        Ok(snapshot)
    }

    async fn retire(&self) {
        {
            let mut mine = self.mine();
            mine.users.clear();
            mine.version += 1;
        }
        let result = self
            .run(async |c| {
                redis::pipe()
                    .atomic()
                    .cmd("DEL")
                    .arg(&self.hash)
                    .arg(&self.alive)
                    .ignore()
                    .cmd("SREM")
                    .arg(&self.nodes)
                    .arg(&*self.node)
                    .ignore()
                    .query_async::<()>(c)
                    .await
            })
            .await;
        if let Err(e) = result {
            tracing::warn!("presence: could not retire node {}: {e}", self.node);
        }
    }
}

impl RedisPresence {
    async fn remove_if_dead(&self, node: &str) {
        let p = &self.options.prefix;
        let result = self
            .run(async |c| {
                redis::cmd("EVAL")
                    .arg(REMOVE_IF_DEAD)
                    .arg(3)
                    .arg(format!("{p}alive:{node}"))
                    .arg(format!("{p}presence:{node}"))
                    .arg(&self.nodes)
                    .arg(node)
                    .query_async::<()>(c)
                    .await
            })
            .await;
        if let Err(e) = result {
            tracing::warn!("presence: could not remove dead node {node}: {e}");
        }
    }
}
