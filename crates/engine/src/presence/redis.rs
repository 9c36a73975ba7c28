//! Cluster presence in Redis. (Being written.)
