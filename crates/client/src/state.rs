//! The chat state and its transitions, as plain Rust.
//!
//! [`ChatState`] is a reducer: [`ChatState::apply`] folds one [`ServerMsg`]
//! into it and [`ChatState::act`] one local [`Action`] (something the user or
//! the connection did). Both return the [`Command`]s the caller must carry
//! out (frames to send, a browser notification to show). Nothing here knows
//! about Leptos, the DOM or the clock: the caller passes `now_ms`, so every
//! transition is a unit test away.

use std::collections::BTreeMap;
use std::sync::Arc;

use confab_shared::{
    ClientId, ClientMsg, ErrorCode, HistoryLimit, Member, Message, MessageText, NotificationKind,
    PresenceEvent, RoomId, RoomSummary, ServerMsg, User, UserName,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendStatus {
    /// Sent (or about to be), waiting for its `ack`.
    Sending,
    /// The server refused it or the connection was lost before the `ack`;
    /// it may be retried with the same client id.
    Failed(String),
}

/// A message this client sent that the server has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: ClientId,
    pub room: RoomId,
    pub text: MessageText,
    /// When the user sent it (milliseconds since the epoch).
    pub ts_ms: i64,
    pub status: SendStatus,
}

/// A member of a room as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    pub name: UserName,
    /// `#rrggbb`.
    pub color: String,
    pub online: bool,
}

/// One room (or direct conversation) the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: RoomId,
    /// A `joined` reply arrived on the current connection.
    pub joined: bool,
    pub member_count: u32,
    pub online_count: u32,
    /// Members by case-folded name.
    pub members: BTreeMap<String, MemberState>,
    /// Stored messages by seq: each seq once, always in order.
    pub messages: BTreeMap<u64, Arc<Message>>,
    /// This client's unacknowledged messages, in the order they were sent.
    pub pending: Vec<Pending>,
    /// Messages of others the user has not read.
    pub unread: u64,
    /// Messages with a seq up to this one are already counted in `unread`
    /// (by the server's `welcome`, or because the room was just joined).
    unread_base: u64,
    /// Highest seq the server knows of.
    pub latest_seq: u64,
    /// Highest seq this client reported as read.
    pub read_seq: u64,
    /// Older messages than the first held one exist on the server.
    pub more_before: bool,
    /// A `history` request is under way.
    pub loading_older: bool,
    /// Users typing here, with the time their entry expires.
    pub typing: Vec<(UserName, i64)>,
    /// When this client last sent `typing` for this room.
    last_typing_sent: Option<i64>,
}

impl Room {
    pub fn new(id: RoomId) -> Self {
        Self {
            id,
            joined: false,
            member_count: 0,
            online_count: 0,
            members: BTreeMap::new(),
            messages: BTreeMap::new(),
            pending: Vec::new(),
            unread: 0,
            unread_base: 0,
            latest_seq: 0,
            read_seq: 0,
            more_before: false,
            loading_older: false,
            typing: Vec::new(),
            last_typing_sent: None,
        }
    }

    /// The seq to resume from: the end of the unbroken run of held messages
    /// that starts at the oldest one. A message that arrived ahead of a gap
    /// does not move it, so the gap is fetched again on resume.
    pub fn resume_seq(&self) -> Option<u64> {
        let mut iter = self.messages.keys().copied();
        let mut last = iter.next()?;
        for seq in iter {
            if seq != last + 1 {
                break;
            }
            last = seq;
        }
        Some(last)
    }

    /// Highest seq held.
    pub fn last_seq(&self) -> Option<u64> {
        self.messages.keys().next_back().copied()
    }

    /// Lowest seq held.
    pub fn first_seq(&self) -> Option<u64> {
        self.messages.keys().next().copied()
    }

    /// Names of the users typing at `now_ms`.
    pub fn typing_at(&self, now_ms: i64) -> Vec<UserName> {
        self.typing
            .iter()
            .filter(|(_, until)| *until > now_ms)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Stores `message` unless its seq is held already. Returns whether it was new.
    fn insert(&mut self, message: Message) -> bool {
        self.latest_seq = self.latest_seq.max(message.seq);
        // Whoever posted is no longer typing.
        let key = message.from.key();
        self.typing.retain(|(name, _)| name.key() != key);
        if self.messages.contains_key(&message.seq) {
            return false;
        }
        self.messages.insert(message.seq, Arc::new(message));
        true
    }

    fn recount_online(&mut self) {
        self.member_count = u32::try_from(self.members.len()).unwrap_or(u32::MAX);
        self.online_count =
            u32::try_from(self.members.values().filter(|m| m.online).count()).unwrap_or(u32::MAX);
    }
}

/// Why a toast is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Dm,
    Mention,
    System,
    Error,
}

/// A short notice in the corner of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub room: Option<RoomId>,
    pub from: Option<UserName>,
    pub text: String,
    /// When it goes away by itself.
    pub until_ms: i64,
}

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
    /// Join (or create) a room and show it once joined.
    Join(RoomId),
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
}

/// What the caller must do after a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send this frame on the socket.
    Send(ClientMsg),
    /// Show a browser notification, if the tab is hidden and permission was given.
    Notify { title: String, body: String },
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
}

impl ChatState {
    pub fn new() -> Self {
        Self {
            visible: true,
            ..Self::default()
        }
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
        text: String,
        now_ms: i64,
    ) {
        self.next_toast += 1;
        self.toasts.push(Toast {
            id: self.next_toast,
            kind,
            room,
            from,
            text,
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
            None => pending.status = SendStatus::Failed("not connected".into()),
        }
        let room_id = pending.room.clone();
        let room = self
            .rooms
            .entry(room_id.clone())
            .or_insert_with(|| Room::new(room_id));
        room.pending.push(pending);
    }

    /// Sends `join` for `room`, resuming after the messages already held.
    fn join(&mut self, room: RoomId, out: &mut Vec<Command>) {
        let since = self.rooms.get(&room).and_then(Room::resume_seq);
        self.joins.insert(room.clone(), since);
        out.push(Command::Send(ClientMsg::Join { room, since }));
    }

    /// Makes `room` the one on screen.
    fn select(&mut self, room: RoomId, out: &mut Vec<Command>) {
        self.active = Some(room.clone());
        if self.visible {
            self.mark_read(&room, out);
        }
    }

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
    fn disconnected(&mut self) {
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
                ..
            } => self.joined(room, members, messages, more, latest_seq, &mut out),
            ServerMsg::Left { room } => self.remove_room(&room),
            ServerMsg::Message { message } => self.message(message, &mut out),
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
                room.insert(message);
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
            } => {
                // Several users at once, or the one.
                let users = if users.is_empty() { vec![user] } else { users };
                for user in users {
                    self.presence(room.clone(), user, event, members, online, &mut out);
                }
            }
            ServerMsg::Typing { room, user } => {
                if !self.is_me(&user) {
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
            } => {
                // The room on screen needs no toast.
                let shown = room.as_ref().is_some_and(|r| self.is_reading(r));
                if !shown {
                    let kind = match kind {
                        NotificationKind::Dm => ToastKind::Dm,
                        NotificationKind::Mention => ToastKind::Mention,
                        NotificationKind::System => ToastKind::System,
                    };
                    let title = match (&kind, &from, &room) {
                        (ToastKind::Dm, Some(from), _) => format!("{from} (direct message)"),
                        (ToastKind::Mention, Some(from), Some(room)) => {
                            format!("{from} mentioned you in #{room}")
                        }
                        _ => "Confab".to_owned(),
                    };
                    if !self.visible {
                        out.push(Command::Notify {
                            title,
                            body: text.clone(),
                        });
                    }
                    self.toast(kind, room, from, text, now_ms);
                }
            }
            ServerMsg::Error {
                code,
                message,
                client_id,
            } => {
                let pending = client_id
                    .as_deref()
                    .and_then(|c| ClientId::parse(c).ok())
                    .and_then(|c| self.find_pending(&c));
                match pending {
                    Some((room_id, i)) => {
                        if let Some(p) = self
                            .rooms
                            .get_mut(&room_id)
                            .and_then(|r| r.pending.get_mut(i))
                        {
                            p.status = SendStatus::Failed(error_text(code, &message));
                        }
                    }
                    None => self.toast(
                        ToastKind::Error,
                        None,
                        None,
                        error_text(code, &message),
                        now_ms,
                    ),
                }
            }
        }
        out
    }

    fn welcome(&mut self, user: User, summaries: Vec<RoomSummary>, out: &mut Vec<Command>) {
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

    fn joined(
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
            let counts = m.seq > base && Some(m.from.key()) != me;
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

    fn message(&mut self, message: Message, out: &mut Vec<Command>) {
        let room_id = message.room.clone();
        let reading = self.is_reading(&room_id);
        let from_other = !self.is_me(&message.from);
        let open = self.conn.is_open();
        let known = self.rooms.contains_key(&room_id);
        let room = self
            .rooms
            .entry(room_id.clone())
            .or_insert_with(|| Room::new(room_id.clone()));
        if !known && open {
            // A conversation someone else started: fetch its members.
            // Only this message is new; its past is not "unread".
            room.unread_base = message.seq.saturating_sub(1);
            room.read_seq = room.unread_base;
            self.joins.insert(room_id.clone(), None);
            out.push(Command::Send(ClientMsg::Join {
                room: room_id.clone(),
                since: None,
            }));
        }
        let counts = message.seq > room.unread_base && from_other;
        if room.insert(message) && counts && !reading {
            room.unread += 1;
        }
        if reading {
            self.mark_read(&room_id, out);
        }
    }

    fn presence(
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

    fn remove_room(&mut self, room: &RoomId) {
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

/// A user-facing sentence for an error frame.
pub fn error_text(code: ErrorCode, message: &str) -> String {
    let what = match code {
        ErrorCode::NotMember => "You are not a member of that room.",
        ErrorCode::Forbidden => "That is not allowed.",
        ErrorCode::UnknownUser => "No user has that name.",
        ErrorCode::RateLimited => "Too fast: wait a moment and retry.",
        ErrorCode::Internal => "The server failed; nothing was stored.",
        _ => "",
    };
    match (what, message.trim()) {
        ("", "") => code.as_str().replace('_', " "),
        ("", m) => m.to_owned(),
        (w, _) => w.to_owned(),
    }
}

/// A stable colour for a user whose colour is not known yet.
pub fn fallback_color(name: &UserName) -> String {
    const PALETTE: [&str; 8] = [
        "#b03a2e", "#7d3c98", "#2e86c1", "#138d75", "#b9770e", "#a04000", "#1f618d", "#6c3483",
    ];
    let sum = name.key().bytes().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(b as usize)
    });
    PALETTE[sum % PALETTE.len()].to_owned()
}

/// The name to show for a room: `#name`, or the other person of a DM.
pub fn room_label(room: &RoomId, me: Option<&UserName>) -> String {
    match room {
        RoomId::Public(name) => format!("#{name}"),
        RoomId::Direct(a, b) => match me.and_then(|me| room.peer_of(me)) {
            Some(peer) => peer.to_string(),
            None => format!("{a} & {b}"),
        },
    }
}
