//! End-to-end tests of the server's API: each starts a real server on port
//! 0 with its own temporary data directory and talks to it over loopback
//! (see confab-testkit).

mod bad_input;
mod big_replies;
mod cross_site;
mod direct_messages;
mod events;
mod ops;
mod presence;
mod rest;
mod resume;
mod rooms;
mod session;
mod session_lifetime;
mod uploads;
