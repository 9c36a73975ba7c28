//! The record: durable storage behind one trait.
//!
//! Everything else only sees [`Store`]; SQLite ([`sqlite::SqliteStore`]) is
//! the embedded default and PostgreSQL ([`postgres::PgStore`]) the record a
//! cluster of nodes shares. Changes go through [`Store::commit`] (called by
//! the writer only), which allocates each room's `seq` and the global log
//! `pos` inside the committing transaction, so several nodes can write at
//! once and still agree on one gap-free order.

mod accounts;
mod blocks;
mod moderation;
pub mod postgres;
pub mod sqlite;

pub use accounts::{Credentials, Device, SessionInfo};
pub use blocks::Blocks;
pub use moderation::{
    join_refusal, moderation_refusal, role_of, seconds_left, Forbidden, JoinFacts, ModOp, ModWrite,
    Moderation, RoomGate, RoomStaff, Standing,
};

use async_trait::async_trait;
use confab_shared::{
    Attachment, ClientId, Color, EntryKind, Message, RoomId, Timestamp, User, UserName,
};

/// A storage failure. The text is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the name is already taken")]
    NameTaken,
    #[error("the room does not exist")]
    NoSuchRoom,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the SQLite writer thread has stopped")]
    WriterGone,
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A log entry accepted for posting, not yet stored (it has no `seq` yet):
/// a message, or an edit or deletion of the message at `target`.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: String,
    pub room: RoomId,
    pub sender: User,
    /// A message's text, an edit's new text; empty for a deletion.
    pub text: String,
    pub ts: Timestamp,
    pub client_id: Option<ClientId>,
    pub attachment: Option<Attachment>,
    pub kind: EntryKind,
    /// The seq of the message an edit or deletion is about.
    pub target: Option<u64>,
}

/// What an edit or deletion finds at its target, read under the room's
/// lock: only its author may change a message, and only while it is a
/// message that is not deleted.
pub fn refusal_of_change(
    editor_id: &str,
    target: Option<(&str, EntryKind, bool)>,
) -> Option<Refusal> {
    match target {
        Some((author, EntryKind::Message, false)) if author == editor_id => None,
        Some((_, EntryKind::Message, false)) => Some(Refusal::NotAuthor),
        _ => Some(Refusal::NoSuchMessage),
    }
}

/// One change for the writer to commit; a batch of them is one transaction.
#[derive(Debug, Clone)]
pub enum Write {
    /// Append a message, or an edit or deletion of one. Refused unless the
    /// room exists and the sender is a member *at commit time* (someone on
    /// another node may have removed them a moment ago); an edit or
    /// deletion also unless its target is the sender's own message, not
    /// deleted (see [`refusal_of_change`]). Committing one also changes the
    /// target's row: its latest text and `edited`, or no text, no
    /// attachment and `deleted` (and the edit entries of a deleted message
    /// lose their text too).
    Post(NewMessage),
    /// Make `user` a member of `room`, creating the room if needed. A room
    /// this join would create is recorded as `user`'s; past `max_created`
    /// public rooms of theirs (0 = no limit; `lobby` and direct
    /// conversations never count) the join is refused
    /// ([`Refusal::TooManyRooms`]) and nothing is created. The count is
    /// taken inside the committing transaction, under a lock on the user,
    /// so joins on several nodes at once cannot pass it.
    ///
    /// The join also passes the room's gates ([`join_refusal`]): not
    /// banned, invited or holding the password (`proven`: the hash of the
    /// password the joiner gave, verified before the commit and compared
    /// with the room's under its lock), within the member cap.
    Join {
        room: RoomId,
        user: User,
        max_created: u32,
        proven: Option<String>,
        /// The user is a server admin.
        admin: bool,
    },
    /// End `user`'s membership of `room`.
    Leave { room: RoomId, user: User },
    /// A moderation action, checked against the actor's role at commit
    /// time. The writer commits it in a batch of its own.
    Moderate(Box<ModWrite>),
}

impl Write {
    /// The room the write is about.
    pub fn room(&self) -> &RoomId {
        match self {
            Self::Post(new) => &new.room,
            Self::Join { room, .. } | Self::Leave { room, .. } => room,
            Self::Moderate(m) => &m.room,
        }
    }
}

/// What a committed change did to the room's log.
// A message is most of the log and moves through the broker once; boxing it
// would cost an allocation per message to save bytes on rarer membership
// entries.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogBody {
    /// A stored message.
    Message { message: Message, sender_id: String },
    /// A membership began (`joined`) or ended; `members` is the room's member
    /// count right after it.
    Member {
        user: User,
        joined: bool,
        members: u32,
    },
}

/// One entry of the global log: every committed message and membership
/// change has a `pos`, allocated in the committing transaction under one
/// lock, so `pos` order is commit order and has no gaps (a rolled-back
/// transaction gives its positions back). Every node can therefore deliver
/// the log in order and notice a missing entry by its position alone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub pos: i64,
    pub room: RoomId,
    pub body: LogBody,
}

/// Why a [`Write`] was not done. Nothing was changed for it; the other
/// writes of the batch are unaffected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The sender is not a member of the room.
    NotMember,
    /// The room does not exist.
    NoSuchRoom,
    /// The join would create a room, and its user already created as many
    /// as they may.
    TooManyRooms,
    /// An edit or deletion whose target is no message of the room, or one
    /// already deleted.
    NoSuchMessage,
    /// An edit or deletion of someone else's message.
    NotAuthor,
    /// The actor lacks the role, or the user is kept out of the room.
    Forbidden(Forbidden),
    /// The room has as many members as its cap allows.
    RoomFull,
    /// The sender is muted in the room until then (ms since the epoch).
    Muted { until_ms: i64 },
    /// A kick, ban or mute of someone who is not a member (a ban and a mute
    /// need no membership; a kick does).
    TargetNotMember,
    /// An unban of someone not banned.
    NotBanned,
}

/// The outcome of one [`Write`] of a committed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new log entry (a message stored, a membership begun or ended).
    Logged(LogEntry),
    /// The same sender already posted this `client_id` in this room: the
    /// original message and its position; nothing new was stored.
    Duplicate {
        message: Message,
        pos: i64,
    },
    /// Nothing to change (already a member, or already not one).
    Unchanged,
    /// A moderation action committed: its log entry and, when it ended a
    /// membership (kick, ban), that change's entry right after it.
    Moderated {
        entry: Box<LogEntry>,
        left: Option<Box<LogEntry>>,
    },
    Refused(Refusal),
}

/// One of a user's rooms with the user's own counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub room: RoomId,
    pub latest_seq: u64,
    /// Messages from others after the user's read cursor.
    pub unread: u64,
    /// The room's member count.
    pub members: u32,
}

/// A page of messages, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub messages: Vec<Message>,
    /// There are more messages beyond this page in the direction asked for.
    pub more: bool,
}

/// A public room with its stored counters.
#[derive(Debug, Clone)]
pub struct RoomInfo {
    pub room: RoomId,
    pub members: u32,
    pub latest_seq: u64,
}

/// An uploaded file kept in the database (PostgreSQL clusters without a
/// shared uploads directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub mime: String,
    pub data: Vec<u8>,
}

/// One uploaded image, recorded before its file is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    /// The server-chosen file name (`<32 hex>.<ext>`).
    pub name: String,
    pub uploader_id: String,
    /// The room it was uploaded to: who may fetch a direct conversation's
    /// images follows from it.
    pub room: RoomId,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// A per-user upload allowance: at most `bytes` in uploads created after
/// `since` (milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadQuota {
    pub bytes: u64,
    pub since: i64,
}

/// How stale a session's recorded last use may get before a use writes it
/// again: a minute, or a quarter of the idle limit when that is shorter (so
/// a session in use never expires between two recorded uses).
pub fn session_refresh_ms(idle: Option<std::time::Duration>) -> i64 {
    const MINUTE: i64 = 60_000;
    idle.map_or(MINUTE, |d| {
        i64::try_from(d.as_millis() / 4).map_or(MINUTE, |q| q.min(MINUTE))
    })
}

/// Milliseconds in `d`, saturating.
pub fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
pub trait Store: Blocks + Moderation + Send + Sync + 'static {
    /// Cheap round trip to prove the store answers (for `/healthz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Claims `name` for a new user and opens a session. `NameTaken` when a
    /// user has the same [`UserName::key`] (caseless match) or the same
    /// [`UserName::skeleton`] (a confusable name): both columns are unique.
    async fn create_user(
        &self,
        name: &UserName,
        color: &Color,
        token_hash: &str,
    ) -> StoreResult<User>;
    /// Opens one more session for an existing user.
    async fn add_session(&self, user_id: &str, token_hash: &str) -> StoreResult<()>;
    async fn user_by_token(&self, token_hash: &str) -> StoreResult<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// The user of a live session at `now` (ms since the epoch): `None` when
    /// there is no such session, or when it was last used more than `idle`
    /// before `now` (it is deleted then; `None` = sessions never expire).
    /// Records the use, but only when the recorded one is older than
    /// [`session_refresh_ms`], so a busy session costs no write per request.
    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
        idle: Option<std::time::Duration>,
    ) -> StoreResult<Option<User>>;
    /// Deletes every session last used before `cutoff` (ms since the
    /// epoch); returns how many.
    async fn purge_sessions(&self, cutoff: i64) -> StoreResult<u64>;
    /// [`Store::create_user`] whose name is claimed from the start: the
    /// user has `password_hash` (argon2id, PHC string) in the same commit.
    async fn create_account(
        &self,
        name: &UserName,
        color: &Color,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<User>;
    /// Sets or replaces a user's password hash: the name is claimed.
    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<()>;
    /// The user called `name_key` ([`UserName::key`]) with their password hash.
    async fn credentials(&self, name_key: &str) -> StoreResult<Option<Credentials>>;
    /// Records the device a session was opened from.
    async fn describe_session(&self, token_hash: &str, device: &Device) -> StoreResult<()>;
    /// Every session of a user, the newest first.
    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<SessionInfo>>;
    /// Deletes every session of `user_id` except `keep`; the deleted ones'
    /// token hashes (their connections are closed by the caller).
    async fn delete_sessions_of(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> StoreResult<Vec<String>>;
    /// Deletes an account at `now` (ms since the epoch): no password, every
    /// session deleted (their token hashes returned, for the caller to close
    /// their connections), its messages from [`confab_shared::DELETED_USER`].
    /// The name stays taken until [`Store::release_deleted_names`].
    async fn delete_account(&self, user_id: &str, now: i64) -> StoreResult<Vec<String>>;
    /// Frees the names of accounts deleted before `cutoff`; how many.
    async fn release_deleted_names(&self, cutoff: i64) -> StoreResult<u64>;
    /// Looks a user up by the case-folded name ([`UserName::key`]); a
    /// deleted account is nobody.
    async fn user_by_name(&self, name_key: &str) -> StoreResult<Option<User>>;

    async fn is_member(&self, room: &RoomId, user_id: &str) -> StoreResult<bool>;
    /// The room's newest seq, or `None` if the room does not exist.
    async fn latest_seq(&self, room: &RoomId) -> StoreResult<Option<u64>>;
    /// Every member of a room (empty if the room does not exist).
    async fn members(&self, room: &RoomId) -> StoreResult<Vec<User>>;
    /// The rooms `user_id` belongs to, with unread counts.
    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>>;
    /// Moves the read cursor forward (never back, never past the newest
    /// message). Returns false if the user is not a member.
    async fn set_read(&self, room: &RoomId, user_id: &str, seq: u64) -> StoreResult<bool>;
    /// Public rooms (not direct conversations) with their member counts,
    /// ordered by name: at most `limit` of those named after `after`.
    async fn public_rooms(&self, after: Option<&RoomId>, limit: u32) -> StoreResult<Vec<RoomInfo>>;

    /// Commits a batch in one durable transaction (group commit), in order,
    /// one [`Outcome`] per write. Each stored message gets the next `seq` of
    /// its room and every log entry the next global `pos`. Room counters are
    /// locked in sorted room order, then the global position counter, so
    /// nodes committing at once never deadlock; idempotency (a repeated
    /// `(room, sender, client_id)`) is checked after the room's lock is
    /// held, so a retry on another node returns the original. An `Err`
    /// means nothing of the batch was committed. The batch is the store's:
    /// its posts move into the log entries it answers with.
    async fn commit(&self, batch: Vec<Write>) -> StoreResult<Vec<Outcome>>;
    /// Log entries with `pos > after`, in `pos` order, at most `limit`: how a
    /// node fills a gap or catches up after losing broker messages.
    async fn log_after(&self, after: i64, limit: u32) -> StoreResult<Vec<LogEntry>>;
    /// The newest committed `pos` (0 for an empty log).
    async fn last_pos(&self) -> StoreResult<i64>;
    /// Messages with `seq > after`, oldest first, at most `limit`.
    async fn messages_after(&self, room: &RoomId, after: u64, limit: u32) -> StoreResult<Page>;
    /// The newest messages with `seq < before` (or the newest of all),
    /// returned oldest first, at most `limit`.
    async fn messages_before(
        &self,
        room: &RoomId,
        before: Option<u64>,
        limit: u32,
    ) -> StoreResult<Page>;
    /// Messages of every room `user_id` is a member of with a global
    /// position after `pos`, in append order, at most `limit`: how an SSE
    /// stream resumes from `Last-Event-ID`.
    async fn messages_for_user_after(
        &self,
        user_id: &str,
        pos: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, Message)>>;
    /// Removes at most `limit` rooms that nothing keeps: no member, no
    /// log entry (every setting, ban or mute was logged, so a room that has
    /// one is kept; a creator alone keeps no room), never `lobby`; returns them. The conditions are checked under
    /// the rooms' write lock in the same transaction as the delete, so a
    /// membership committed at the same moment keeps its room (and a join
    /// that finds its room removed creates it again).
    async fn remove_unused_rooms(&self, limit: u32) -> StoreResult<Vec<RoomId>>;
    /// Keeps an uploaded file in the database, under a server-chosen name.
    async fn put_blob(&self, name: &str, blob: &Blob) -> StoreResult<()>;
    async fn get_blob(&self, name: &str) -> StoreResult<Option<Blob>>;
    /// Records an upload unless the uploader's uploads since `quota.since`
    /// plus this one would exceed `quota.bytes`: false then, and nothing is
    /// recorded. The check and the insert are one statement.
    async fn record_upload(
        &self,
        upload: &UploadRecord,
        quota: Option<UploadQuota>,
    ) -> StoreResult<bool>;
    /// Bytes `user_id` uploaded after `since` (ms).
    async fn uploaded_since(&self, user_id: &str, since: i64) -> StoreResult<u64>;
    /// The room an upload was made to, if it is recorded.
    async fn upload_room(&self, name: &str) -> StoreResult<Option<RoomId>>;
    /// Forgets an upload: its record and its blob, if any.
    async fn forget_upload(&self, name: &str) -> StoreResult<()>;
    /// Recorded uploads created before `before` (ms) that no stored message
    /// refers to, at most `limit`.
    async fn orphan_uploads(&self, before: i64, limit: u32) -> StoreResult<Vec<String>>;
    /// Flushes and closes the store.
    async fn close(&self);
}
