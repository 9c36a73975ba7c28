//! Cluster flood control in Redis: one key per user (`flood:<user id>`
//! under the prefix) holding the user's GCRA arrival time, read and moved
//! by one atomic script on Redis's own clock, so every node applies the
//! same allowance whatever its own clock says. A key expires once its
//! user's whole burst is back.

use async_trait::async_trait;
use redis::RedisError;

use super::{retry_after_secs, FloodGate, SendRate};
use crate::redis_link::RedisLink;

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
    link: RedisLink,
    rate: SendRate,
    prefix: String,
}

impl RedisFloodGate {
    /// A gate on the Redis at `url`, its keys under `prefix` (`confab:`).
    pub fn new(url: &str, prefix: &str, rate: SendRate) -> Result<Self, RedisError> {
        Ok(Self {
            link: RedisLink::open(url)?,
            rate,
            prefix: prefix.to_owned(),
        })
    }

    async fn wait_ms(&self, user_id: &str) -> Result<f64, RedisError> {
        let key = format!("{}flood:{user_id}", self.prefix);
        let ms = self
            .link
            .run(async |conn| {
                redis::cmd("EVAL")
                    .arg(TAKE)
                    .arg(1)
                    .arg(&key)
                    .arg(self.rate.interval_ms())
                    .arg(self.rate.burst())
                    .query_async::<i64>(conn)
                    .await
            })
            .await?;
        Ok(ms as f64)
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
