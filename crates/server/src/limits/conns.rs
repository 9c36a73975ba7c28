//! Open WebSocket + SSE connections per user and per client address.
//!
//! A connection takes a [`ConnSlot`] before anything is upgraded or
//! streamed and holds it for its whole life; dropping the slot gives the
//! place back. Counters at zero are removed, so the maps hold only users
//! and addresses with open connections.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::AppError;

#[derive(Default)]
struct Counts {
    users: HashMap<String, usize>,
    ips: HashMap<IpAddr, usize>,
}

/// The per-user and per-address caps (0 = no cap) and what is open now.
pub struct ConnectionCaps {
    per_user: usize,
    per_ip: usize,
    counts: Arc<Mutex<Counts>>,
}

/// One open connection's place under the caps, given back on drop.
pub struct ConnSlot {
    user_id: String,
    ip: Option<IpAddr>,
    counts: Arc<Mutex<Counts>>,
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    // The counters stay consistent even if a holder panicked: every update
    // is a single insert or decrement.
    counts.lock().unwrap_or_else(|p| p.into_inner())
}

impl ConnectionCaps {
    pub fn new(per_user: usize, per_ip: usize) -> Self {
        Self {
            per_user,
            per_ip,
            counts: Arc::default(),
        }
    }

    /// Takes a place for a connection of `user_id` from `ip`, or says which
    /// cap is full (429 `too_many_connections`). An unknown address is
    /// counted for the user only.
    pub fn admit(&self, user_id: &str, ip: Option<IpAddr>) -> Result<ConnSlot, AppError> {
        let mut counts = lock(&self.counts);
        if let Some(ip) = ip {
            if full(counts.ips.get(&ip), self.per_ip) {
                return Err(AppError::TooManyConnections(format!(
                    "your address already has {} WebSocket and SSE connections open, \
                     the most it may; close one first",
                    self.per_ip
                )));
            }
        }
        if full(counts.users.get(user_id), self.per_user) {
            return Err(AppError::TooManyConnections(format!(
                "you already have {} WebSocket and SSE connections open, the most you \
                 may; close a tab or another device first",
                self.per_user
            )));
        }
        *counts.users.entry(user_id.to_owned()).or_default() += 1;
        if let Some(ip) = ip {
            *counts.ips.entry(ip).or_default() += 1;
        }
        Ok(ConnSlot {
            user_id: user_id.to_owned(),
            ip,
            counts: Arc::clone(&self.counts),
        })
    }
}

/// Whether `open` connections already fill `cap` (0 = no cap).
fn full(open: Option<&usize>, cap: usize) -> bool {
    cap > 0 && open.is_some_and(|n| *n >= cap)
}

fn release<K: Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        release(&mut counts.users, &self.user_id);
        if let Some(ip) = self.ip {
            release(&mut counts.ips, &ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_open_slots_and_forget_closed_ones() {
        let caps = ConnectionCaps::new(2, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a1 = caps.admit("a", Some(ip)).unwrap();
        let _a2 = caps.admit("a", Some(ip)).unwrap();
        assert!(caps.admit("a", Some(ip)).is_err(), "user cap");
        let _b1 = caps.admit("b", Some(ip)).unwrap();
        assert!(caps.admit("c", Some(ip)).is_err(), "address cap");
        assert!(
            caps.admit("c", None).is_ok(),
            "unknown address: user cap only"
        );
        drop(a1);
        assert!(caps.admit("a", Some(ip)).is_ok());
        let off = ConnectionCaps::new(0, 0);
        let slots: Vec<_> = (0..100).map(|_| off.admit("a", Some(ip))).collect();
        assert!(slots.iter().all(Result::is_ok));
        drop(slots);
        let counts = lock(&off.counts);
        assert!(counts.users.is_empty() && counts.ips.is_empty());
    }
}
