//! Delivery: log entries, typing and presence to the local connections.

use std::sync::atomic::Ordering::Relaxed;

use bytestring::ByteString;
use confab_engine::store::{LogBody, Membership};
use confab_shared::mention::mentions_of;
use confab_shared::{
    EntryKind, Message, NotificationKind, PresenceEvent, RoomEvent, RoomId, RoomSummary, ServerMsg,
    User,
};

use super::order::Arrival;
use super::{ConnId, Hub, RECENT_FRAMES};
use crate::outbox::Frame;

/// Notification previews are cut to this many characters.
const PREVIEW_CHARS: usize = 200;

impl Hub {
    /// Delivers every entry that is next in `pos` order.
    pub(super) fn deliver_ready(&mut self) {
        while let Some(arrival) = self.order.next_ready() {
            self.deliver(arrival);
        }
    }

    fn deliver(&mut self, arrival: Arrival) {
        let Arrival {
            entry,
            frame,
            origin,
        } = arrival;
        // The connection that caused the entry already has its answer.
        let skip = origin.and_then(|(node, conn)| (node == self.node).then_some(conn));
        match entry.body {
            LogBody::Message { message, sender_id } => {
                let json = if frame.is_empty() {
                    ByteString::from(
                        ServerMsg::Message {
                            message: message.clone(),
                        }
                        .to_json(),
                    )
                } else {
                    frame
                };
                let frame = Frame {
                    kind: "message",
                    json,
                    pos: Some(entry.pos),
                };
                let lag_ms = confab_shared::Timestamp::now().millis() - message.ts.millis();
                self.metrics
                    .observe_delivery_lag(u64::try_from(lag_ms).unwrap_or(0).saturating_mul(1000));
                self.deliver_message(&message, &frame, skip);
                self.notify(&message, &sender_id);
            }
            LogBody::Member {
                user,
                joined,
                members,
            } => self.membership(&entry.room, &user, joined, members, skip),
        }
    }

    fn deliver_message(&mut self, message: &Message, frame: &Frame, skip: Option<ConnId>) {
        let Some(route) = self.rooms.get_mut(&message.room) else {
            return;
        };
        route.delivered_seq = route.delivered_seq.max(message.seq);
        if message.kind == EntryKind::Delete {
            // The recent frames may hold the deleted text (the message, its
            // edits): forget them, so a join in the meantime reads its page
            // again from the store, which shows the message as it is now.
            route.recent.clear();
        }
        route.recent.push_back((message.seq, frame.clone()));
        if route.recent.len() > RECENT_FRAMES {
            route.recent.pop_front();
        }
        let mut sent = 0;
        for conn in &route.conns {
            if Some(*conn) == skip {
                continue;
            }
            let Some(c) = self.conns.get_mut(conn) else {
                continue;
            };
            if let Some(floor) = c.floors.get(&message.room) {
                if message.seq <= *floor {
                    continue;
                }
                c.floors.remove(&message.room);
            }
            if c.outbox.push(frame.clone()).is_ok() {
                sent += 1;
            } else {
                self.evictions.add(*conn);
            }
        }
        self.metrics.frames_out.fetch_add(sent, Relaxed);
    }

    fn membership(
        &mut self,
        room: &RoomId,
        user: &User,
        joined: bool,
        members: u32,
        skip: Option<ConnId>,
    ) {
        self.view.member(&user.id, room, joined);
        if let Some(route) = self.rooms.get_mut(room) {
            route.members = members;
        }
        // The user's connections on this node follow the membership.
        let conns: Vec<ConnId> = match self.users.get_mut(&user.id) {
            Some(local) => {
                if joined {
                    local.rooms.insert(room.clone());
                } else {
                    local.rooms.remove(room);
                }
                local.conns.clone()
            }
            None => Vec::new(),
        };
        if !conns.is_empty() {
            // Online here: the shared record's rooms (the public list's
            // online counts) follow the membership too.
            self.record_presence(user, true);
            let route = self.rooms.entry(room.clone()).or_default();
            route.members = members;
            for conn in &conns {
                if !joined {
                    route.conns.remove(conn);
                } else if !self.pending_joins.contains(&(*conn, room.clone())) {
                    route.conns.insert(*conn);
                }
                // A floor from an earlier membership means nothing now.
                if let Some(c) = self.conns.get_mut(conn) {
                    c.floors.remove(room);
                }
            }
        }
        let frame = Frame::new(&ServerMsg::Presence {
            room: room.clone(),
            user: user.name.clone(),
            event: if joined {
                PresenceEvent::Joined
            } else {
                PresenceEvent::Left
            },
            members,
            online: self.view.room_online(room),
            users: Vec::new(),
            omitted: 0,
        });
        // A conversation's first message makes both members: nothing to
        // announce there.
        if !room.is_direct() {
            self.deliver_to_room(room, &frame, skip, None);
        }
        if !joined {
            // No longer a member, but their other tabs must learn it.
            for conn in conns.into_iter().filter(|c| Some(*c) != skip) {
                self.push_to(conn, &frame);
            }
            self.drop_route_if_unused(room);
        }
    }

    pub(super) fn typing(&mut self, room: &RoomId, user_id: &str, frame: &ByteString) {
        let frame = Frame {
            kind: "typing",
            json: frame.clone(),
            pos: None,
        };
        self.deliver_to_room(room, &frame, None, Some(user_id));
    }

    /// Pushes `frame` to every local connection in `room` but `skip` and
    /// the connections of `skip_user`.
    fn deliver_to_room(
        &mut self,
        room: &RoomId,
        frame: &Frame,
        skip: Option<ConnId>,
        skip_user: Option<&str>,
    ) {
        let Some(route) = self.rooms.get(room) else {
            return;
        };
        let mut sent = 0;
        for conn in &route.conns {
            if Some(*conn) == skip {
                continue;
            }
            let Some(c) = self.conns.get(conn) else {
                continue;
            };
            if skip_user == Some(c.user_id.as_str()) {
                continue;
            }
            if c.outbox.push(frame.clone()).is_ok() {
                sent += 1;
            } else {
                self.evictions.add(*conn);
            }
        }
        self.metrics.frames_out.fetch_add(sent, Relaxed);
    }

    pub(super) fn push_to(&mut self, conn: ConnId, frame: &Frame) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if c.outbox.push(frame.clone()).is_ok() {
            self.metrics.frames_out.fetch_add(1, Relaxed);
        } else {
            self.evictions.add(conn);
        }
    }

    fn push_to_user(&mut self, user_id: &str, frame: &Frame) {
        let conns = match self.users.get(user_id) {
            Some(local) => local.conns.clone(),
            None => return,
        };
        for conn in conns {
            self.push_to(conn, frame);
        }
    }

    pub(super) fn welcome(&self, user: &User, rooms: &[Membership]) -> Frame {
        // The user counts as online although the view learns it a moment later.
        let me = u32::from(!self.view.is_online(&user.id));
        let rooms = rooms
            .iter()
            .map(|m| RoomSummary {
                name: m.room.clone(),
                members: m.members,
                online: self.view.room_online(&m.room) + me,
                unread: m.unread,
                latest_seq: self
                    .rooms
                    .get(&m.room)
                    .map_or(m.latest_seq, |r| r.delivered_seq.max(m.latest_seq)),
            })
            .collect();
        Frame::new(&ServerMsg::Welcome {
            user: user.clone(),
            rooms,
        })
    }

    /// DM and `@mention` notifications for a message, to this node's users.
    fn notify(&mut self, message: &Message, sender_id: &str) {
        // An invitation tells the invited user (who is no member yet).
        if let Some(RoomEvent::Invite { user }) = &message.event {
            if let Some(id) = self.names.get(&user.key()).cloned() {
                let frame = Frame::new(&ServerMsg::Notification {
                    kind: NotificationKind::Invite,
                    room: Some(message.room.clone()),
                    from: Some(message.from.clone()),
                    text: String::new(),
                    message_id: Some(message.id.clone()),
                    notice: None,
                });
                self.push_to_user(&id, &frame);
            }
            return;
        }
        // An edit, deletion or moderation notifies nobody: the message
        // did, once.
        if !message.is_message() {
            return;
        }
        let recipients: Vec<(NotificationKind, String)> = match &message.room {
            RoomId::Direct(..) => message
                .room
                .peer_of(&message.from)
                .and_then(|peer| self.names.get(&peer.key()))
                .map(|id| (NotificationKind::Dm, id.clone()))
                .into_iter()
                .collect(),
            // The longest name of a member here that the text after `@`
            // starts with, among this node's users (whom it can notify):
            // with two members whose names extend one another on different
            // nodes, a node may take the shorter (see docs/PROTOCOL.md).
            RoomId::Public(_) => {
                let in_room = |id: &String| {
                    self.users
                        .get(id.as_str())
                        .is_some_and(|l| l.rooms.contains(&message.room))
                };
                mentions_of(&message.text, |key| {
                    self.names.get(key).is_some_and(in_room)
                })
                .iter()
                .filter_map(|key| self.names.get(key))
                .filter(|id| id.as_str() != sender_id)
                .map(|id| (NotificationKind::Mention, id.clone()))
                .collect()
            }
        };
        if recipients.is_empty() {
            return;
        }
        let text = if message.text.is_empty() && message.attachment.is_some() {
            "sent an image".to_owned()
        } else {
            message.text.chars().take(PREVIEW_CHARS).collect()
        };
        for (kind, user_id) in recipients {
            let frame = Frame::new(&ServerMsg::Notification {
                kind,
                room: Some(message.room.clone()),
                from: Some(message.from.clone()),
                text: text.clone(),
                message_id: Some(message.id.clone()),
                notice: None,
            });
            self.push_to_user(&user_id, &frame);
        }
    }
}
