//! What Confab's API, stress and cluster tests and its benchmark share.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`app`] | the server in this process: [`spawn_app`], [`spawn_app_with`], [`TestApp`]; SQLite or PostgreSQL after `CONFAB_TEST_STORE` |
//! | [`ws`] | WebSocket clients: [`Ws`] for tests (panics), [`next_frame`], [`connect`], [`connect_all`], [`join_room`] for the benchmark (errors) |
//! | [`frames`] | [`ws_connect_lines`]: a socket on `/ws?frames=lines` ([`LinesSocket`]), read a frame at a time however the server packs them |
//! | [`images`] | [`GIF`] (a real one) and [`png`] (any claimed size) for uploads |
//! | [`sse`] | a real `GET /api/events` stream: [`Sse`], [`SseEvent`] |
//! | [`http`] | the reqwest client [`http()`], [`Session`], [`login`], [`login_all`] and [`room_history`] against any base URL |
//! | [`process`] | the real `confab` binary as a child: [`ServerProcess`] (SIGTERM, SIGKILL, restart), [`metric`] |
//! | [`postgres`] | [`fresh_database`] on a running server, [`PrivatePostgres`] that a test may stop |
//! | [`redis`] | [`shared_redis_url`], [`PrivateRedis`] that a test may stop |
//! | [`sys`] | free ports, child commands with a time limit, who we run as |
//!
//! Every wait has a time limit. Test-facing helpers panic with a sentence
//! that says what went wrong; the ones the benchmark uses return [`Error`].
//! Everything is re-exported at the root: `use confab_testkit::*;`.

use std::fmt::{self, Display};

pub mod app;
pub mod frames;
pub mod http;
pub mod images;
pub mod postgres;
pub mod process;
pub mod redis;
pub mod sse;
pub mod sys;
pub mod ws;

pub use app::*;
pub use frames::*;
pub use http::*;
pub use images::*;
pub use postgres::*;
pub use process::*;
pub use redis::*;
pub use sse::*;
pub use sys::free_port;
pub use ws::*;

/// Why a helper that does not panic failed: one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }

    /// `what: cause`.
    pub fn context(what: impl Display, cause: impl Display) -> Self {
        Self(format!("{what}: {cause}"))
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
