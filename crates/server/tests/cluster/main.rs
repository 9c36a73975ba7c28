//! Cluster tests: three real `confab` processes share a fresh PostgreSQL
//! database and a Redis of the test's own; WebSocket and SSE clients talk
//! to different nodes.
//!
//! Needs PostgreSQL at `CONFAB_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`; start it with
//! `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`),
//! PostgreSQL's `initdb`/`pg_ctl` for the test that stops its own, and
//! `redis-server` on the PATH. A missing one fails the test, saying so.
//! The tests take turns (see `support`), so every time limit holds on a
//! small machine.

mod across_nodes;
mod client;
mod edits;
mod flood;
mod kill_nine;
mod lost_publishes;
mod moderation;
mod postgres_down;
mod redis_down;
mod resume;
mod support;
