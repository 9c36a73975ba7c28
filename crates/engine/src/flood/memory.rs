//! Single-node flood control: every user's arrival time in one map.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;

use super::{gcra, retry_after_secs, FloodGate, SendRate};

/// Users idle this long are dropped from the map (their whole burst is
/// back by then anyway, as long as a burst takes less than this).
const FORGET_MS: f64 = 60_000.0;

pub struct MemoryFloodGate {
    rate: SendRate,
    started: Instant,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    tat: HashMap<String, f64>,
    /// When the map was last swept of idle users.
    swept_ms: f64,
}

impl MemoryFloodGate {
    pub fn new(rate: SendRate) -> Self {
        Self {
            rate,
            started: Instant::now(),
            state: Mutex::new(State::default()),
        }
    }

    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// [`FloodGate::take`] at a given time (tests).
    pub fn take_at(&self, user_id: &str, now_ms: f64) -> Result<(), u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if now_ms - state.swept_ms > FORGET_MS {
            state.tat.retain(|_, tat| *tat > now_ms - FORGET_MS);
            state.swept_ms = now_ms;
        }
        let tat = state.tat.get(user_id).copied().unwrap_or(0.0);
        match gcra(self.rate, tat, now_ms) {
            Ok(next) => {
                state.tat.insert(user_id.to_owned(), next);
                Ok(())
            }
            Err(wait) => Err(retry_after_secs(wait)),
        }
    }

    /// Users the map holds now.
    pub fn tracked(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tat
            .len()
    }
}

#[async_trait]
impl FloodGate for MemoryFloodGate {
    async fn take(&self, user_id: &str) -> Result<(), u64> {
        self.take_at(user_id, self.now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_limited_apart_and_idle_ones_forgotten() {
        let gate = MemoryFloodGate::new(SendRate { rate: 1, burst: 2 });
        assert!(gate.take_at("alice", 0.0).is_ok());
        assert!(gate.take_at("alice", 0.0).is_ok());
        assert_eq!(gate.take_at("alice", 0.0), Err(1));
        assert!(
            gate.take_at("bob", 0.0).is_ok(),
            "bob has his own allowance"
        );
        assert!(gate.take_at("alice", 1_000.0).is_ok());
        assert_eq!(gate.tracked(), 2);
        assert!(gate.take_at("carol", 2.0 * FORGET_MS).is_ok());
        assert_eq!(gate.tracked(), 1, "alice and bob were idle");
    }
}
