//! The reactive chat handle: the Leptos side of [`crate::state`].
//!
//! [`Chat`] is what a React `useWebSocket` hook would return: signals to read
//! (connection state, rooms, the active room's messages, typing users,
//! toasts, online users) and actions to call (send, dm, join, leave, typing,
//! mark_read, load_older, retry). Every change goes through the reducer in
//! [`crate::state`]; this module only stores its state in a signal, derives
//! memos from it and carries out the commands it returns.

use std::sync::Arc;

use confab_shared::{
    ClientId, EntryKind, Message, MessageText, RoomId, RoomRole, ServerMsg, User, UserName,
};
use futures::channel::mpsc::UnboundedSender;
use leptos::prelude::*;

use crate::dom;
use crate::i18n::Locale;
use crate::state::{
    room_label, Action, ChatState, Command, ConnStatus, MemberState, Pending, Toast,
};
use crate::storage;
use crate::words;

/// A line of the message list: a stored message or one of ours in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Stored(Arc<Message>),
    Pending(Pending),
}

/// A room as the sidebar lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomItem {
    pub id: RoomId,
    pub label: String,
    pub members: u32,
    pub online: u32,
    pub unread: u64,
    pub direct: bool,
}

/// What the header and the message list need to know of the room on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveRoom {
    pub id: RoomId,
    pub label: String,
    pub members: u32,
    pub online: u32,
    pub joined: bool,
    pub more_before: bool,
    pub loading_older: bool,
    pub member_list: Vec<MemberState>,
    /// The room's topic ("" = none).
    pub topic: String,
    /// The user's role here.
    pub role: RoomRole,
}

/// Control messages for the socket task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop waiting and reconnect now.
    Reconnect,
    /// Close the socket and end the task.
    Stop,
}

/// The chat of this tab: signals to read and actions to call. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Chat {
    pub(crate) state: RwSignal<ChatState>,
    outbox: StoredValue<Option<UnboundedSender<String>>>,
    control: StoredValue<Option<UnboundedSender<Control>>>,
    /// The state of the socket.
    pub conn: Memo<ConnStatus>,
    /// The signed-in user, once the server said who it is.
    pub me: Memo<Option<User>>,
    /// Public rooms, then direct conversations, by name.
    pub rooms: Memo<Vec<RoomItem>>,
    /// The room on screen.
    pub active: Memo<Option<ActiveRoom>>,
    /// The messages of the room on screen, by seq, then ours in flight.
    pub messages: Memo<Vec<Entry>>,
    /// Who is typing in the room on screen.
    pub typing: Memo<Vec<UserName>>,
    pub toasts: Memo<Vec<Toast>>,
    /// Everyone online in any of the user's rooms, except the user.
    pub online: Memo<Vec<MemberState>>,
    /// Unread messages over all rooms.
    pub total_unread: Memo<u64>,
    /// The reader's language, for what is worded outside the components
    /// (desktop notifications).
    pub(crate) locale: Signal<Locale>,
    /// The seq of the user's message the composer asked to edit (Up in an
    /// empty box); that message opens its editor and clears it.
    pub edit_request: RwSignal<Option<u64>>,
}

impl Chat {
    /// A chat with no connection yet; [`crate::socket::start`] connects it.
    /// `locale` is the reader's language.
    pub fn new(locale: Signal<Locale>) -> Self {
        let state = RwSignal::new(ChatState::new());
        let conn = Memo::new(move |_| state.with(|s| s.conn.clone()));
        let me = Memo::new(move |_| state.with(|s| s.me.clone()));
        let rooms = Memo::new(move |_| {
            state.with(|s| {
                let me = s.me.as_ref().map(|u| &u.name);
                let mut items: Vec<RoomItem> = s
                    .rooms
                    .values()
                    .map(|r| RoomItem {
                        id: r.id.clone(),
                        label: room_label(&r.id, me),
                        members: r.member_count,
                        online: r.online_count,
                        unread: r.unread,
                        direct: r.id.is_direct(),
                    })
                    .collect();
                items.sort_by(|a, b| {
                    (a.direct, a.label.to_lowercase()).cmp(&(b.direct, b.label.to_lowercase()))
                });
                items
            })
        });
        let active = Memo::new(move |_| {
            state.with(|s| {
                let room = s.active_room()?;
                let mut member_list: Vec<MemberState> = room.members.values().cloned().collect();
                member_list.sort_by_key(|m| (!m.online, m.name.key()));
                Some(ActiveRoom {
                    id: room.id.clone(),
                    label: room_label(&room.id, s.me.as_ref().map(|u| &u.name)),
                    members: room.member_count,
                    online: room.online_count,
                    joined: room.joined,
                    more_before: room.more_before,
                    loading_older: room.loading_older,
                    member_list,
                    topic: room.topic.clone(),
                    role: room.role,
                })
            })
        });
        let messages = Memo::new(move |_| {
            state.with(|s| {
                s.active_room()
                    .map(|room| {
                        // Edits and deletions are shown on the message
                        // they change, not as lines of their own;
                        // moderation entries are lines of their own.
                        room.messages
                            .values()
                            // A blocked user's messages are not shown.
                            .filter(|m| {
                                (m.is_message() && !s.is_blocked(&m.from))
                                    || m.kind == EntryKind::Moderation
                            })
                            .cloned()
                            .map(Entry::Stored)
                            .chain(room.pending.iter().cloned().map(Entry::Pending))
                            .collect()
                    })
                    .unwrap_or_default()
            })
        });
        let typing = Memo::new(move |_| {
            state.with(|s| {
                s.active_room()
                    .map(|r| r.typing.iter().map(|(name, _)| name.clone()).collect())
                    .unwrap_or_default()
            })
        });
        let toasts = Memo::new(move |_| state.with(|s| s.toasts.clone()));
        let online = Memo::new(move |_| state.with(|s| s.online_users()));
        let total_unread = Memo::new(move |_| state.with(|s| s.total_unread()));
        Self {
            state,
            outbox: StoredValue::new(None),
            control: StoredValue::new(None),
            conn,
            me,
            rooms,
            active,
            messages,
            typing,
            toasts,
            online,
            total_unread,
            locale,
            edit_request: RwSignal::new(None),
        }
    }

    /// Keeps the unconfirmed messages of `user_id` in the browser's
    /// storage, and first brings back the ones an earlier page kept (a
    /// reload): they show as pending and go out once connected, with their
    /// client ids, so the server stores each once. Call once, in the
    /// component that owns the chat (an effect: only in the browser).
    pub fn keep_pending(&self, user_id: String) {
        let chat = *self;
        let state = self.state;
        let pending = Memo::new(move |_| state.with(|s| s.all_pending()));
        let restored = StoredValue::new(false);
        Effect::new(move |_| {
            let now = pending.get();
            if !restored.get_value() {
                // The kept ones first: saving before would overwrite them.
                // The restore changes `pending`, and this runs again.
                restored.set_value(true);
                let kept = storage::load_pending(&user_id);
                if !kept.is_empty() {
                    chat.dispatch(Action::Restore(kept));
                    return;
                }
            }
            storage::save_pending(&user_id, &now);
        });
    }

    /// The whole reducer state, for views that need more than the memos.
    pub fn state(&self) -> RwSignal<ChatState> {
        self.state
    }

    /// A user's colour, if known.
    pub fn color_of(&self, name: &UserName) -> Option<String> {
        self.state.with_untracked(|s| s.color_of(name))
    }

    /// Runs a local action through the reducer. Returns `false` once the
    /// chat was disposed (the user signed out).
    pub fn dispatch(&self, action: Action) -> bool {
        let now = dom::now_ms();
        match self.state.try_update(|s| s.act(action, now)) {
            Some(commands) => {
                self.run(commands);
                true
            }
            None => false,
        }
    }

    /// Runs a server frame through the reducer. Returns `false` once the
    /// chat was disposed.
    pub fn receive(&self, msg: ServerMsg) -> bool {
        let now = dom::now_ms();
        match self.state.try_update(|s| s.apply(msg, now)) {
            Some(commands) => {
                self.run(commands);
                true
            }
            None => false,
        }
    }

    fn run(&self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::Send(frame) => {
                    let json = frame.to_json();
                    self.outbox.try_with_value(|outbox| {
                        if let Some(tx) = outbox {
                            // A closed channel means the socket is gone; the
                            // reducer already learns that from `Lost`.
                            let _ = tx.unbounded_send(json);
                        }
                    });
                }
                Command::Notify {
                    kind,
                    from,
                    body,
                    room,
                } => {
                    let locale = self.locale.get_untracked();
                    let title = words::notice_title(locale, kind, from.as_ref(), room.as_ref());
                    let body = words::toast_body(locale, &body);
                    let chat = *self;
                    let open = room.map(|room| Box::new(move || chat.select(room.clone())) as _);
                    dom::notify(&title, &body, open);
                }
            }
        }
    }

    /// The socket task hands in (or takes away) its outgoing queue.
    pub(crate) fn set_outbox(&self, tx: Option<UnboundedSender<String>>) -> bool {
        self.outbox.try_set_value(tx).is_none()
    }

    /// The socket task hands in its control channel.
    pub(crate) fn set_control(&self, tx: Option<UnboundedSender<Control>>) {
        self.control.try_set_value(tx);
    }

    fn control(&self, c: Control) {
        self.control.try_with_value(|control| {
            if let Some(tx) = control {
                let _ = tx.unbounded_send(c);
            }
        });
    }

    /// Skips the wait before the next reconnect attempt.
    pub fn reconnect_now(&self) {
        self.control(Control::Reconnect);
    }

    /// Closes the socket for good (sign-out).
    pub fn stop(&self) {
        self.control(Control::Stop);
    }

    /// Posts `text` to `room`; it shows at once as pending.
    pub fn send(&self, room: RoomId, text: MessageText) {
        if let Some(client_id) = dom::new_client_id() {
            self.dispatch(Action::Send {
                room,
                text,
                client_id,
            });
        }
    }

    /// Posts `text` to the direct conversation with `to`.
    pub fn dm(&self, to: UserName, text: MessageText) {
        if let Some(client_id) = dom::new_client_id() {
            self.dispatch(Action::Dm {
                to,
                text,
                client_id,
            });
        }
    }

    /// Sends a failed message again (same client id: the server dedups).
    pub fn retry(&self, client_id: ClientId) {
        self.dispatch(Action::Retry { client_id });
    }

    /// Replaces the text of one's own stored message.
    pub fn edit(&self, room: RoomId, seq: u64, text: MessageText) {
        self.dispatch(Action::Edit { room, seq, text });
    }

    /// Takes one's own stored message back.
    pub fn delete(&self, room: RoomId, seq: u64) {
        self.dispatch(Action::Delete { room, seq });
    }

    /// Forgets a failed message.
    pub fn discard(&self, client_id: ClientId) {
        self.dispatch(Action::Discard { client_id });
    }

    /// Joins (or creates) a room and shows it.
    pub fn join(&self, room: RoomId) {
        self.dispatch(Action::Join(room));
    }

    /// Leaves a room.
    pub fn leave(&self, room: RoomId) {
        self.dispatch(Action::Leave(room));
    }

    /// Shows a room.
    pub fn select(&self, room: RoomId) {
        self.dispatch(Action::Select(room));
    }

    /// Opens the direct conversation with `user`.
    pub fn open_dm(&self, user: UserName) {
        self.dispatch(Action::OpenDm(user));
    }

    /// Tells the room the user is typing (throttled by the reducer).
    pub fn typing(&self, room: RoomId) {
        self.dispatch(Action::Typing(room));
    }

    /// Marks a room read up to its newest message.
    pub fn mark_read(&self, room: RoomId) {
        self.dispatch(Action::MarkRead(room));
    }

    /// Asks for older messages of a room.
    pub fn load_older(&self, room: RoomId) {
        self.dispatch(Action::LoadOlder(room));
    }

    /// Removes a toast.
    pub fn dismiss(&self, id: u64) {
        self.dispatch(Action::Dismiss(id));
    }

    /// The tab became visible or hidden.
    pub fn set_visible(&self, visible: bool) {
        self.dispatch(Action::Visible(visible));
    }

    /// Expires typing lines and toasts; cheap when there is nothing to expire.
    pub fn tick(&self) {
        let busy = self
            .state
            .try_with_untracked(|s| {
                !s.toasts.is_empty() || s.rooms.values().any(|r| !r.typing.is_empty())
            })
            .unwrap_or(false);
        if busy {
            self.dispatch(Action::Tick);
        }
    }
}
