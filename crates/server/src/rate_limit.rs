//! Per-connection token bucket: `rate` frames a second, bursts of `burst`.

use std::time::Instant;

pub struct RateLimiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// `rate == 0` turns limiting off.
    pub fn new(rate: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(rate).max(1));
        Self {
            rate: f64::from(rate),
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes a token if there is one.
    pub fn allow(&mut self) -> bool {
        self.allow_at(Instant::now())
    }

    fn allow_at(&mut self, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_then_the_rate() {
        let mut limiter = RateLimiter::new(20, 40);
        let start = Instant::now();
        assert_eq!((0..100).filter(|_| limiter.allow_at(start)).count(), 40);
        let later = start + Duration::from_millis(500);
        assert_eq!((0..100).filter(|_| limiter.allow_at(later)).count(), 10);
    }

    #[test]
    fn zero_turns_it_off() {
        let mut limiter = RateLimiter::new(0, 0);
        assert!((0..10_000).all(|_| limiter.allow()));
    }
}
