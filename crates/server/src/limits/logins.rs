//! Failed logins, throttled per name and per address: after a few
//! failures an attempt is refused at once with 429 and `Retry-After`
//! (never by holding the request open, which would hold a connection and
//! let an attacker queue unlimited attempts), and each further failure
//! doubles the wait. A success clears the name's count, so the right
//! password works as soon as the wait is over.
//!
//! Per node, like the other limits (see [`super`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

/// Failures of one name before attempts wait.
pub const FREE_PER_NAME: u32 = 5;
/// Failures from one address (which may be a whole office) before they wait.
pub const FREE_PER_ADDRESS: u32 = 20;
/// The first wait; each further failure doubles it, up to [`LONGEST`].
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST: Duration = Duration::from_secs(15 * 60);
/// A count nobody added to for this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Keys kept before forgotten ones are swept out.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A name's caseless key.
    Name(String),
    Address(IpAddr),
}

struct Failures {
    count: u32,
    last: Instant,
    /// Attempts wait until then.
    until: Instant,
}

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
}

fn keys(name_key: &str, ip: Option<IpAddr>) -> impl Iterator<Item = (Key, u32)> {
    let name = (Key::Name(name_key.to_owned()), FREE_PER_NAME);
    std::iter::once(name).chain(ip.map(|ip| (Key::Address(ip), FREE_PER_ADDRESS)))
}

impl LoginThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `RateLimited` while the name or the address has to wait.
    pub fn check(&self, name_key: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let now = Instant::now();
        let failures = self.lock();
        let wait = keys(name_key, ip)
            .filter_map(|(key, _)| failures.get(&key))
            .map(|f| f.until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() {
            return Ok(());
        }
        Err(AppError::RateLimited {
            message: "too many failed logins: wait and try again".into(),
            // Whole seconds, rounded up: never an early retry.
            retry_after: wait
                .as_millis()
                .div_ceil(1000)
                .try_into()
                .unwrap_or(u64::MAX),
        })
    }

    /// Counts a failed attempt against the name and the address.
    pub fn failed(&self, name_key: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, f| f.until > now || now.duration_since(f.last) < FORGET_AFTER);
        }
        for (key, free) in keys(name_key, ip) {
            let f = failures.entry(key).or_insert(Failures {
                count: 0,
                last: now,
                until: now,
            });
            f.count = f.count.saturating_add(1);
            f.last = now;
            if let Some(over) = f.count.checked_sub(free) {
                let wait = FIRST_WAIT.saturating_mul(1 << over.min(20)).min(LONGEST);
                f.until = now + wait;
            }
        }
    }

    /// A successful login: the name starts over (the address keeps its
    /// count, or one right password would reset a guessing spree).
    pub fn succeeded(&self, name_key: &str) {
        self.lock().remove(&Key::Name(name_key.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(t: &LoginThrottle, name: &str, ip: Option<IpAddr>) -> Option<u64> {
        match t.check(name, ip) {
            Ok(()) => None,
            Err(AppError::RateLimited { retry_after, .. }) => Some(retry_after),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn waits_start_after_the_free_failures_and_double() {
        let t = LoginThrottle::default();
        for _ in 0..FREE_PER_NAME - 1 {
            t.failed("alice", None);
            assert_eq!(retry_after(&t, "alice", None), None);
        }
        t.failed("alice", None);
        assert_eq!(retry_after(&t, "alice", None), Some(1));
        t.failed("alice", None);
        assert_eq!(retry_after(&t, "alice", None), Some(2));
        // Another name is not held up; a success starts the name over.
        assert_eq!(retry_after(&t, "bob", None), None);
        t.succeeded("alice");
        assert_eq!(retry_after(&t, "alice", None), None);
    }

    #[test]
    fn an_address_waits_after_its_own_free_failures_whatever_the_names() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        for i in 0..FREE_PER_ADDRESS {
            t.failed(&format!("user{i}"), Some(ip));
        }
        assert!(retry_after(&t, "someone", Some(ip)).is_some());
        assert_eq!(retry_after(&t, "someone", None), None);
    }
}
