//! One room as the UI sees it: messages, members, typing, pending sends.

use super::*;

/// A message this client sent that the server has not acknowledged yet.
/// Kept in the browser's storage too, so a reload loses none.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    pub(super) unread_base: u64,
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
    pub(super) last_typing_sent: Option<i64>,
    /// The room's topic ("" = none), from `joined` and later topic events.
    pub topic: String,
    /// The user's own role here.
    pub role: RoomRole,
    /// The seq of the newest moderation entry that arrived live (0: none),
    /// so that views of the room's settings know to reload.
    pub last_event: u64,
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
            topic: String::new(),
            role: RoomRole::Member,
            last_event: 0,
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
    pub(super) fn insert(&mut self, message: Message) -> bool {
        self.latest_seq = self.latest_seq.max(message.seq);
        // Whoever posted is no longer typing.
        let key = message.from.key();
        self.typing.retain(|(name, _)| name.key() != key);
        if self.messages.contains_key(&message.seq) {
            return false;
        }
        self.change_target(&message);
        self.messages.insert(message.seq, Arc::new(message));
        true
    }

    /// An edit or deletion changes the message it targets, if it is held
    /// (one loaded later already shows its current state). An edit whose
    /// message was deleted since has no text left and changes nothing.
    fn change_target(&mut self, entry: &Message) {
        let Some(target) = entry.target.and_then(|seq| self.messages.get_mut(&seq)) else {
            return;
        };
        if target.deleted || !target.is_message() || entry.deleted {
            return;
        }
        let changed = Arc::make_mut(target);
        match entry.kind {
            EntryKind::Edit => {
                changed.text.clone_from(&entry.text);
                changed.edited = Some(entry.ts);
            }
            EntryKind::Delete => {
                changed.text.clear();
                changed.attachment = None;
                changed.edited = None;
                changed.deleted = true;
            }
            EntryKind::Message | EntryKind::Moderation => {}
        }
    }

    /// The message at `seq` that the user may still edit or delete.
    pub fn own_message(&self, seq: u64, me: &UserName) -> Option<&Message> {
        self.messages
            .get(&seq)
            .map(|m| m.as_ref())
            .filter(|m| m.is_message() && !m.deleted && m.from.key() == me.key())
    }

    /// The message at `seq` that the user may delete: their own, or
    /// anyone's when their role here moderates.
    pub fn deletable_message(&self, seq: u64, me: &UserName) -> Option<&Message> {
        if self.role.moderates() {
            self.messages
                .get(&seq)
                .map(|m| m.as_ref())
                .filter(|m| m.is_message() && !m.deleted)
        } else {
            self.own_message(seq, me)
        }
    }

    pub(super) fn recount_online(&mut self) {
        self.member_count = u32::try_from(self.members.len()).unwrap_or(u32::MAX);
        self.online_count =
            u32::try_from(self.members.values().filter(|m| m.online).count()).unwrap_or(u32::MAX);
    }
}
