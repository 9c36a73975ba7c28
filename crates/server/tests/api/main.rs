//! End-to-end tests of the server's API: each starts a real server on port
//! 0 with its own temporary data directory and talks to it over loopback
//! (see confab-testkit).

mod bad_input;
mod big_replies;
mod cleanup;
mod cross_site;
mod direct_messages;
mod events;
mod mass_disconnect;
mod limits;
mod names;
mod ops;
mod presence;
mod replies;
mod kill_nine;
mod ops;
mod presence;
mod request_ids;
mod rest;
mod resume;
mod room_list;
mod rooms;
mod senders;
mod session;
mod shutdown;
mod session_lifetime;
mod uploads;
mod uploads_limits;
mod uploads_privacy;
