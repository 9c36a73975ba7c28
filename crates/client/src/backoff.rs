//! Reconnect delays: exponential backoff with jitter.

/// Delay of the first retry, in milliseconds.
pub const BASE_MS: u64 = 500;
/// No wait is longer than this, in milliseconds.
pub const MAX_MS: u64 = 30_000;

/// How long to wait before reconnect attempt number `attempt` (0 = the first
/// retry). The ceiling doubles with each attempt up to [`MAX_MS`]; `jitter`
/// (a random number in `0.0..1.0`) picks a point in its upper half, so
/// that many tabs that lost the same server do not come back in lockstep.
pub fn delay_ms(attempt: u32, jitter: f64) -> u64 {
    let ceiling = BASE_MS.saturating_mul(1u64 << attempt.min(16)).min(MAX_MS);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let half = ceiling / 2;
    // Truncation is fine: the result is a whole number of milliseconds.
    half + (half as f64 * jitter) as u64
}

/// Whole seconds left of `ms` milliseconds, rounded up, for "reconnecting in N s".
pub fn secs_left(ms: i64) -> u32 {
    if ms <= 0 {
        0
    } else {
        u32::try_from((ms + 999) / 1000).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_then_caps() {
        assert_eq!(delay_ms(0, 1.0), 500);
        assert_eq!(delay_ms(0, 0.0), 250);
        assert_eq!(delay_ms(1, 1.0), 1_000);
        assert_eq!(delay_ms(3, 1.0), 4_000);
        assert_eq!(delay_ms(10, 1.0), MAX_MS);
        assert_eq!(delay_ms(u32::MAX, 1.0), MAX_MS);
        assert_eq!(delay_ms(u32::MAX, 0.0), MAX_MS / 2);
    }

    #[test]
    fn jitter_stays_in_the_upper_half() {
        for attempt in 0..20 {
            let ceiling = (BASE_MS << attempt.min(16)).min(MAX_MS);
            for j in [0.0, 0.1, 0.5, 0.99, f64::NAN, -3.0, 7.0] {
                let d = delay_ms(attempt, j);
                assert!(
                    d >= ceiling / 2 && d <= ceiling,
                    "attempt {attempt} jitter {j}: {d}"
                );
            }
        }
        assert_ne!(delay_ms(4, 0.1), delay_ms(4, 0.9));
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(secs_left(0), 0);
        assert_eq!(secs_left(-5), 0);
        assert_eq!(secs_left(1), 1);
        assert_eq!(secs_left(1000), 1);
        assert_eq!(secs_left(1001), 2);
    }
}
