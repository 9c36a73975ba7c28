//! Room moderation in the state: the facts a live `moderation` entry
//! changes (topic, the user's role), the notice of being removed, joins
//! with a password, moderation requests, and refusals worded as problems.

use super::*;

impl ChatState {
    /// What a `moderation` entry that just arrived (a `message` or `ack`,
    /// not an old page) changes. The `joined` reply carries the topic and
    /// role as they are, so older entries change nothing.
    pub(super) fn room_event(&mut self, entry: &Message, now_ms: i64, out: &mut Vec<Command>) {
        let Some(event) = entry.event.as_ref() else {
            return;
        };
        let about_me = event.user().is_some_and(|u| self.is_me(u));
        if let Some(room) = self.rooms.get_mut(&entry.room) {
            room.last_event = room.last_event.max(entry.seq);
            match event {
                RoomEvent::Topic { topic } => topic.as_str().clone_into(&mut room.topic),
                RoomEvent::Moderator { appoint: true, .. } if about_me => {
                    room.role = room.role.max(RoomRole::Moderator);
                }
                // An owner or admin stays one.
                RoomEvent::Moderator { appoint: false, .. }
                    if about_me && room.role == RoomRole::Moderator =>
                {
                    room.role = RoomRole::Member;
                }
                _ => {}
            }
        }
        let (banned, reason) = match event {
            RoomEvent::Kick { reason, .. } if about_me => (false, reason),
            RoomEvent::Ban { reason, .. } if about_me => (true, reason),
            _ => return,
        };
        // Gone at once (the `left` presence that follows finds nothing to
        // do): the server ended the membership, so nothing more is sent
        // for the room, not even its read cursor.
        self.remove_room(&entry.room);
        let body = ToastBody::Removed {
            room: entry.room.clone(),
            by: entry.from.clone(),
            banned,
            reason: reason.as_str().to_owned(),
        };
        if !self.visible {
            out.push(Command::Notify {
                kind: ToastKind::System,
                from: Some(entry.from.clone()),
                body: body.clone(),
                room: None,
            });
        }
        self.toast(
            ToastKind::System,
            None,
            Some(entry.from.clone()),
            body,
            now_ms,
        );
    }

    /// Joins `room` (with its password, if given) and shows it once joined.
    pub(super) fn join_action(
        &mut self,
        room: RoomId,
        password: Option<RoomPassword>,
        now_ms: i64,
        out: &mut Vec<Command>,
    ) {
        // A new try: the last refusal is old news.
        self.join_refused = None;
        if self.rooms.get(&room).is_some_and(|r| r.joined) {
            self.select(room, out);
        } else if self.conn.is_open() {
            if !self.awaiting_select.contains(&room) {
                self.awaiting_select.push(room.clone());
            }
            self.join_with(room, password, out);
        } else {
            self.toast(
                ToastKind::Error,
                None,
                None,
                ToastBody::Problem(Problem::NotConnected),
                now_ms,
            );
        }
    }

    /// Sends a moderation request; the server answers with the entry (or
    /// an error, which becomes a toast).
    pub(super) fn moderate(
        &mut self,
        room: RoomId,
        action: ModAction,
        now_ms: i64,
        out: &mut Vec<Command>,
    ) {
        if self.conn.is_open() {
            out.push(Command::Send(ClientMsg::Moderate {
                room,
                action,
                client_id: None,
            }));
        } else {
            self.toast(
                ToastKind::Error,
                None,
                None,
                ToastBody::Problem(Problem::NotConnected),
                now_ms,
            );
        }
    }

    /// The problem an `error` frame stands for. One without a client id
    /// that refuses entry (`forbidden`, `room_full`) while a join the user
    /// asked for is unanswered answers that join (the server replies in
    /// order): it is no longer awaited.
    pub(super) fn refusal(
        &mut self,
        code: ErrorCode,
        detail: String,
        retry_after: Option<u64>,
        may_be_join: bool,
    ) -> Problem {
        match code {
            ErrorCode::Muted => Problem::Muted {
                secs: retry_after.unwrap_or(0),
            },
            ErrorCode::Forbidden | ErrorCode::RoomFull
                if may_be_join && !self.awaiting_select.is_empty() =>
            {
                let room = self.awaiting_select.remove(0);
                self.joins.remove(&room);
                self.join_refused = Some((room.clone(), code));
                Problem::JoinRefused { room, code }
            }
            _ => Problem::Refused { code, detail },
        }
    }
}
