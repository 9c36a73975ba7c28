//! Online and offline announcements, coalesced.
//!
//! Users coming online or going offline are not announced one frame each
//! as they happen: a room's changes gather for a while and are then
//! announced with one `presence` frame per event listing every user
//! (`users`). So when thousands connect into one room, or drop at once (a
//! mass disconnect: each eviction publishes an `offline`), each member gets
//! one frame per while instead of one per user, and a burst of
//! announcements cannot overflow the outbox of a client that reads.
//!
//! The while is `PRESENCE_DELAY` (100 ms) and 100 ms more per
//! [`ONLINE_PER_STEP`] members online in the room: a crowd arriving takes
//! time in proportion to its size, so with a fixed while each member would
//! get frames in proportion to it too, and the crowd's frames would grow
//! with its square. Growing the while with the room keeps them linear.
//! So does naming at most `MAX_PRESENCE_USERS` users a frame: when more
//! changed together, the frame counts the others (`omitted`), which shows
//! in `online` (every member learning every name of a crowd would be the
//! square again, in bytes).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use confab_shared::{PresenceEvent, RoomId, ServerMsg, User, MAX_PRESENCE_USERS};

use super::view::Change;
use super::Hub;
use crate::outbox::Frame;

/// Members online in a room per 100 ms added to its presence delay.
pub const ONLINE_PER_STEP: u32 = 250;

/// A room's presence changes not yet announced, and when they are due.
pub(super) struct Pending {
    due: Instant,
    /// (online, user), in the order they happened.
    changes: Vec<(bool, User)>,
}

impl Hub {
    /// How long a room's presence changes gather: `PRESENCE_DELAY`, and as
    /// much again per [`ONLINE_PER_STEP`] members online in it.
    fn presence_delay(&self, room: &RoomId) -> std::time::Duration {
        super::PRESENCE_DELAY * (1 + self.view.room_online(room) / ONLINE_PER_STEP)
    }

    /// A user came online or went offline cluster-wide: announced to each
    /// of their rooms with the room's other changes of its next while.
    pub(super) fn presence_changed(&mut self, change: Change) {
        let now = Instant::now();
        for room in change.rooms {
            if !self.rooms.contains_key(&room) {
                continue;
            }
            let due = now + self.presence_delay(&room);
            let pending = self
                .pending_presence
                .entry(room)
                .or_insert_with(|| Pending {
                    due,
                    changes: Vec::new(),
                });
            pending.changes.push((change.online, change.user.clone()));
            let due = pending.due;
            self.presence_due = Some(self.presence_due.map_or(due, |d| d.min(due)));
        }
    }

    /// Announces the presence changes that are due: per room, one frame
    /// per run of users with the same event (in the order they happened),
    /// naming the first `MAX_PRESENCE_USERS` of it.
    pub(super) fn flush_presence(&mut self) {
        let now = Instant::now();
        let due: Vec<RoomId> = self
            .pending_presence
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(room, _)| room.clone())
            .collect();
        for room in due {
            let Some(pending) = self.pending_presence.remove(&room) else {
                continue;
            };
            for run in pending.changes.chunk_by(|a, b| a.0 == b.0) {
                let (named, others) = run.split_at(run.len().min(MAX_PRESENCE_USERS));
                self.announce_batch(&room, named, others.len());
            }
        }
        self.presence_due = self.pending_presence.values().map(|p| p.due).min();
    }

    /// One frame naming `batch` (all with the same event) and counting
    /// `omitted` others to the room's local connections; a user's own
    /// connections get it without them.
    fn announce_batch(&mut self, room: &RoomId, batch: &[(bool, User)], omitted: usize) {
        let Some(route) = self.rooms.get(room) else {
            return;
        };
        let event = if batch[0].0 {
            PresenceEvent::Online
        } else {
            PresenceEvent::Offline
        };
        let (members, online) = (route.members, self.view.room_online(room));
        let build = |except: Option<&str>| -> Option<Frame> {
            let names: Vec<_> = batch
                .iter()
                .filter(|(_, u)| Some(u.id.as_str()) != except)
                .map(|(_, u)| u.name.clone())
                .collect();
            let user = names.first()?.clone();
            Some(Frame::new(&ServerMsg::Presence {
                room: room.clone(),
                user,
                users: if names.len() > 1 { names } else { Vec::new() },
                event,
                members,
                online,
                omitted: u32::try_from(omitted).unwrap_or(u32::MAX),
            }))
        };
        let everyone = build(None);
        let named: HashSet<&str> = batch.iter().map(|(_, u)| u.id.as_str()).collect();
        let mut without: HashMap<&str, Option<Frame>> = HashMap::new();
        let mut sent = 0;
        for conn in &route.conns {
            let Some(c) = self.conns.get(conn) else {
                continue;
            };
            let frame = match named.get(c.user_id.as_str()) {
                Some(&me) => &*without.entry(me).or_insert_with(|| build(Some(me))),
                None => &everyone,
            };
            let Some(frame) = frame else {
                continue;
            };
            if c.outbox.push(frame.clone()).is_ok() {
                sent += 1;
            } else {
                self.evictions.add(*conn);
            }
        }
        self.metrics.frames_out.fetch_add(sent, Relaxed);
    }
}
