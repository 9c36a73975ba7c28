//! Local actions (what the user or the connection did) folded into the state.

use super::*;

impl ChatState {
    /// Folds a local action into the state.
    pub fn act(&mut self, action: Action, now_ms: i64) -> Vec<Command> {
        let mut out = Vec::new();
        match action {
            Action::Connecting => {
                if self.conn != ConnStatus::Closed {
                    self.conn = ConnStatus::Connecting;
                }
            }
            Action::Lost { attempt, secs } => {
                if self.conn != ConnStatus::Closed {
                    self.conn = ConnStatus::Reconnecting { attempt, secs };
                }
                self.disconnected();
            }
            Action::Closed => {
                self.conn = ConnStatus::Closed;
                self.disconnected();
            }
            Action::Send {
                room,
                text,
                client_id,
            } => {
                let pending = Pending {
                    client_id,
                    room,
                    text,
                    ts_ms: now_ms,
                    status: SendStatus::Sending,
                };
                self.post(pending, &mut out);
            }
            Action::Dm {
                to,
                text,
                client_id,
            } => {
                let room = self
                    .me
                    .as_ref()
                    .and_then(|me| RoomId::direct(&me.name, &to));
                match room {
                    Some(room) => {
                        let pending = Pending {
                            client_id,
                            room: room.clone(),
                            text,
                            ts_ms: now_ms,
                            status: SendStatus::Sending,
                        };
                        self.post(pending, &mut out);
                        self.select(room, &mut out);
                    }
                    None => self.toast(
                        ToastKind::Error,
                        None,
                        None,
                        ToastBody::Problem(Problem::DmToSelf),
                        now_ms,
                    ),
                }
            }
            Action::Edit { room, seq, text } => {
                self.change(room, seq, Some(text), now_ms, &mut out)
            }
            Action::Delete { room, seq } => self.change(room, seq, None, now_ms, &mut out),
            Action::Retry { client_id } => {
                if let Some((room_id, i)) = self.find_pending(&client_id) {
                    let frame = self
                        .rooms
                        .get(&room_id)
                        .and_then(|r| r.pending.get(i))
                        .filter(|_| self.conn.is_open())
                        .and_then(|p| self.send_frame(p));
                    if let Some(p) = self
                        .rooms
                        .get_mut(&room_id)
                        .and_then(|r| r.pending.get_mut(i))
                    {
                        match frame {
                            Some(frame) => {
                                p.status = SendStatus::Sending;
                                out.push(Command::Send(frame));
                            }
                            None => p.status = SendStatus::Waiting,
                        }
                        // A retry gets the full time again.
                        p.ts_ms = now_ms;
                    }
                }
            }
            Action::Discard { client_id } => {
                if let Some((room_id, i)) = self.find_pending(&client_id) {
                    if let Some(room) = self.rooms.get_mut(&room_id) {
                        if room.pending[i].status != SendStatus::Sending {
                            room.pending.remove(i);
                        }
                    }
                }
            }
            Action::Join(room) => self.join_action(room, None, now_ms, &mut out),
            Action::JoinWith { room, password } => {
                self.join_action(room, Some(password), now_ms, &mut out)
            }
            Action::Moderate { room, action } => self.moderate(room, action, now_ms, &mut out),
            Action::OpenDm(user) => {
                let room = self
                    .me
                    .as_ref()
                    .and_then(|me| RoomId::direct(&me.name, &user));
                if let Some(room) = room {
                    if !self.rooms.contains_key(&room) {
                        // Shown at once; `joined` fills in its history.
                        self.rooms.insert(room.clone(), Room::new(room.clone()));
                        if self.conn.is_open() {
                            self.join(room.clone(), &mut out);
                        }
                    }
                    self.select(room, &mut out);
                }
            }
            Action::Leave(room) => {
                if self.conn.is_open() && self.rooms.contains_key(&room) {
                    out.push(Command::Send(ClientMsg::Leave { room }));
                }
            }
            Action::Select(room) => {
                if self.rooms.contains_key(&room) {
                    self.select(room, &mut out);
                }
            }
            Action::Typing(room_id) => {
                let open = self.conn.is_open();
                if let Some(room) = self.rooms.get_mut(&room_id) {
                    let due = room
                        .last_typing_sent
                        .is_none_or(|t| now_ms - t >= TYPING_THROTTLE_MS);
                    if open && room.joined && due {
                        room.last_typing_sent = Some(now_ms);
                        out.push(Command::Send(ClientMsg::Typing { room: room_id }));
                    }
                }
            }
            Action::MarkRead(room) => self.mark_read(&room, &mut out),
            Action::LoadOlder(room_id) => {
                let open = self.conn.is_open();
                if let Some(room) = self.rooms.get_mut(&room_id) {
                    if open && room.more_before && !room.loading_older {
                        room.loading_older = true;
                        out.push(Command::Send(ClientMsg::History {
                            room: room_id,
                            before: room.first_seq(),
                            limit: HistoryLimit::parse(HISTORY_PAGE).ok(),
                        }));
                    }
                }
            }
            Action::Visible(visible) => {
                self.visible = visible;
                if let Some(active) = self.active.clone().filter(|_| visible) {
                    self.mark_read(&active, &mut out);
                }
            }
            Action::Dismiss(id) => self.toasts.retain(|t| t.id != id),
            Action::Blocked(users) => {
                self.blocked = users.iter().map(UserName::key).collect();
            }
            Action::Report(body) => self.toast(ToastKind::Error, None, None, body, now_ms),
            Action::Tick => {
                self.toasts.retain(|t| t.until_ms > now_ms);
                for room in self.rooms.values_mut() {
                    room.typing.retain(|(_, until)| *until > now_ms);
                    for p in &mut room.pending {
                        let overdue = now_ms - p.ts_ms > PENDING_TIMEOUT_MS;
                        if overdue && !matches!(p.status, SendStatus::Failed(_)) {
                            p.status = SendStatus::Failed(Problem::Unconfirmed);
                        }
                    }
                }
            }
            Action::Restore(kept) => {
                for mut p in kept {
                    if self.find_pending(&p.client_id).is_some() {
                        continue;
                    }
                    // Whatever it was on the old page, it is on no
                    // connection now.
                    if p.status == SendStatus::Sending {
                        p.status = SendStatus::Waiting;
                    }
                    let room_id = p.room.clone();
                    self.rooms
                        .entry(room_id.clone())
                        .or_insert_with(|| Room::new(room_id))
                        .pending
                        .push(p);
                }
                self.send_waiting(&mut out);
            }
        }
        out
    }

    /// What a lost connection does to the state: unacknowledged sends wait
    /// for the next connection (which sends them again, with their client
    /// ids), typing lines and join replies belong to the old connection.
    pub(super) fn disconnected(&mut self) {
        self.awaiting_select.clear();
        self.joins.clear();
        for room in self.rooms.values_mut() {
            room.joined = false;
            room.loading_older = false;
            room.typing.clear();
            room.last_typing_sent = None;
            for p in &mut room.pending {
                if p.status == SendStatus::Sending {
                    p.status = SendStatus::Waiting;
                }
            }
        }
    }

    /// Edits (`Some` text) or deletes one's own stored message (or, for
    /// staff, anyone's). The change
    /// shows once the server has stored it (its entry comes back like a
    /// message), so nothing is shown that did not happen; offline, the user
    /// is told to try again.
    fn change(
        &mut self,
        room: RoomId,
        seq: u64,
        text: Option<MessageText>,
        now_ms: i64,
        out: &mut Vec<Command>,
    ) {
        let Some(me) = self.me.as_ref() else {
            return;
        };
        // Staff may delete anyone's message; only its author edits it.
        let Some(current) = self.rooms.get(&room).and_then(|r| match text {
            Some(_) => r.own_message(seq, &me.name),
            None => r.deletable_message(seq, &me.name),
        }) else {
            return;
        };
        if text.as_ref().is_some_and(|t| t.as_str() == current.text) {
            return;
        }
        if !self.conn.is_open() {
            self.toast(
                ToastKind::Error,
                None,
                None,
                ToastBody::Problem(Problem::NotConnected),
                now_ms,
            );
            return;
        }
        out.push(Command::Send(match text {
            Some(text) => ClientMsg::Edit {
                room,
                seq,
                text,
                client_id: None,
            },
            None => ClientMsg::Delete {
                room,
                seq,
                client_id: None,
            },
        }));
    }
}
