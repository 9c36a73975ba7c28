//! Delivering the global log in `pos` order, noticing what is missing.
//!
//! Entries arrive from the broker in roughly commit order: two nodes'
//! publishes can overtake each other, and pub/sub can lose one. Because
//! `pos` is gap-free, the hub knows exactly what it waits for: entries
//! after a hole wait here; if the hole is still open after [`GAP_WAIT`],
//! the hub reads it from the store.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytestring::ByteString;
use confab_engine::bus::{ConnId, NodeId};
use confab_engine::store::LogEntry;

/// How long a hole may stay open before it is read from the store.
pub const GAP_WAIT: Duration = Duration::from_millis(100);
/// Entries waiting behind a hole at most; beyond, the newest are dropped
/// (the store read brings them back).
const MAX_WAITING: usize = 100_000;

/// A log entry on its way to the sockets.
pub struct Arrival {
    pub entry: LogEntry,
    /// The message frame serialized by the writer (empty: render it here).
    pub frame: ByteString,
    /// The node and connection that caused it, which must not get it again.
    pub origin: Option<(NodeId, ConnId)>,
}

pub struct Order {
    /// Every entry up to here has been delivered.
    delivered: i64,
    waiting: BTreeMap<i64, Arrival>,
    /// Since when the oldest open hole has been open.
    hole_since: Option<Instant>,
}

impl Order {
    pub fn new(delivered: i64) -> Self {
        Self {
            delivered,
            waiting: BTreeMap::new(),
            hole_since: None,
        }
    }

    pub fn delivered(&self) -> i64 {
        self.delivered
    }

    /// Takes an arrival; false if it was delivered already (a duplicate).
    pub fn offer(&mut self, arrival: Arrival) -> bool {
        let pos = arrival.entry.pos;
        if pos <= self.delivered {
            return false;
        }
        if let Some(waiting) = self.waiting.get_mut(&pos) {
            // A store read got here first; the broker's copy still knows
            // which connection must not get the entry back.
            if waiting.origin.is_none() {
                waiting.origin = arrival.origin;
            }
            return false;
        }
        if self.waiting.len() >= MAX_WAITING {
            // Full: keep the oldest, which close the hole, and drop the newest.
            match self.waiting.last_key_value() {
                Some((&last, _)) if pos < last => {
                    self.waiting.pop_last();
                }
                _ => return false,
            }
        }
        self.waiting.insert(pos, arrival);
        true
    }

    /// The next entry in order, if it is here.
    pub fn next_ready(&mut self) -> Option<Arrival> {
        let first = self.waiting.first_key_value().map(|(pos, _)| *pos)?;
        if first != self.delivered + 1 {
            self.hole_since.get_or_insert_with(Instant::now);
            return None;
        }
        self.delivered = first;
        self.hole_since = None;
        self.waiting.remove(&first)
    }

    /// Whether a hole has been open longer than [`GAP_WAIT`].
    pub fn hole_overdue(&self, now: Instant) -> bool {
        self.hole_since
            .is_some_and(|since| now.duration_since(since) >= GAP_WAIT)
    }

    /// Restarts the wait for the current hole (a read is under way).
    pub fn hole_reading(&mut self, now: Instant) {
        if self.hole_since.is_some() {
            self.hole_since = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_engine::store::LogBody;
    use confab_shared::{Color, RoomId, User, UserName};

    fn arrival(pos: i64) -> Arrival {
        let user = User {
            id: "u".into(),
            name: UserName::parse("u").expect("name"),
            color: Color::parse("#112233").expect("color"),
        };
        Arrival {
            entry: LogEntry {
                pos,
                room: RoomId::lobby(),
                body: LogBody::Member {
                    user,
                    joined: true,
                    members: 1,
                },
            },
            frame: ByteString::new(),
            origin: None,
        }
    }

    #[test]
    fn delivers_in_order_and_waits_behind_a_hole() {
        let mut order = Order::new(10);
        assert!(order.offer(arrival(12)));
        assert!(order.next_ready().is_none(), "11 is missing");
        assert!(!order.hole_overdue(Instant::now()));
        assert!(order.hole_overdue(Instant::now() + GAP_WAIT));
        assert!(order.offer(arrival(11)));
        assert_eq!(order.next_ready().map(|a| a.entry.pos), Some(11));
        assert_eq!(order.next_ready().map(|a| a.entry.pos), Some(12));
        assert!(order.next_ready().is_none());
        assert!(!order.offer(arrival(12)), "a duplicate is refused");
        assert!(!order.offer(arrival(3)), "an old entry is refused");
        assert_eq!(order.delivered(), 12);
    }

    #[test]
    fn a_full_buffer_still_takes_the_entry_that_closes_the_hole() {
        let mut order = Order::new(0);
        for pos in 2..(MAX_WAITING as i64 + 2) {
            assert!(order.offer(arrival(pos)));
        }
        assert!(
            !order.offer(arrival(MAX_WAITING as i64 + 5)),
            "newer than all: dropped"
        );
        assert!(order.offer(arrival(1)), "the hole's entry is taken");
        assert_eq!(order.next_ready().map(|a| a.entry.pos), Some(1));
        assert_eq!(order.next_ready().map(|a| a.entry.pos), Some(2));
    }

    #[test]
    fn a_late_broker_copy_lends_its_origin_to_the_stored_one() {
        let mut order = Order::new(0);
        assert!(order.offer(arrival(1)));
        let mut from_broker = arrival(1);
        from_broker.origin = Some(("n".into(), 7));
        assert!(!order.offer(from_broker));
        let ready = order.next_ready().map(|a| a.origin);
        assert_eq!(ready, Some(Some(("n".into(), 7))));
    }
}
