//! HTTP requests and session creations per client address, with
//! governor's keyed GCRA limiters.
//!
//! [`limit_requests`] runs before every route except `/healthz` and
//! `/metrics` (a load balancer and Prometheus poll those); over the limit
//! it answers 429 `rate_limited` with `Retry-After` in seconds, before the
//! request does any work. `POST /api/session` also checks
//! [`HttpLimits::check_session`] before it creates a user.
//!
//! Each limiter keeps one small state per address it has seen. Addresses
//! whose state is back to "fresh" carry no information and are dropped
//! every [`SWEEP_EVERY`] (governor's `retain_recent`), so the maps hold
//! only addresses active in the last burst period.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::configuration::Settings;
use crate::error::AppError;
use crate::state::AppState;

/// How often idle addresses are dropped from a limiter's map.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Paths never limited: health checks and scrapes.
const EXEMPT: [&str; 2] = ["/healthz", "/metrics"];

struct Limiter {
    keyed: DefaultKeyedRateLimiter<IpAddr>,
    /// What the client is told it did too often.
    what: &'static str,
    next_sweep: Mutex<Instant>,
}

impl Limiter {
    fn new(quota: Quota, what: &'static str) -> Self {
        Self {
            keyed: DefaultKeyedRateLimiter::keyed(quota),
            what,
            next_sweep: Mutex::new(Instant::now() + SWEEP_EVERY),
        }
    }

    fn check(&self, ip: IpAddr) -> Result<(), AppError> {
        self.sweep();
        self.keyed.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.keyed.clock().now());
            // Whole seconds, rounded up: a client that waits that long
            // gets through.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            AppError::RateLimited {
                message: format!(
                    "too many {} from your address; try again in {} s",
                    self.what,
                    secs.max(1)
                ),
                retry_after: secs.max(1),
            }
        })
    }

    /// Drops the addresses that carry no state, at most every `SWEEP_EVERY`
    /// (one request pays for it, outside any lock but the map's own).
    fn sweep(&self) {
        let now = Instant::now();
        {
            let Ok(mut next) = self.next_sweep.try_lock() else {
                return;
            };
            if now < *next {
                return;
            }
            *next = now + SWEEP_EVERY;
        }
        self.keyed.retain_recent();
        self.keyed.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.keyed.len()
    }
}

/// The per-address limits of one node (`None`: that limit is off).
pub struct HttpLimits {
    requests: Option<Limiter>,
    sessions: Option<Limiter>,
}

impl HttpLimits {
    pub fn new(settings: &Settings) -> Self {
        let requests = NonZeroU32::new(settings.http_rate_limit).map(|rate| {
            // A burst of 0 means "no more than the rate".
            let burst = NonZeroU32::new(settings.http_rate_burst).unwrap_or(rate);
            Limiter::new(Quota::per_second(rate).allow_burst(burst), "requests")
        });
        let sessions = NonZeroU32::new(settings.session_rate_limit)
            .map(|n| Limiter::new(Quota::per_minute(n), "new sessions"));
        Self { requests, sessions }
    }

    /// One more HTTP request from `ip`.
    pub fn check_request(&self, ip: IpAddr) -> Result<(), AppError> {
        self.requests.as_ref().map_or(Ok(()), |l| l.check(ip))
    }

    /// One more session created from `ip`.
    pub fn check_session(&self, ip: IpAddr) -> Result<(), AppError> {
        self.sessions.as_ref().map_or(Ok(()), |l| l.check(ip))
    }

    /// Addresses the limiters hold state for (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.requests.as_ref().map_or(0, Limiter::len)
            + self.sessions.as_ref().map_or(0, Limiter::len)
    }
}

/// The middleware: every request but [`EXEMPT`] takes a token of its
/// address first.
pub async fn limit_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !EXEMPT.contains(&req.path()) {
        if let Some(state) = req.app_data::<web::Data<AppState>>() {
            if let Some(ip) = super::request_ip(req.request(), &state.settings.trusted_proxies) {
                // A response rather than an `Err`, so that the middleware
                // outside (request id, unread body) see it.
                if let Err(refused) = state.http_limits.check_request(ip) {
                    return Ok(req.error_response(refused));
                }
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_429_with_retry_after_and_idle_addresses_are_dropped() {
        let settings = Settings {
            http_rate_limit: 1,
            http_rate_burst: 3,
            session_rate_limit: 0,
            ..Settings::default()
        };
        let limits = HttpLimits::new(&settings);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        for _ in 0..3 {
            limits.check_request(ip).unwrap();
        }
        match limits.check_request(ip) {
            Err(AppError::RateLimited { retry_after, .. }) => assert_eq!(retry_after, 1),
            other => panic!("expected rate_limited, got {other:?}"),
        }
        limits.check_request(other).unwrap();
        for _ in 0..100 {
            limits.check_session(ip).unwrap();
        }
        assert_eq!(limits.tracked(), 2);
        let requests = limits.requests.as_ref().unwrap();
        *requests.next_sweep.lock().unwrap() = Instant::now();
        // Both addresses still have state (their burst is not refilled).
        requests.sweep();
        assert_eq!(requests.len(), 2);
    }
}
