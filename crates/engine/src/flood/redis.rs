//! Cluster flood control in Redis: one key per user (`flood:<user id>`
//! under the prefix) holding the user's GCRA arrival time, read and moved
//! by one atomic script on Redis's own clock, so every node applies the
//! same allowance whatever its own clock says. A key expires once its
//! user's whole burst is back.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError};

use super::{retry_after_secs, FloodGate, SendRate};

/// How long a connection attempt or a command may take.
const TIMEOUT: Duration = Duration::from_secs(1);

/// GCRA on Redis's clock (`TIME`): KEYS[1] the user's key, ARGV[1] the
/// interval in milliseconds, ARGV[2] the burst. Returns 0 when the send is
/// allowed (and moves the arrival time), else the milliseconds to wait.
/// The same step as [`super::gcra`].
const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_from = tat - (burst - 1) * interval
if now < allowed_from then
    return math.ceil(allowed_from - now)
end
local next = tat + interval
redis.call('SET', KEYS[1], tostring(next), 'PX', math.ceil(next - now) + 1000)
return 0";

pub struct RedisFloodGate {
    client: Client,
    rate: SendRate,
    prefix: String,
    /// Dropped after a failure; the next call connects again.
    conn: Mutex<Option<MultiplexedConnection>>,
}

impl RedisFloodGate {
    /// A gate on the Redis at `url`, its keys under `prefix` (`confab:`).
    pub fn new(url: &str, prefix: &str, rate: SendRate) -> Result<Self, RedisError> {
        Ok(Self {
            client: Client::open(url)?,
            rate,
            prefix: prefix.to_owned(),
            conn: Mutex::new(None),
        })
    }

    async fn conn(&self) -> Result<MultiplexedConnection, RedisError> {
        let cached = self.conn.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(conn) = cached {
            return Ok(conn);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT);
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        Ok(conn)
    }

    async fn wait_ms(&self, user_id: &str) -> Result<f64, RedisError> {
        let mut conn = self.conn().await?;
        let result = redis::cmd("EVAL")
            .arg(TAKE)
            .arg(1)
            .arg(format!("{}flood:{user_id}", self.prefix))
            .arg(self.rate.interval_ms())
            .arg(self.rate.burst())
            .query_async::<i64>(&mut conn)
            .await;
        if result.is_err() {
            *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        result.map(|ms| ms as f64)
    }
}

#[async_trait]
impl FloodGate for RedisFloodGate {
    async fn take(&self, user_id: &str) -> Result<(), u64> {
        match self.wait_ms(user_id).await {
            Ok(ms) if ms > 0.0 => Err(retry_after_secs(ms)),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!("flood control: Redis unavailable, letting a send through: {e}");
                Ok(())
            }
        }
    }
}
