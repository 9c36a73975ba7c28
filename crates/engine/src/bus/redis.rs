//! The cluster broker: Redis pub/sub under a [`LocalBroker`](super::local::LocalBroker).
//! (Being written.)
