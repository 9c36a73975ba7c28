//! Confab's wire contract, compiled by both the server and the WASM client.
//!
//! `docs/PROTOCOL.md` describes the contract in words; this crate is the same
//! contract in code, and the golden tests in `tests/golden.rs` pin the exact
//! JSON of every frame so the two cannot drift apart silently.
//!
//! Map of the modules:
//!
//! - [`account`]: `Password` (the policy) and the bodies of the account
//!   routes (log in, claim a name, change the password, list devices).
//! - [`names`]: `UserName`, `RoomName` and `RoomId` (a public room or a
//!   `dm:a:b` conversation). They *parse* their input, so a value of these
//!   types is valid by construction, on both sides of the wire.
//! - [`text`]: `MessageText`, `ClientId` and `HistoryLimit`, the other
//!   bounded inputs a client sends.
//! - [`model`]: the objects that appear inside frames (`User`, `Message`,
//!   `Attachment`, room and member summaries).
//! - [`client_msg`]: `ClientMsg`, every frame a client may send, and
//!   [`client_msg::decode`], which turns raw text into one or into a precise
//!   protocol error.
//! - [`server_msg`]: `ServerMsg`, every frame the server sends.
//! - [`error`]: the error codes shared by WebSocket `error` frames and HTTP
//!   error bodies.
//! - [`mention`]: finds `@name` mentions in a message text.
//! - [`moderation`]: room roles, moderation requests (`ModAction`), the
//!   log entries they become (`RoomEvent`) and room settings.
//!
//! The crate depends on nothing async so that it builds for `wasm32`.

pub mod account;
pub mod client_msg;
pub mod error;
pub mod mention;
pub mod model;
pub mod moderation;
pub mod names;
pub mod server_msg;
pub mod text;

pub use account::{
    AccountDeletion, BlockList, DeviceList, DeviceSession, NameAndPassword, Password,
    PasswordChange, PasswordError,
};
pub use client_msg::{decode, ClientMsg, ClientMsgKind, DecodeError};
pub use error::{ErrorBody, ErrorCode};
pub use model::{
    Attachment, Color, EntryKind, Member, Message, PublicRoom, RoomList, RoomSummary, SessionReply,
    Timestamp, User,
};
pub use moderation::{ModAction, RoomEvent, RoomRole, RoomSettings};
pub use names::{NameError, RoomId, RoomName, UserName};
pub use server_msg::{NotificationKind, PresenceEvent, ServerMsg, ServerMsgKind, SystemNotice};
/// `iter()` over the field-less kinds and error codes.
pub use strum::IntoEnumIterator;
pub use text::{ClientId, HistoryLimit, MessageText};

/// Largest WebSocket frame the server accepts; larger frames close the
/// connection with code 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Largest number of messages a `joined` reply carries; `more` says whether
/// there were more.
pub const MAX_RESUME_MESSAGES: usize = 500;

/// How many recent messages a `join` without `since` returns.
pub const DEFAULT_JOIN_MESSAGES: usize = 50;

/// Members listed in a `joined` frame at most; the rest page over REST.
pub const MAX_JOINED_MEMBERS: usize = 200;
/// Users one `presence` frame names at most (see `ServerMsg::Presence`).
pub const MAX_PRESENCE_USERS: usize = 256;

/// The messages of one `joined` or `history` frame take at most this many
/// bytes of JSON (the page is cut, with `more`), so a reply always fits a
/// connection's outgoing queue however big the room's messages are.
pub const MAX_PAGE_BYTES: usize = 192 * 1024;

/// The room every user starts in. It always exists.
pub const LOBBY: &str = "lobby";

/// Whom the messages of a deleted account are from. The store holds a user
/// of this name so that nobody can take it (nor one confusable with it).
pub const DELETED_USER: &str = "deleted-user";

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "confab_session";

/// How the server frames what it sends on a WebSocket: the `frames` query
/// parameter of `GET /ws` (`/ws?frames=lines`). A query parameter, not a
/// `Sec-WebSocket-Protocol`, because it must pass proxies such as
/// `trunk serve`'s, which forward the request but not a chosen sub-protocol
/// (and a browser that asked for one fails the connection without it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// Every text frame carries exactly one JSON object.
    #[default]
    Single,
    /// A text frame may carry several, one per line ([`frame_lines`]): a
    /// busy room then costs one WebSocket frame per socket per write tick
    /// instead of one per message.
    Lines,
}

impl Framing {
    /// The WebSocket path and query that asks for this framing.
    pub fn ws_path(self) -> &'static str {
        match self {
            Self::Single => "/ws",
            Self::Lines => "/ws?frames=lines",
        }
    }
}

/// The JSON objects of one server text frame: one, or under
/// [`Framing::Lines`] several separated by `\n`. A server frame never holds
/// a raw newline otherwise (JSON escapes it inside strings and the server
/// writes no whitespace between tokens), so splitting is safe either way.
pub fn frame_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').filter(|line| !line.is_empty())
}
