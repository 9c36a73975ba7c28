//! Helpers shared by the Redis tests.
#![allow(dead_code)]

pub mod private_redis;

use std::time::Duration;

/// The shared Redis for tests that do not stop it (each test uses its own
/// channel or key prefix). Panics with instructions when it is not running:
/// these tests must not pass by being skipped.
pub fn shared_redis_url() -> String {
    let url = std::env::var("CONFAB_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let reachable = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(1)))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_ok();
    assert!(
        reachable,
        "the Redis tests need a Redis at {url} (set CONFAB_TEST_REDIS_URL to use another); \
         start one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no"
    );
    url
}

/// A name no other test (or test run) uses.
pub fn unique(what: &str) -> String {
    format!("confab-test:{what}:{}:", uuid::Uuid::new_v4())
}
