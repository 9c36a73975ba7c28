//! Durable storage behind one trait.
//!
//! The hub and the HTTP handlers only see [`Store`]; SQLite
//! ([`sqlite::SqliteStore`]) is the embedded default. A PostgreSQL store can
//! implement the same trait without touching the socket handlers: the trait
//! already assigns `seq` and resolves `client_id` duplicates inside
//! [`Store::append`], where a shared database can do it atomically for
//! several server nodes.

pub mod sqlite;

use async_trait::async_trait;
use confab_shared::{Attachment, ClientId, Color, Message, RoomId, Timestamp, User, UserName};

/// A storage failure. The text is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the name is already taken")]
    NameTaken,
    #[error("the room does not exist")]
    NoSuchRoom,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A message accepted by the hub, not yet stored (it has no `seq` yet).
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: String,
    pub room: RoomId,
    pub sender: User,
    pub text: String,
    pub ts: Timestamp,
    pub client_id: Option<ClientId>,
    pub attachment: Option<Attachment>,
}

/// The outcome of appending one [`NewMessage`].
#[derive(Debug, Clone)]
pub struct Stored {
    pub message: Message,
    /// Global append position (the SSE event id).
    pub pos: i64,
    /// The same user already sent this `client_id` in this room; `message`
    /// is the one stored the first time and nothing new was stored.
    pub duplicate: bool,
}

/// One of a user's rooms with the user's own counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub room: RoomId,
    pub latest_seq: u64,
    /// Messages from others after the user's read cursor.
    pub unread: u64,
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

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap round trip to prove the store answers (for `/healthz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Claims `name` for a new user and opens a session.
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
    /// Looks a user up by the case-folded name ([`UserName::key`]).
    async fn user_by_name(&self, name_key: &str) -> StoreResult<Option<User>>;

    /// Makes `user_id` a member, creating the room if needed. Returns whether
    /// the user was not a member before.
    async fn join(&self, room: &RoomId, user_id: &str) -> StoreResult<bool>;
    /// Ends a membership. Returns whether the user was a member.
    async fn leave(&self, room: &RoomId, user_id: &str) -> StoreResult<bool>;
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
    /// Public rooms with their member counts.
    async fn public_rooms(&self) -> StoreResult<Vec<RoomInfo>>;

    /// Stores a batch in one durable transaction (group commit), in order.
    /// Each message gets the next `seq` of its room; a repeated
    /// `(room, sender, client_id)` stores nothing and returns the original.
    async fn append(&self, batch: &[NewMessage]) -> StoreResult<Vec<Stored>>;
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
    /// Flushes and closes the store.
    async fn close(&self);
}
