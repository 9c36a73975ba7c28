//! Server frames folded into the state.

use super::*;

impl ChatState {
    /// Folds a server frame into the state.
    pub fn apply(&mut self, msg: ServerMsg, now_ms: i64) -> Vec<Command> {
        let mut out = Vec::new();
        match msg {
            ServerMsg::Welcome { user, rooms } => self.welcome(user, rooms, &mut out),
            ServerMsg::Joined {
                room,
                members,
                messages,
                more,
                latest_seq,
                topic,
                role,
                ..
            } => {
                self.joined(room.clone(), members, messages, more, latest_seq, &mut out);
                if let Some(r) = self.rooms.get_mut(&room) {
                    (r.topic, r.role) = (topic, role);
                }
            }
            ServerMsg::Left { room } => self.remove_room(&room),
            ServerMsg::Message { message } => self.message(message, now_ms, &mut out),
            ServerMsg::Ack { client_id, message } => {
                if let Some((room_id, i)) = client_id.as_ref().and_then(|c| self.find_pending(c)) {
                    if let Some(room) = self.rooms.get_mut(&room_id) {
                        room.pending.remove(i);
                    }
                }
                let room_id = message.room.clone();
                let reading = self.is_reading(&room_id);
                let room = self
                    .rooms
                    .entry(room_id.clone())
                    .or_insert_with(|| Room::new(room_id.clone()));
                let event = (message.kind == EntryKind::Moderation).then(|| message.clone());
                if room.insert(message) {
                    if let Some(entry) = event {
                        self.room_event(&entry, now_ms, &mut out);
                    }
                }
                if reading {
                    self.mark_read(&room_id, &mut out);
                }
            }
            ServerMsg::Presence {
                room,
                user,
                users,
                event,
                members,
                online,
                // The others' change is in `online` alone.
                omitted: _,
            } => {
                // Several users at once, or the one.
                let users = if users.is_empty() { vec![user] } else { users };
                for user in users {
                    self.presence(room.clone(), user, event, members, online, &mut out);
                }
            }
            ServerMsg::Typing { room, user } => {
                if !self.is_me(&user) && !self.is_blocked(&user) {
                    if let Some(room) = self.rooms.get_mut(&room) {
                        room.typing.retain(|(name, _)| name.key() != user.key());
                        room.typing.push((user, now_ms + TYPING_TTL_MS));
                    }
                }
            }
            ServerMsg::History {
                room,
                messages,
                more,
            } => {
                if let Some(room) = self.rooms.get_mut(&room) {
                    room.loading_older = false;
                    room.more_before = more;
                    for m in messages {
                        room.insert(m);
                    }
                }
            }
            ServerMsg::Notification {
                kind,
                room,
                from,
                text,
                message_id: _,
                notice,
            } => self.notification(kind, room, from, text, notice, now_ms, &mut out),
            ServerMsg::Error {
                code,
                message,
                client_id,
                retry_after,
            } => {
                let pending = client_id
                    .as_deref()
                    .and_then(|c| ClientId::parse(c).ok())
                    .and_then(|c| self.find_pending(&c));
                match pending {
                    Some((room_id, i)) => {
                        let problem = self.refusal(code, message, retry_after, false);
                        if let Some(p) = self
                            .rooms
                            .get_mut(&room_id)
                            .and_then(|r| r.pending.get_mut(i))
                        {
                            p.status = SendStatus::Failed(problem);
                        }
                    }
                    None => {
                        let problem = self.refusal(code, message, retry_after, true);
                        self.toast(
                            ToastKind::Error,
                            None,
                            None,
                            ToastBody::Problem(problem),
                            now_ms,
                        );
                    }
                }
            }
        }
        out
    }

    pub(super) fn welcome(
        &mut self,
        user: User,
        summaries: Vec<RoomSummary>,
        out: &mut Vec<Command>,
    ) {
        self.me = Some(user);
        self.conn = ConnStatus::Open;
        self.awaiting_select.clear();
        self.joins.clear();
        // Rooms left from another device are gone; conversations this
        // client opened that the server does not know yet stay.
        let listed: Vec<RoomId> = summaries.iter().map(|s| s.name.clone()).collect();
        self.rooms.retain(|id, room| {
            listed.contains(id)
                || !room.pending.is_empty()
                || (room.id.is_direct() && room.messages.is_empty())
        });
        let unlisted: Vec<RoomId> = self
            .rooms
            .keys()
            .filter(|id| !listed.contains(id))
            .cloned()
            .collect();
        for summary in summaries {
            let room = self
                .rooms
                .entry(summary.name.clone())
                .or_insert_with(|| Room::new(summary.name.clone()));
            room.joined = false;
            room.member_count = summary.members;
            room.online_count = summary.online;
            // The server's count covers everything up to latest_seq.
            room.unread = summary.unread;
            room.unread_base = summary.latest_seq;
            room.latest_seq = room.latest_seq.max(summary.latest_seq);
            room.read_seq = room
                .read_seq
                .max(summary.latest_seq.saturating_sub(summary.unread));
        }
        for room in listed.into_iter().chain(unlisted) {
            self.join(room, out);
        }
        self.send_waiting(out);
        let active_ok = self
            .active
            .as_ref()
            .is_some_and(|a| self.rooms.contains_key(a));
        if !active_ok {
            let lobby = RoomId::lobby();
            self.active = if self.rooms.contains_key(&lobby) {
                Some(lobby)
            } else {
                self.rooms.keys().next().cloned()
            };
        }
    }

    pub(super) fn joined(
        &mut self,
        room_id: RoomId,
        members: Vec<Member>,
        messages: Vec<Message>,
        more: bool,
        latest_seq: u64,
        out: &mut Vec<Command>,
    ) {
        let me = self.me.as_ref().map(|u| u.name.key());
        let reading = self.is_reading(&room_id);
        let known = self.rooms.contains_key(&room_id);
        // The `since` of the join this replies to; a reply nobody asked for
        // is taken as a fresh join.
        let resumed_from = self.joins.remove(&room_id).flatten();
        let room = self
            .rooms
            .entry(room_id.clone())
            .or_insert_with(|| Room::new(room_id.clone()));
        if !known {
            // A room joined just now: its past is not "unread".
            room.unread_base = latest_seq;
            room.read_seq = latest_seq;
        }
        room.joined = true;
        room.members = members
            .into_iter()
            .map(|m| {
                (
                    m.name.key(),
                    MemberState {
                        name: m.name,
                        color: m.color.as_str().to_owned(),
                        online: m.online,
                    },
                )
            })
            .collect();
        room.recount_online();
        let first_new = messages.iter().map(|m| m.seq).min();
        match resumed_from {
            Some(since) => {
                // Resumed: when the reply skipped messages (more than fit in
                // one reply), keep only the newer window, so what is shown
                // has no hole, and let "load older" fill the rest.
                if more && first_new.is_some_and(|f| f > since + 1) {
                    room.messages.clear();
                    room.more_before = true;
                }
            }
            None => room.more_before = more,
        }
        let base = room.unread_base;
        for m in messages {
            // Only messages count, not edits or deletions of them.
            let counts = m.seq > base
                && Some(m.from.key()) != me
                && m.is_message()
                && !self.blocked.contains(&m.from.key());
            if room.insert(m) && counts && !reading {
                room.unread += 1;
            }
        }
        room.latest_seq = room.latest_seq.max(latest_seq);
        room.unread_base = room.unread_base.max(room.last_seq().unwrap_or(0));
        if let Some(since) = resumed_from {
            // More messages after the ones just received: keep pulling.
            let resume = room.resume_seq();
            if more && resume.is_some_and(|r| r > since) {
                out.push(Command::Send(ClientMsg::Join {
                    room: room_id.clone(),
                    since: resume,
                    password: None,
                }));
            }
        }
        if let Some(pos) = self.awaiting_select.iter().position(|r| r == &room_id) {
            self.awaiting_select.remove(pos);
            self.select(room_id, out);
        } else if reading {
            self.mark_read(&room_id, out);
        }
        if self.active.is_none() {
            self.active = self.rooms.keys().next().cloned();
        }
    }

    pub(super) fn message(&mut self, message: Message, now_ms: i64, out: &mut Vec<Command>) {
        let room_id = message.room.clone();
        let reading = self.is_reading(&room_id);
        let from_other = !self.is_me(&message.from) && !self.is_blocked(&message.from);
        let open = self.conn.is_open();
        let known = self.rooms.contains_key(&room_id);
        let room = self
            .rooms
            .entry(room_id.clone())
            .or_insert_with(|| Room::new(room_id.clone()));
        let event = (message.kind == EntryKind::Moderation).then(|| message.clone());
        // Only a conversation comes this way; a moderation entry about a
        // room left already (a removal) does not join it again.
        if !known && open && event.is_none() {
            // A conversation someone else started: fetch its members.
            // Only this message is new; its past is not "unread".
            room.unread_base = message.seq.saturating_sub(1);
            room.read_seq = room.unread_base;
            self.joins.insert(room_id.clone(), None);
            out.push(Command::Send(ClientMsg::Join {
                room: room_id.clone(),
                since: None,
                password: None,
            }));
        }
        let counts = message.seq > room.unread_base && from_other && message.is_message();
        let new = room.insert(message);
        if new && counts && !reading {
            room.unread += 1;
        }
        if let Some(entry) = event.filter(|_| new) {
            self.room_event(&entry, now_ms, out);
        }
        if reading {
            self.mark_read(&room_id, out);
        }
    }

    pub(super) fn presence(
        &mut self,
        room_id: RoomId,
        user: UserName,
        event: PresenceEvent,
        members: u32,
        online: u32,
        out: &mut Vec<Command>,
    ) {
        if self.is_me(&user) {
            match event {
                // Left or joined on another device.
                PresenceEvent::Left => {
                    self.remove_room(&room_id);
                    return;
                }
                PresenceEvent::Joined if !self.rooms.contains_key(&room_id) => {
                    if self.conn.is_open() && !self.joins.contains_key(&room_id) {
                        self.join(room_id, out);
                    }
                    return;
                }
                _ => {}
            }
        }
        let color = self
            .color_of(&user)
            .unwrap_or_else(|| fallback_color(&user));
        let Some(room) = self.rooms.get_mut(&room_id) else {
            return;
        };
        let key = user.key();
        match event {
            PresenceEvent::Joined => {
                room.members.entry(key).or_insert(MemberState {
                    name: user,
                    color,
                    online: true,
                });
            }
            PresenceEvent::Left => {
                room.members.remove(&key);
                room.typing.retain(|(name, _)| name.key() != key);
            }
            PresenceEvent::Online | PresenceEvent::Offline => {
                let is_online = event == PresenceEvent::Online;
                if let Some(m) = room.members.get_mut(&key) {
                    m.online = is_online;
                }
                if !is_online {
                    room.typing.retain(|(name, _)| name.key() != key);
                }
            }
        }
        // The server's counts are the truth (the member list may be partial
        // before `joined`).
        room.member_count = members;
        room.online_count = online;
    }

    pub(super) fn remove_room(&mut self, room: &RoomId) {
        self.rooms.remove(room);
        self.awaiting_select.retain(|r| r != room);
        self.joins.remove(room);
        if self.active.as_ref() == Some(room) {
            let lobby = RoomId::lobby();
            self.active = if self.rooms.contains_key(&lobby) {
                Some(lobby)
            } else {
                self.rooms.keys().next().cloned()
            };
        }
    }
}
