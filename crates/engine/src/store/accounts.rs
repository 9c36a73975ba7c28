//! What the store keeps about accounts and their devices (sessions).

use confab_shared::User;

/// A user and, if they claimed their name, their password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: User,
    /// An argon2id PHC string; `None` for a guest.
    pub password_hash: Option<String>,
}

/// The device a session was opened from, as its request told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

/// One session of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The key the store finds it by (the hash of its token; the token
    /// itself is never stored).
    pub token_hash: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// The last recorded use (see [`super::session_refresh_ms`]).
    pub last_seen: i64,
    pub device: Device,
}
