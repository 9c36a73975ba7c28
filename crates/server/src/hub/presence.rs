//! Online and offline announcements, coalesced.
//!
//! Users coming online or going offline are not announced one frame each
//! as they happen: changes gather for `PRESENCE_DELAY` (100 ms) and are
//! then announced with one `presence` frame per room and event listing
//! every user (`users`). So when thousands connect into one room, or drop
//! at once (a mass disconnect: each eviction publishes an `offline`), each
//! member gets one frame per room every 100 ms instead of one per user:
//! the frames sent grow with the users times the seconds the burst lasts,
//! not with the square of the users, and a burst of announcements cannot
//! overflow the outbox of a client that reads.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;

use confab_shared::{PresenceEvent, RoomId, ServerMsg, User};

use super::view::Change;
use super::Hub;
use crate::outbox::Frame;

/// Users named in one frame at most (a frame stays a few KiB).
const MAX_USERS_PER_FRAME: usize = 256;

impl Hub {
    /// A user came online or went offline cluster-wide: announced to their
    /// rooms with the other changes of the next `PRESENCE_DELAY`.
    pub(super) fn presence_changed(&mut self, change: Change) {
        self.pending_presence.push(change);
        self.presence_due
            .get_or_insert_with(|| std::time::Instant::now() + super::PRESENCE_DELAY);
    }

    /// Announces the gathered presence changes: per room, one frame per run
    /// of users with the same event (in the order they happened).
    pub(super) fn flush_presence(&mut self) {
        if self.pending_presence.is_empty() {
            return;
        }
        let changes = std::mem::take(&mut self.pending_presence);
        let mut order: Vec<RoomId> = Vec::new();
        let mut per_room: HashMap<RoomId, Vec<(bool, User)>> = HashMap::new();
        for change in changes {
            for room in change.rooms {
                if !self.rooms.contains_key(&room) {
                    continue;
                }
                per_room
                    .entry(room.clone())
                    .or_insert_with(|| {
                        order.push(room.clone());
                        Vec::new()
                    })
                    .push((change.online, change.user.clone()));
            }
        }
        for room in order {
            let Some(list) = per_room.remove(&room) else {
                continue;
            };
            for run in list.chunk_by(|a, b| a.0 == b.0) {
                for batch in run.chunks(MAX_USERS_PER_FRAME) {
                    self.announce_batch(&room, batch);
                }
            }
        }
    }

    /// One frame naming `batch` (all with the same event) to the room's
    /// local connections; a user's own connections get it without them.
    fn announce_batch(&mut self, room: &RoomId, batch: &[(bool, User)]) {
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
