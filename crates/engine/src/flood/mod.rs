//! Flood control: how fast one user may send, whichever of their
//! connections (and, in a cluster, whichever node) the sends arrive on.
//!
//! A per-connection limit alone lets a user with five tabs send five times
//! as fast, and a cluster multiplies that by its nodes; so the allowance is
//! kept per user, in one place: [`memory::MemoryFloodGate`] on a single
//! node, [`redis::RedisFloodGate`] (one key per user, updated by an atomic
//! script on Redis's clock) for a cluster.
//!
//! Both implement the generic cell rate algorithm (GCRA): a user may send
//! `burst` messages at once, then one every `1/rate` seconds; a refused
//! send learns how long to wait. Nothing is queued or delayed.

pub mod memory;
pub mod redis;

use async_trait::async_trait;

/// A user's send allowance: `rate` messages a second, `burst` at once.
/// `rate == 0` turns flood control off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendRate {
    pub rate: u32,
    pub burst: u32,
}

impl SendRate {
    /// Milliseconds between two sends at the sustained rate.
    pub fn interval_ms(self) -> f64 {
        1000.0 / f64::from(self.rate.max(1))
    }

    /// Sends allowed at once (at least one).
    pub fn burst(self) -> f64 {
        f64::from(self.burst.max(1))
    }
}

/// One GCRA step at `now_ms`: `tat` is the user's theoretical arrival time
/// (0 for a user not seen yet). `Ok(new tat)` when the send is allowed,
/// `Err(milliseconds to wait)` when it is not.
pub fn gcra(rate: SendRate, tat: f64, now_ms: f64) -> Result<f64, f64> {
    let interval = rate.interval_ms();
    let tat = tat.max(now_ms);
    let allowed_from = tat - (rate.burst() - 1.0) * interval;
    if now_ms < allowed_from {
        Err(allowed_from - now_ms)
    } else {
        Ok(tat + interval)
    }
}

/// Whole seconds to wait for `ms` milliseconds (at least 1: `Retry-After`
/// has second precision, and 0 would invite an immediate retry).
pub fn retry_after_secs(ms: f64) -> u64 {
    (ms / 1000.0).ceil().max(1.0) as u64
}

#[async_trait]
pub trait FloodGate: Send + Sync + 'static {
    /// Takes one send of `user_id`'s allowance: `Ok` to go ahead,
    /// `Err(seconds)` to wait that long first. A gate that cannot reach its
    /// record lets the send through (flood control must not stop a chat
    /// whose database is fine) and logs why.
    async fn take(&self, user_id: &str) -> Result<(), u64>;
}

/// A gate that never refuses (`rate == 0`).
pub struct Open;

#[async_trait]
impl FloodGate for Open {
    async fn take(&self, _user_id: &str) -> Result<(), u64> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate_then_a_wait() {
        let rate = SendRate { rate: 2, burst: 3 };
        let mut tat = 0.0;
        for _ in 0..3 {
            tat = gcra(rate, tat, 1_000.0).expect("within the burst");
        }
        let wait = gcra(rate, tat, 1_000.0).expect_err("past the burst");
        assert_eq!(wait, 500.0);
        assert_eq!(retry_after_secs(wait), 1);
        // Half a second later there is room for one more, not two.
        tat = gcra(rate, tat, 1_500.0).expect("one interval later");
        assert!(gcra(rate, tat, 1_500.0).is_err());
        // Idle long enough, the whole burst is back.
        let mut later = tat;
        for _ in 0..3 {
            later = gcra(rate, later, 60_000.0).expect("burst again");
        }
        assert_eq!(retry_after_secs(2_001.0), 3);
    }
}
