//! Connections coming and going, and joining rooms.

use std::collections::{HashMap, HashSet, VecDeque};

use confab_engine::bus::{BusBody, BusEvent};
use confab_engine::presence::OnlineUser;
use confab_engine::store::Membership;
use confab_shared::{RoomId, User};

use super::{Conn, ConnId, Hub, LocalUser, Request};
use crate::outbox::{Frame, Outbox};

impl Hub {
    pub(super) fn connect(
        &mut self,
        conn: ConnId,
        user: User,
        session: String,
        outbox: Outbox,
        rooms: Vec<Membership>,
    ) {
        let first = !self.users.contains_key(&user.id);
        let local = self
            .users
            .entry(user.id.clone())
            .or_insert_with(|| LocalUser {
                user: user.clone(),
                conns: Vec::new(),
                rooms: Default::default(),
            });
        local.conns.push(conn);
        // The user's other connections here keep the rooms current (from
        // membership events); a list read a moment ago only adds to them.
        if first {
            local.rooms = rooms.iter().map(|m| m.room.clone()).collect();
        } else {
            local.rooms.extend(rooms.iter().map(|m| m.room.clone()));
        }
        self.names.insert(user.name.key(), user.id.clone());
        self.conns.insert(
            conn,
            Conn {
                user_id: user.id.clone(),
                session,
                outbox,
                floors: HashMap::new(),
            },
        );
        for m in &rooms {
            let route = self.rooms.entry(m.room.clone()).or_default();
            route.conns.insert(conn);
            route.members = m.members;
        }
        let welcome = self.welcome(&user, &rooms);
        self.push_to(conn, &welcome);
        if first {
            self.announce(&user, true);
        }
    }

    pub(super) fn disconnect(&mut self, conn: ConnId) {
        let Some(gone) = self.conns.remove(&conn) else {
            return;
        };
        // Rooms it was joining are routed for nobody else, perhaps.
        let joining: Vec<RoomId> = self
            .pending_joins
            .iter()
            .filter(|(c, _)| *c == conn)
            .map(|(_, room)| room.clone())
            .collect();
        self.pending_joins.retain(|(c, _)| *c != conn);
        for room in &joining {
            self.drop_route_if_unused(room);
        }
        let Some(local) = self.users.get_mut(&gone.user_id) else {
            return;
        };
        local.conns.retain(|c| *c != conn);
        let last = local.conns.is_empty();
        // Every route that holds the connection, whatever the user's rooms
        // say by now.
        let held: Vec<RoomId> = self
            .rooms
            .iter_mut()
            .filter_map(|(room, route)| route.conns.remove(&conn).then(|| room.clone()))
            .collect();
        for room in &held {
            self.drop_route_if_unused(room);
        }
        if last {
            if let Some(local) = self.users.remove(&gone.user_id) {
                self.names.remove(&local.user.name.key());
                self.announce(&local.user, false);
            }
        }
    }

    /// Closes (1008, "logged out") and forgets every local connection of
    /// a session that was ended.
    pub(super) fn end_session(&mut self, session: &str) {
        let ended: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.session == session)
            .map(|(id, _)| *id)
            .collect();
        for conn in ended {
            if let Some(c) = self.conns.get(&conn) {
                c.outbox.close(crate::outbox::CloseReason::LoggedOut);
            }
            tracing::info!(conn, "closing a connection of an ended session");
            self.disconnect(conn);
        }
    }

    /// Tells the cluster (this node included, through the broker) and the
    /// shared presence record that `user` came online here or left.
    pub(super) fn announce(&mut self, user: &User, online: bool) {
        let rooms = self.record_presence(user, online);
        self.broker.publish(BusEvent {
            node: self.node.clone(),
            body: BusBody::Presence {
                user: user.clone(),
                rooms,
                online,
            },
        });
    }

    /// Writes `user`'s entry in the shared presence record: their rooms
    /// while they are `online` here, nothing once they are not. Also called
    /// when an online user's rooms change, so the record's rooms (which the
    /// public room list counts) stay current. Returns the rooms.
    pub(super) fn record_presence(&mut self, user: &User, online: bool) -> Vec<RoomId> {
        let rooms: Vec<RoomId> = self
            .users
            .get(&user.id)
            .map(|l| l.rooms.iter().cloned().collect())
            .unwrap_or_default();
        let entry = online.then(|| OnlineUser {
            user: user.clone(),
            rooms: rooms.clone(),
        });
        let _ = self.requests.try_send(Request::Presence {
            user_id: user.id.clone(),
            entry,
        });
        rooms
    }

    pub(super) fn drop_route_if_unused(&mut self, room: &RoomId) {
        let pending = self.pending_joins.iter().any(|(_, r)| r == room);
        if !pending && self.rooms.get(room).is_some_and(|r| r.conns.is_empty()) {
            self.rooms.remove(room);
        }
    }

    pub(super) fn subscribe(
        &mut self,
        conn: ConnId,
        room: RoomId,
        after: u64,
        joined: Frame,
    ) -> bool {
        if !self.conns.contains_key(&conn) {
            self.pending_joins.remove(&(conn, room.clone()));
            self.drop_route_if_unused(&room);
            return true;
        }
        let route = self.rooms.entry(room.clone()).or_default();
        // Messages delivered here past the page: replay them from the recent
        // frames, or have the session read the page again.
        let missed: Vec<(u64, Frame)> = route
            .recent
            .iter()
            .filter(|(seq, _)| *seq > after)
            .cloned()
            .collect();
        let oldest_recent = route.recent.front().map_or(u64::MAX, |(seq, _)| *seq);
        if after != u64::MAX && route.delivered_seq > after && oldest_recent > after + 1 {
            return false;
        }
        self.pending_joins.remove(&(conn, room.clone()));
        route.conns.insert(conn);
        if let Some(c) = self.conns.get_mut(&conn) {
            let newest = missed.iter().map(|(seq, _)| *seq).max().unwrap_or(after);
            c.floors.insert(room.clone(), newest);
        }
        self.push_to(conn, &joined);
        for (_, frame) in &missed {
            self.push_to(conn, frame);
        }
        true
    }

    /// Forgets the connections whose outbox overflowed, one after the
    /// other: a disconnect only publishes presence (delivered on a later
    /// turn), so one eviction never triggers the next recursively. The
    /// outbox counts the overflow (once per connection).
    pub(super) fn drain_evictions(&mut self) {
        while let Some(conn) = self.evictions.pop() {
            if let Some(c) = self.conns.get(&conn) {
                c.outbox.close(crate::outbox::CloseReason::Overflow);
                tracing::warn!(conn, "closing a connection that cannot keep up (1013)");
                self.disconnect(conn);
            }
        }
    }

    /// Publishes the sizes of what the hub keeps, so `/metrics` shows that
    /// they follow the live connections and do not only grow.
    pub(super) fn count_cached(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let len = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.metrics.hub_rooms.store(len(self.rooms.len()), Relaxed);
        self.metrics.hub_users.store(len(self.users.len()), Relaxed);
        let (users, rooms) = self.view.sizes();
        self.metrics.hub_online_users.store(len(users), Relaxed);
        self.metrics.hub_online_rooms.store(len(rooms), Relaxed);
    }
}

/// Connections whose outbox overflowed, in the order found; each is queued
/// once, however many frames it refuses before its turn.
#[derive(Default)]
pub(super) struct Evictions {
    queue: VecDeque<ConnId>,
    queued: HashSet<ConnId>,
}

impl Evictions {
    pub(super) fn add(&mut self, conn: ConnId) {
        if self.queued.insert(conn) {
            self.queue.push_back(conn);
        }
    }

    fn pop(&mut self) -> Option<ConnId> {
        let conn = self.queue.pop_front()?;
        self.queued.remove(&conn);
        Some(conn)
    }
}
