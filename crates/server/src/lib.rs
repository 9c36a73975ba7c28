//! Confab's chat server: the UI, REST, WebSocket and SSE on one port.
//!
//! Map of the modules (one per concern):
//!
//! - [`configuration`]: typed settings; defaults, TOML file, `CONFAB_*` env, flags.
//! - [`startup`]: `Application::build` (binds, port 0 in tests) and
//!   `run_until_stopped(shutdown)`, which serves until told to stop.
//! - [`hub`]: the in-memory router: which local sockets are in which room,
//!   delivery of committed events in log order; never awaits the database.
//!   It runs on the first HTTP worker's thread, beside the sockets it
//!   wakes ([`worker_tasks`]).
//! - [`writer`]: commits posts, joins and leaves in batches (group commit),
//!   then publishes them on the broker and answers (`ack` after durability).
//! - [`chat`]: what a user can do (leave, post, edit, type), run by the
//!   session that asked; the same path for sockets, SSE users and bots.
//!   [`joining`]: a join through the room's gates and its `joined` page.
//!   [`moderation`]: kick, ban, mute, topic, settings, server admins.
//!   [`send_guards`]: the per-user flood allowance and blocks a send
//!   passes first.
//! - [`background`]: the hub's waiting done for it: log reads for holes and
//!   catch-ups, the periodic position check, the presence keeper.
//! - The engine (crate `confab_engine`): `Store` (SQLite, PostgreSQL),
//!   `Broker` (in-process, Redis), `Presence` (in-process, Redis).
//! - [`outbox`]: each connection's bounded outgoing queue (1013 when full).
//! - [`upgrade`]: the HTTP server, from actix-web's parts: a WebSocket
//!   leaves actix-http after its upgrade and runs on its bare TCP stream.
//! - [`socket`]: one WebSocket connection's `select!` loop, and the
//!   WebSocket protocol on its TCP stream (`socket::wire`).
//! - [`event_stream`]: one Server-Sent Events stream, resumable by event id.
//! - [`image_kind`]: recognising uploaded images by their bytes.
//! - [`routes`]: the HTTP resources (`session`, `account`, `devices`,
//!   `rooms`, `moderation`, `blocks`, `dm`, `ws`, `events`, `uploads`,
//!   `health`, `pages`).
//! - [`history`]: reading history and read cursors, shared by WS and REST.
//! - [`auth`]: session tokens and the `CurrentUser` extractor.
//! - [`password`]: argon2id hashes of account passwords, off the async threads.
//! - [`origin`], [`client_addr`], [`rate_limit`]: the small guards.
//! - [`limits`]: connections per user and per address, HTTP requests and
//!   new sessions per address, failed logins per name and per address.
//! - [`online`]: online users per room for the public room list, tallied
//!   from the shared presence record.
//! - [`error`]: one error type, mapped to `error` frames and HTTP statuses.
//! - [`request_id`]: an id per request: its log span, `X-Request-Id`, error bodies.
//! - [`unread_body`]: a refused request's unread body closes its connection
//!   instead of being read to its end.
//! - [`metrics`], [`telemetry`]: `/metrics` counters and logging.

pub mod auth;
pub mod background;
pub mod chat;
pub mod client_addr;
pub mod configuration;
pub mod error;
pub mod event_stream;
pub mod history;
pub mod hub;
pub mod image_kind;
pub mod image_meta;
pub mod joining;
pub mod limits;
pub mod metrics;
pub mod moderation;
pub mod online;
pub mod origin;
pub mod outbox;
pub mod password;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod send_guards;
pub mod socket;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod unread_body;
pub mod upgrade;
pub mod upload_files;
pub mod worker_tasks;
pub mod writer;

pub use configuration::Settings;
pub use startup::Application;
