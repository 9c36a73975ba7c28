//! End-to-end tests of the server's API: each starts a real server on port
//! 0 with its own temporary data directory and talks to it over loopback
//! (see confab-testkit).

mod account_deletion;
mod accounts;
mod admins;
mod bad_input;
mod big_replies;
mod blocks;
mod cleanup;
mod cross_site;
mod direct_messages;
mod edits;
mod events;
mod flood;
mod kill_nine;
mod limits;
mod lines;
mod mass_disconnect;
mod moderation;
mod names;
mod ops;
mod presence;
mod private_rooms;
mod replies;
mod request_ids;
mod rest;
mod resume;
mod room_list;
mod rooms;
mod senders;
mod session;
mod session_lifetime;
mod shutdown;
mod uploads;
mod uploads_limits;
mod uploads_privacy;
mod wire;
mod write_delay;
