//! Tests that load the whole machine (a thousand sockets, megabytes of
//! backlog). They run one at a time, apart from the API tests, so that a
//! reader starved of CPU by another test is not mistaken for a slow client.

mod load;
mod slow_consumer;

/// Held by each test here for its whole run.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
