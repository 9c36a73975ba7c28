//! Counters for `/metrics`, in Prometheus text format.
//!
//! Plain atomics: every hot path only does a relaxed increment.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the store latency histogram.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
pub struct Metrics {
    pub ws_connections: AtomicI64,
    pub sse_connections: AtomicI64,
    pub connections_total: AtomicU64,
    pub frames_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub messages_stored: AtomicU64,
    pub slow_consumers_closed: AtomicU64,
    pub rate_limited: AtomicU64,
    /// Commits that failed (the store was unreachable).
    pub commits_failed: AtomicU64,
    /// Times the broker reported lost events (a lagging subscriber, a
    /// reconnect), each followed by a catch-up from the store.
    pub broker_lost: AtomicU64,
    /// Log entries read from the store because pub/sub did not bring them.
    pub gaps_filled: AtomicU64,
    /// Position checks that found the hub behind the store.
    pub position_repairs: AtomicU64,
    /// From a message's creation to its delivery by this node's hub
    /// (commit + broker + ordering), summed, counted, and the largest seen.
    pub delivery_lag_micros: AtomicU64,
    pub delivery_lag_count: AtomicU64,
    pub delivery_lag_max_micros: AtomicU64,
    /// Bytes waiting in every connection's outbox together.
    pub outbox_bytes: AtomicI64,
    /// What the hub keeps in memory (set by the hub after each turn):
    /// rooms some local connection is in, users with a local connection,
    /// users online anywhere, rooms with an online count.
    pub hub_rooms: AtomicI64,
    pub hub_users: AtomicI64,
    pub hub_online_users: AtomicI64,
    pub hub_online_rooms: AtomicI64,
    /// The size of a WebSocket's reader and writer futures: what each
    /// socket's two tasks keep for its whole life, besides their headers
    /// (set when a socket opens; the size is fixed by the code).
    pub socket_reader_bytes: AtomicI64,
    pub socket_writer_bytes: AtomicI64,
    /// `joined` replies built (each reads a page and the member list).
    pub joined_built: AtomicU64,
    /// Rooms removed because nothing kept them (no members, messages or
    /// settings).
    pub rooms_removed: AtomicU64,
    store_latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    store_latency_count: AtomicU64,
    store_latency_micros: AtomicU64,
}

impl Metrics {
    pub fn observe_store(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.store_latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.store_latency_count.fetch_add(1, Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.store_latency_micros.fetch_add(micros, Relaxed);
    }

    /// Records how long a message took from its creation to its delivery.
    pub fn observe_delivery_lag(&self, micros: u64) {
        self.delivery_lag_micros.fetch_add(micros, Relaxed);
        self.delivery_lag_count.fetch_add(1, Relaxed);
        self.delivery_lag_max_micros.fetch_max(micros, Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let gauge = |out: &mut String, name: &str, help: &str, v: i64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        let _ = writeln!(
            out,
            "# HELP confab_connections Open real-time connections.\n\
             # TYPE confab_connections gauge\n\
             confab_connections{{transport=\"websocket\"}} {}\n\
             confab_connections{{transport=\"sse\"}} {}",
            self.ws_connections.load(Relaxed),
            self.sse_connections.load(Relaxed)
        );
        counter(
            &mut out,
            "confab_connections_total",
            "Connections accepted.",
            self.connections_total.load(Relaxed),
        );
        counter(
            &mut out,
            "confab_frames_in_total",
            "Frames received from clients.",
            self.frames_in.load(Relaxed),
        );
        counter(
            &mut out,
            "confab_frames_out_total",
            "Frames queued to clients.",
            self.frames_out.load(Relaxed),
        );
        counter(
            &mut out,
            "confab_messages_stored_total",
            "Messages durably stored.",
            self.messages_stored.load(Relaxed),
        );
        counter(
            &mut out,
            "confab_slow_consumers_closed_total",
            "Connections closed because their queue was full.",
            self.slow_consumers_closed.load(Relaxed),
        );
        counter(
            &mut out,
            "confab_rate_limited_total",
            "Frames refused by the rate limit.",
            self.rate_limited.load(Relaxed),
        );
        for (name, help, v) in [
            (
                "confab_commits_failed_total",
                "Batches the store could not commit (answered `unavailable`).",
                &self.commits_failed,
            ),
            (
                "confab_broker_lost_total",
                "Times the broker lost events and the hub caught up from the store.",
                &self.broker_lost,
            ),
            (
                "confab_gaps_filled_total",
                "Log entries read from the store because pub/sub did not bring them.",
                &self.gaps_filled,
            ),
            (
                "confab_position_repairs_total",
                "Position checks that found this node behind the store.",
                &self.position_repairs,
            ),
        ] {
            counter(&mut out, name, help, v.load(Relaxed));
        }
        let lag_count = self.delivery_lag_count.load(Relaxed);
        let _ = writeln!(
            out,
            "# HELP confab_delivery_lag_seconds From a message's creation to its delivery \
             by this node (commit, broker, ordering).\n\
             # TYPE confab_delivery_lag_seconds summary\n\
             confab_delivery_lag_seconds_sum {}\nconfab_delivery_lag_seconds_count {lag_count}",
            self.delivery_lag_micros.load(Relaxed) as f64 / 1e6
        );
        gauge(
            &mut out,
            "confab_delivery_lag_max_microseconds",
            "The largest delivery lag seen.",
            i64::try_from(self.delivery_lag_max_micros.load(Relaxed)).unwrap_or(i64::MAX),
        );
        let _ = writeln!(
            out,
            "# HELP confab_store_latency_seconds Time of store writes (one batch each).\n\
             # TYPE confab_store_latency_seconds histogram"
        );
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.store_latency_buckets) {
            let _ = writeln!(
                out,
                "confab_store_latency_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.store_latency_count.load(Relaxed);
        let _ = writeln!(
            out,
            "confab_store_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.store_latency_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "confab_store_latency_seconds_sum {sum}");
        let _ = writeln!(out, "confab_store_latency_seconds_count {count}");
        for (name, help, v) in [
            (
                "confab_outbox_bytes",
                "Bytes queued in all connections' outboxes.",
                &self.outbox_bytes,
            ),
            (
                "confab_hub_rooms",
                "Rooms the hub routes (some local connection is in them).",
                &self.hub_rooms,
            ),
            (
                "confab_hub_users",
                "Users with a connection on this node.",
                &self.hub_users,
            ),
            (
                "confab_hub_online_users",
                "Users online anywhere in the cluster, as this node sees them.",
                &self.hub_online_users,
            ),
            (
                "confab_hub_online_rooms",
                "Rooms with members online, as this node counts them.",
                &self.hub_online_rooms,
            ),
            (
                "confab_socket_reader_future_bytes",
                "Size of a WebSocket's reader future (its task keeps it).",
                &self.socket_reader_bytes,
            ),
            (
                "confab_socket_writer_future_bytes",
                "Size of a WebSocket's writer future (its task keeps it).",
                &self.socket_writer_bytes,
            ),
        ] {
            gauge(&mut out, name, help, v.load(Relaxed));
        }
        counter(
            &mut out,
            "confab_joined_built_total",
            "`joined` replies built (a page of messages and the member list).",
            self.joined_built.load(Relaxed),
        );
        counter(
            &mut out,
            "confab_rooms_removed_total",
            "Rooms removed because no member, message or setting kept them.",
            self.rooms_removed.load(Relaxed),
        );
        gauge(&mut out, "confab_up", "The server is running.", 1);
        out
    }
}
