//! Frames the server sends to clients (over WebSocket, and as SSE events).

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::model::{Member, Message, RoomSummary, User};
use crate::moderation::RoomRole;
use crate::names::{RoomId, UserName};
use crate::text::ClientId;

/// What happened to a user's membership or online state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceEvent {
    Joined,
    Left,
    Online,
    Offline,
}

/// Why a `notification` was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Dm,
    Mention,
    System,
    /// Someone invited the user to a private room (`room`, `from`).
    Invite,
}

/// What a `system` notification is about, so that a client can word it in
/// its reader's language instead of showing the server's English `text`.
/// A client that does not know a notice shows `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemNotice {
    /// The server is shutting down; the client will reconnect.
    ServerRestarting,
}

/// One server frame, tagged by `type`.
///
/// `ServerMsgKind` (derived by strum) is the same enum without fields, so
/// `ServerMsgKind::iter()` lists every frame type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(ServerMsgKind),
    derive(strum::EnumIter, strum::IntoStaticStr),
    strum(serialize_all = "snake_case")
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First frame after connecting.
    Welcome { user: User, rooms: Vec<RoomSummary> },
    /// Reply to `join`. `members` lists at most [`MAX_JOINED_MEMBERS`]
    /// (online first, then by name); `members_total` counts them all, the
    /// rest pages through `GET /api/rooms/{room}/members`. `messages` is
    /// bounded by count and by bytes; `more` says the page was cut.
    ///
    /// [`MAX_JOINED_MEMBERS`]: crate::MAX_JOINED_MEMBERS
    Joined {
        room: RoomId,
        members: Vec<Member>,
        #[serde(default)]
        members_total: u32,
        messages: Vec<Message>,
        more: bool,
        latest_seq: u64,
        /// The room's topic (absent when none).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        topic: String,
        /// The joining user's role (absent for a plain member).
        #[serde(default, skip_serializing_if = "is_member")]
        role: RoomRole,
    },
    /// Reply to `leave`.
    Left { room: RoomId },
    /// A new message in one of the user's rooms.
    Message { message: Message },
    /// The sending connection's confirmation that its message is stored.
    Ack {
        client_id: Option<ClientId>,
        message: Message,
    },
    /// Membership or online state changed. `online`/`offline` of several
    /// users at once (a mass disconnect) come in one frame: `users` lists
    /// them, `user` being the first; for one user `users` is empty and left
    /// out of the JSON. A frame names at most [`MAX_PRESENCE_USERS`]; when
    /// more changed together (a crowd in a big room), `omitted` counts the
    /// others, whose change shows only in `online` (absent when 0).
    ///
    /// [`MAX_PRESENCE_USERS`]: crate::MAX_PRESENCE_USERS
    Presence {
        room: RoomId,
        user: UserName,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<UserName>,
        event: PresenceEvent,
        members: u32,
        online: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        omitted: u32,
    },
    /// Another member is typing.
    Typing { room: RoomId, user: UserName },
    /// Reply to `history`.
    History {
        room: RoomId,
        messages: Vec<Message>,
        more: bool,
    },
    /// A DM or mention for this user, or a system notice. `room` and `from`
    /// are `null` for system notices.
    Notification {
        kind: NotificationKind,
        room: Option<RoomId>,
        from: Option<UserName>,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_id: Option<String>,
        /// For a `system` notification: which notice it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice: Option<SystemNotice>,
    },
    /// The last frame could not be done.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// With `rate_limited`: whole seconds to wait before sending again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
}

fn is_member(role: &RoomRole) -> bool {
    *role == RoomRole::Member
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ServerMsg {
    /// The frame's `type` tag, which is also its SSE `event:` name.
    pub fn kind(&self) -> &'static str {
        ServerMsgKind::from(self).into()
    }

    /// Every user a `presence` frame is about (`users`, or else `user`);
    /// empty for other frames.
    pub fn presence_users(&self) -> Vec<&UserName> {
        match self {
            Self::Presence { user, users, .. } if users.is_empty() => vec![user],
            Self::Presence { users, .. } => users.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        // Every field is a string, number, bool or a struct of those, which
        // serde_json always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The `message` frame of a message whose JSON (`serde_json` of
    /// [`Message`]) is `message_json`: what [`ServerMsg::to_json`] gives,
    /// with the message serialized once for this frame and its `ack`.
    pub fn message_json(message_json: &str) -> String {
        // Sized once: `format!` grows its string as it goes, copying it.
        let (head, tail) = (r#"{"type":"message","message":"#, "}");
        let mut json = String::with_capacity(head.len() + message_json.len() + tail.len());
        json.push_str(head);
        json.push_str(message_json);
        json.push_str(tail);
        json
    }

    /// The `ack` frame of that message (see [`ServerMsg::message_json`]).
    pub fn ack_json(client_id: Option<&ClientId>, message_json: &str) -> String {
        let client_id = match client_id {
            // A client id is a JSON string serde always writes.
            Some(id) => serde_json::to_string(id.as_str()).unwrap_or_default(),
            None => "null".to_owned(),
        };
        format!(r#"{{"type":"ack","client_id":{client_id},"message":{message_json}}}"#)
    }

    /// Shorthand for an `error` frame.
    pub fn error(code: ErrorCode, message: impl Into<String>, client_id: Option<String>) -> Self {
        Self::Error {
            code,
            message: message.into(),
            client_id,
            retry_after: None,
        }
    }

    /// A `rate_limited` error: wait `retry_after` seconds, then send again.
    pub fn rate_limited(
        message: impl Into<String>,
        client_id: Option<String>,
        retry_after: u64,
    ) -> Self {
        Self::Error {
            code: ErrorCode::RateLimited,
            message: message.into(),
            client_id,
            retry_after: Some(retry_after),
        }
    }
}
