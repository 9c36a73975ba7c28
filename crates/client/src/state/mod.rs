//! The chat state and its transitions, as plain Rust.
//!
//! [`ChatState`] is a reducer: [`ChatState::apply`] folds one [`ServerMsg`]
//! into it and [`ChatState::act`] one local [`Action`] (something the user or
//! the connection did). Both return the [`Command`]s the caller must carry
//! out (frames to send, a browser notification to show). Nothing here knows
//! about Leptos, the DOM or the clock: the caller passes `now_ms`, so every
//! transition is a unit test away.
//!
//! Where things are: the room's own state in `room`, local actions in
//! `act`, server frames in `apply`, user-facing labels in `labels`,
//! problems and toasts in `notice`, moderation (topic, role, removal,
//! joins with a password) in `moderation`.

mod act;
mod apply;
mod labels;
mod moderation;
mod notice;
mod room;

pub use self::labels::{fallback_color, room_label};
pub use self::notice::{Problem, Toast, ToastBody, ToastKind};
pub use self::room::{MemberState, Pending, Room};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use confab_shared::moderation::RoomPassword;
use confab_shared::{
    ClientId, ClientMsg, EntryKind, ErrorCode, HistoryLimit, Member, Message, MessageText,
    ModAction, NotificationKind, PresenceEvent, RoomEvent, RoomId, RoomRole, RoomSummary,
    ServerMsg, SystemNotice, User, UserName,
};

/// How long a `typing` frame keeps a user in the "is typing" line.
pub const TYPING_TTL_MS: i64 = 5_000;
/// The least time between two `typing` frames this client sends for a room.
pub const TYPING_THROTTLE_MS: i64 = 3_000;
/// How long a toast stays up unless dismissed.
pub const TOAST_TTL_MS: i64 = 8_000;
/// At most this many toasts are kept; older ones are dropped.
pub const MAX_TOASTS: usize = 5;
/// How many older messages one "load older" asks for.
pub const HISTORY_PAGE: u32 = 50;

/// The state of the one WebSocket of this tab.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnStatus {
    /// The socket is being opened (first time or after a wait).
    #[default]
    Connecting,
    /// `welcome` arrived: the socket is usable.
    Open,
    /// The socket was lost; the next attempt starts in `secs` seconds.
    Reconnecting { attempt: u32, secs: u32 },
    /// Given up for good (logged out, session gone).
    Closed,
}

impl ConnStatus {
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }
}

/// Where a pending message of this client stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SendStatus {
    /// Not sent yet: there is no connection. It goes out, with its client
    /// id, as soon as there is one.
    Waiting,
    /// Sent on this connection, waiting for its `ack`.
    Sending,
    /// The server refused it, or it stayed unconfirmed for
    /// [`PENDING_TIMEOUT_MS`]; the user may retry it (same client id) or
    /// delete it.
    Failed(Problem),
}

/// A message unconfirmed for this long is shown as not sent.
pub const PENDING_TIMEOUT_MS: i64 = 120_000;

/// Something the user or the connection did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A socket is being opened.
    Connecting,
    /// The socket closed or could not be opened; the next try is in `secs`.
    Lost { attempt: u32, secs: u32 },
    /// The connection is given up for good (logout, session gone).
    Closed,
    /// Post `text` to `room` under `client_id`.
    Send {
        room: RoomId,
        text: MessageText,
        client_id: ClientId,
    },
    /// Post `text` to the direct conversation with `to`.
    Dm {
        to: UserName,
        text: MessageText,
        client_id: ClientId,
    },
    /// Send a failed message again, with the same client id.
    Retry { client_id: ClientId },
    /// Drop a failed message.
    Discard { client_id: ClientId },
    /// Pending messages kept in the browser's storage by an earlier page
    /// of this tab (a reload): shown again and sent when connected. Ones
    /// already held are ignored.
    Restore(Vec<Pending>),
    /// Replace the text of one's own stored message.
    Edit {
        room: RoomId,
        seq: u64,
        text: MessageText,
    },
    /// Take one's own stored message back.
    Delete { room: RoomId, seq: u64 },
    /// Join (or create) a room and show it once joined.
    Join(RoomId),
    /// Join a room that takes a password.
    JoinWith {
        room: RoomId,
        password: RoomPassword,
    },
    /// Do a moderation action in a room (the server checks the role).
    Moderate { room: RoomId, action: ModAction },
    /// Open the direct conversation with a user.
    OpenDm(UserName),
    /// Leave a room.
    Leave(RoomId),
    /// Show a room.
    Select(RoomId),
    /// The user is typing in a room.
    Typing(RoomId),
    /// The user has read a room up to its newest message.
    MarkRead(RoomId),
    /// Fetch older messages of a room.
    LoadOlder(RoomId),
    /// Whether the tab is visible.
    Visible(bool),
    /// Remove a toast.
    Dismiss(u64),
    /// Time passed: expire typing entries and toasts.
    Tick,
    /// The users this user blocks now (`GET /api/blocks`).
    Blocked(Vec<UserName>),
    /// Something outside the socket failed (an HTTP call): an error toast.
    Report(ToastBody),
}

/// What the caller must do after a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send this frame on the socket.
    Send(ClientMsg),
    /// Show a browser notification, if the tab is hidden and permission was given.
    Notify {
        /// What kind of notice it is; the title is worded from it, `from`
        /// and `room` in the reader's language.
        kind: ToastKind,
        from: Option<UserName>,
        body: ToastBody,
        /// The room or conversation a click on it opens.
        room: Option<RoomId>,
    },
}

/// Everything the UI shows about the chat.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChatState {
    /// The user, once `welcome` told who it is.
    pub me: Option<User>,
    pub conn: ConnStatus,
    pub rooms: BTreeMap<RoomId, Room>,
    /// The room on screen.
    pub active: Option<RoomId>,
    /// Rooms the user asked to join; each is shown once its `joined` arrives.
    awaiting_select: Vec<RoomId>,
    /// `join` frames without a reply yet, with the `since` they carried.
    joins: BTreeMap<RoomId, Option<u64>>,
    pub toasts: Vec<Toast>,
    next_toast: u64,
    /// Whether the tab is visible (messages in the active room count as read).
    pub visible: bool,
    /// Users this user blocks, by [`UserName::key`]: their messages are not
    /// shown, counted as unread or notified.
    pub blocked: BTreeSet<String>,
    /// The last join the server refused, for the join form.
    pub join_refused: Option<(RoomId, ErrorCode)>,
}

impl ChatState {
    pub fn new() -> Self {
        Self {
            visible: true,
            ..Self::default()
        }
    }

    /// Whether this user blocks `name`.
    pub fn is_blocked(&self, name: &UserName) -> bool {
        self.blocked.contains(&name.key())
    }

    /// The room on screen, if any.
    pub fn active_room(&self) -> Option<&Room> {
        self.active.as_ref().and_then(|id| self.rooms.get(id))
    }

    /// Total unread messages over all rooms.
    pub fn total_unread(&self) -> u64 {
        self.rooms.values().map(|r| r.unread).sum()
    }

    /// Every user online in any room, except the user, sorted by name.
    pub fn online_users(&self) -> Vec<MemberState> {
        let me = self.me.as_ref().map(|u| u.name.key());
        let mut seen: BTreeMap<String, MemberState> = BTreeMap::new();
        for room in self.rooms.values() {
            for (key, member) in &room.members {
                if member.online && Some(key) != me.as_ref() {
                    seen.entry(key.clone()).or_insert_with(|| member.clone());
                }
            }
        }
        seen.into_values().collect()
    }

    /// A user's colour, if any room knows it.
    pub fn color_of(&self, name: &UserName) -> Option<String> {
        let key = name.key();
        if let Some(me) = &self.me {
            if me.name.key() == key {
                return Some(me.color.as_str().to_owned());
            }
        }
        self.rooms
            .values()
            .find_map(|r| r.members.get(&key).map(|m| m.color.clone()))
    }

    fn is_me(&self, name: &UserName) -> bool {
        self.me
            .as_ref()
            .is_some_and(|me| me.name.key() == name.key())
    }

    fn is_reading(&self, room: &RoomId) -> bool {
        self.visible && self.active.as_ref() == Some(room)
    }

    fn find_pending(&mut self, client_id: &ClientId) -> Option<(RoomId, usize)> {
        self.rooms.iter().find_map(|(id, room)| {
            room.pending
                .iter()
                .position(|p| &p.client_id == client_id)
                .map(|i| (id.clone(), i))
        })
    }

    fn toast(
        &mut self,
        kind: ToastKind,
        room: Option<RoomId>,
        from: Option<UserName>,
        body: ToastBody,
        now_ms: i64,
    ) {
        self.next_toast += 1;
        self.toasts.push(Toast {
            id: self.next_toast,
            kind,
            room,
            from,
            body,
            until_ms: now_ms + TOAST_TTL_MS,
        });
        if self.toasts.len() > MAX_TOASTS {
            let extra = self.toasts.len() - MAX_TOASTS;
            self.toasts.drain(..extra);
        }
    }

    /// Marks `room` read up to its newest message, telling the server if
    /// that moves the read cursor.
    fn mark_read(&mut self, room_id: &RoomId, out: &mut Vec<Command>) {
        let open = self.conn.is_open();
        let Some(room) = self.rooms.get_mut(room_id) else {
            return;
        };
        room.unread = 0;
        let Some(seq) = room.last_seq() else {
            return;
        };
        if seq > room.read_seq && open {
            room.read_seq = seq;
            out.push(Command::Send(ClientMsg::Read {
                room: room_id.clone(),
                seq,
            }));
        }
    }

    /// The frame that (re)sends a pending message.
    fn send_frame(&self, pending: &Pending) -> Option<ClientMsg> {
        match &pending.room {
            RoomId::Direct(..) => {
                let me = &self.me.as_ref()?.name;
                Some(ClientMsg::Dm {
                    to: pending.room.peer_of(me)?.clone(),
                    text: pending.text.clone(),
                    client_id: Some(pending.client_id.clone()),
                })
            }
            RoomId::Public(_) => Some(ClientMsg::Send {
                room: pending.room.clone(),
                text: pending.text.clone(),
                client_id: Some(pending.client_id.clone()),
            }),
        }
    }

    /// Adds a pending message and sends it if the socket is open.
    fn post(&mut self, pending: Pending, out: &mut Vec<Command>) {
        let mut pending = pending;
        let frame = if self.conn.is_open() {
            self.send_frame(&pending)
        } else {
            None
        };
        match frame {
            Some(frame) => out.push(Command::Send(frame)),
            None => pending.status = SendStatus::Waiting,
        }
        let room_id = pending.room.clone();
        let room = self
            .rooms
            .entry(room_id.clone())
            .or_insert_with(|| Room::new(room_id));
        room.pending.push(pending);
    }

    /// Sends every message waiting for a connection, oldest first, with
    /// its client id (the server stores each once, however often it comes).
    pub(super) fn send_waiting(&mut self, out: &mut Vec<Command>) {
        if !self.conn.is_open() {
            return;
        }
        let mut waiting: Vec<(i64, RoomId, usize)> = Vec::new();
        for (id, room) in &self.rooms {
            for (i, p) in room.pending.iter().enumerate() {
                if p.status == SendStatus::Waiting {
                    waiting.push((p.ts_ms, id.clone(), i));
                }
            }
        }
        waiting.sort_by_key(|(ts, ..)| *ts);
        for (_, room_id, i) in waiting {
            let frame = self
                .rooms
                .get(&room_id)
                .and_then(|r| r.pending.get(i))
                .and_then(|p| self.send_frame(p));
            if let (Some(frame), Some(p)) = (
                frame,
                self.rooms
                    .get_mut(&room_id)
                    .and_then(|r| r.pending.get_mut(i)),
            ) {
                p.status = SendStatus::Sending;
                out.push(Command::Send(frame));
            }
        }
    }

    /// Every pending message, for the browser's storage.
    pub fn all_pending(&self) -> Vec<Pending> {
        self.rooms
            .values()
            .flat_map(|r| r.pending.iter().cloned())
            .collect()
    }

    /// Sends `join` for `room`, resuming after the messages already held.
    fn join(&mut self, room: RoomId, out: &mut Vec<Command>) {
        self.join_with(room, None, out);
    }

    /// [`Self::join`] with the room's password.
    fn join_with(&mut self, room: RoomId, password: Option<RoomPassword>, out: &mut Vec<Command>) {
        let since = self.rooms.get(&room).and_then(Room::resume_seq);
        self.joins.insert(room.clone(), since);
        out.push(Command::Send(ClientMsg::Join {
            room,
            since,
            password,
        }));
    }

    /// Makes `room` the one on screen.
    fn select(&mut self, room: RoomId, out: &mut Vec<Command>) {
        self.active = Some(room.clone());
        if self.visible {
            self.mark_read(&room, out);
        }
    }
}
