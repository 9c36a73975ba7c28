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
                        "You cannot send a direct message to yourself.".into(),
                        now_ms,
                    ),
                }
            }
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
                            None => p.status = SendStatus::Failed("not connected".into()),
                        }
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
            Action::Join(room) => {
                if self.rooms.get(&room).is_some_and(|r| r.joined) {
                    self.select(room, &mut out);
                } else if self.conn.is_open() {
                    if !self.awaiting_select.contains(&room) {
                        self.awaiting_select.push(room.clone());
                    }
                    self.join(room, &mut out);
                } else {
                    self.toast(
                        ToastKind::Error,
                        None,
                        None,
                        "Not connected: try again when the connection is back.".into(),
                        now_ms,
                    );
                }
            }
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
            Action::Tick => {
                self.toasts.retain(|t| t.until_ms > now_ms);
                for room in self.rooms.values_mut() {
                    room.typing.retain(|(_, until)| *until > now_ms);
                }
            }
        }
        out
    }

    /// What a lost connection does to the state: unacknowledged sends fail,
    /// typing lines and join replies belong to the old connection.
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
                    p.status =
                        SendStatus::Failed("connection lost before the server confirmed it".into());
                }
            }
        }
    }
}
