//! Confab's engine, split the way Centrifugo splits its own: each part a
//! trait with a single-node and a cluster implementation.
//!
//! - [`store`]: the record. [`store::sqlite`] (embedded default) and
//!   [`store::postgres`] (shared by a cluster); allocates `seq` and the
//!   global log `pos` in the committing transaction.
//! - [`bus`]: publish/subscribe of committed events and typing.
//!   [`bus::local`] (in-process) and [`bus::redis`] (Redis pub/sub).
//! - [`presence`]: who is online on which node. [`presence::memory`] and
//!   [`presence::redis`] (heartbeat keys that expire with a dead node).
//! - [`flood`]: each user's send allowance, across their connections and
//!   nodes. [`flood::memory`] and [`flood::redis`] (a key per user).
//! - [`redis_link`]: the Redis connection presence and flood control share
//!   the shape of (made on first use, made again after a failure).

pub mod bus;
pub mod flood;
pub mod presence;
pub mod redis_link;
pub mod store;
