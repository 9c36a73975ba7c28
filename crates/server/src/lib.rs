//! Confab's chat server: the UI, REST, WebSocket and SSE on one port.
//!
//! Map of the modules (one per concern):
//!
//! - [`configuration`]: typed settings; defaults, TOML file, `CONFAB_*` env, flags.
//! - [`startup`]: `Application::build` (binds, port 0 in tests) and
//!   `run_until_stopped(shutdown)`, which serves until told to stop.
//! - [`hub`]: the one task that owns rooms, presence and fan-out; everything
//!   else talks to it through `HubHandle` and typed commands.
//! - [`outbox`]: each connection's bounded outgoing queue (1013 when full).
//! - [`socket`]: one WebSocket connection's `select!` loop.
//! - [`event_stream`]: one Server-Sent Events stream, resumable by event id.
//! - [`image_kind`]: recognising uploaded images by their bytes.
//! - [`routes`]: the HTTP resources (`session`, `rooms`, `dm`, `ws`, `events`,
//!   `uploads`, `health`, `pages`).
//! - [`store`]: the storage trait and its SQLite implementation.
//! - [`history`]: reading history and read cursors, shared by WS and REST.
//! - [`auth`]: session tokens and the `CurrentUser` extractor.
//! - [`origin`], [`client_addr`], [`rate_limit`]: the small guards.
//! - [`error`]: one error type, mapped to `error` frames and HTTP statuses.
//! - [`metrics`], [`telemetry`]: `/metrics` counters and logging.

pub mod auth;
pub mod client_addr;
pub mod configuration;
pub mod error;
pub mod event_stream;
pub mod history;
pub mod hub;
pub mod image_kind;
pub mod metrics;
pub mod origin;
pub mod outbox;
pub mod rate_limit;
pub mod routes;
pub mod socket;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

pub use configuration::Settings;
pub use startup::Application;
