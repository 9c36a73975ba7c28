//! One multiplexed Redis connection, made on first use and made again on
//! the next use after a failure: what the presence record and the flood
//! gate share (the broker keeps its own, with a subscription beside it).

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisResult};

/// How long a connection attempt or a command may take.
pub const TIMEOUT: Duration = Duration::from_secs(1);

pub struct RedisLink {
    client: Client,
    /// Dropped after a failure; the next call connects again.
    conn: Mutex<Option<MultiplexedConnection>>,
}

impl RedisLink {
    /// A link to the Redis at `url`; connects on first use.
    pub fn open(url: &str) -> RedisResult<Self> {
        Ok(Self {
            client: Client::open(url)?,
            conn: Mutex::new(None),
        })
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn conn(&self) -> RedisResult<MultiplexedConnection> {
        let cached = self.cached().clone();
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
        *self.cached() = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `op` on the connection; a failure (connecting or of `op`)
    /// drops it, so the next call starts on a fresh one.
    pub async fn run<T>(
        &self,
        op: impl AsyncFnOnce(&mut MultiplexedConnection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        let result = match self.conn().await {
            Ok(mut conn) => op(&mut conn).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            *self.cached() = None;
        }
        result
    }
}
