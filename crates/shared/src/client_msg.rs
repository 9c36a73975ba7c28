//! Frames a client sends to the server.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::moderation::{ModAction, RoomPassword};
use crate::names::{RoomId, UserName};
use crate::text::{ClientId, HistoryLimit, MessageText};

/// One client frame, tagged by `type`.
///
/// There is deliberately no `from` field anywhere: the server decides who
/// sent a frame, and serde drops any `from` a client adds.
///
/// `ClientMsgKind` (derived by strum) is the same enum without fields:
/// `ClientMsgKind::iter()` lists every variant, so the tests that check the
/// docs and the `type` tags follow the enum instead of a hand-written list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(ClientMsgKind),
    derive(strum::EnumIter, strum::IntoStaticStr),
    strum(serialize_all = "snake_case")
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Become a member; `since` is the last seq the client already has.
    Join {
        room: RoomId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
        /// The room password, for a room that has one (and no invitation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<RoomPassword>,
    },
    /// Stop being a member.
    Leave { room: RoomId },
    /// Post to a room the user is a member of.
    Send {
        room: RoomId,
        text: MessageText,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientId>,
    },
    /// Post to the direct conversation with `to`.
    Dm {
        to: UserName,
        text: MessageText,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientId>,
    },
    /// Replace the text of one's own message `seq` in `room` (protocol
    /// version 2): answered by an `ack` of the new `edit` entry.
    Edit {
        room: RoomId,
        seq: u64,
        text: MessageText,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientId>,
    },
    /// Take one's own message `seq` in `room` back (protocol version 2):
    /// answered by an `ack` of the new `delete` entry.
    Delete {
        room: RoomId,
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientId>,
    },
    /// A moderation action in `room` (protocol version 2; the action's
    /// fields sit beside `type`, tagged by `action`): answered by an `ack`
    /// of the new `moderation` entry, or `forbidden` without the role.
    Moderate {
        room: RoomId,
        #[serde(flatten)]
        action: ModAction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientId>,
    },
    /// Tell the room's other members this user is typing.
    Typing { room: RoomId },
    /// The user has read `room` up to `seq`.
    Read { room: RoomId, seq: u64 },
    /// Older messages, newest last.
    History {
        room: RoomId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<HistoryLimit>,
    },
}

impl ClientMsg {
    /// The frame's `type` tag.
    pub fn kind(&self) -> &'static str {
        ClientMsgKind::from(self).into()
    }

    /// Every `type` tag a client may send (a test checks it against
    /// `ClientMsgKind::iter()`).
    pub const TYPES: [&'static str; 10] = [
        "join", "leave", "send", "dm", "edit", "delete", "moderate", "typing", "read", "history",
    ];

    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        // A ClientMsg holds only strings and integers, which always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Why a text frame could not be turned into a [`ClientMsg`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct DecodeError {
    /// `bad_json`, `unknown_type` or `invalid`.
    pub code: ErrorCode,
    pub message: String,
    /// The frame's `client_id`, if it had a readable one, so the client can
    /// tell which of its sends failed.
    pub client_id: Option<String>,
}

/// Parses one text frame, telling apart "not JSON", "unknown type" and
/// "a field breaks its rules" so the client gets the precise error code.
pub fn decode(frame: &str) -> Result<ClientMsg, DecodeError> {
    // A good frame parses straight away; only a bad one pays for the
    // second, careful look that names what is wrong with it.
    if let Ok(msg) = serde_json::from_str::<ClientMsg>(frame) {
        return Ok(msg);
    }
    let value: serde_json::Value = serde_json::from_str(frame).map_err(|e| DecodeError {
        code: ErrorCode::BadJson,
        message: format!("frame is not JSON: {e}"),
        client_id: None,
    })?;
    let Some(object) = value.as_object() else {
        return Err(DecodeError {
            code: ErrorCode::BadJson,
            message: "frame must be a JSON object".into(),
            client_id: None,
        });
    };
    let client_id = object
        .get("client_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    match object.get("type").and_then(|t| t.as_str()) {
        Some(t) if ClientMsg::TYPES.contains(&t) => {}
        Some(t) => {
            return Err(DecodeError {
                code: ErrorCode::UnknownType,
                message: format!("unknown frame type {t:?}"),
                client_id,
            })
        }
        None => {
            return Err(DecodeError {
                code: ErrorCode::UnknownType,
                message: "frame has no string \"type\" field".into(),
                client_id,
            })
        }
    }
    serde_json::from_value(value).map_err(|e| DecodeError {
        code: ErrorCode::Invalid,
        message: e.to_string(),
        client_id,
    })
}
