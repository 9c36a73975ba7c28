//! Error codes, shared by WebSocket `error` frames and HTTP error bodies.

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable snake_case code clients can branch on.
///
/// `ErrorCode::iter()` (strum) lists every code, derived from the enum itself,
/// so a test over all codes cannot miss a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame or body is not JSON (or not a JSON object).
    BadJson,
    /// The frame's `type` is missing or not one of the known ones.
    UnknownType,
    /// A field is missing or breaks its rules (name, room, text, limit, ...).
    Invalid,
    /// Binary WebSocket frames are not part of the protocol.
    BinaryUnsupported,
    /// The user is not a member of that room.
    NotMember,
    /// The user may not do that at all (someone else's DM, say).
    Forbidden,
    /// No user has that name.
    UnknownUser,
    /// Too many frames too fast; the frame was dropped.
    RateLimited,
    /// The server failed; nothing was stored.
    Internal,
    /// HTTP: no valid session.
    Unauthorized,
    /// HTTP: the name belongs to someone else.
    NameTaken,
    /// HTTP: no such thing.
    NotFound,
    /// HTTP: an upload over the size limit.
    PayloadTooLarge,
    /// HTTP: an upload that is not a supported image.
    UnsupportedMediaType,
    /// The server is at its connection limit, or shutting down: try again.
    Unavailable,
    /// HTTP 429: this user or address has as many open WebSocket and SSE
    /// connections as it may.
    TooManyConnections,
    /// HTTP 413: the upload would take the user past their upload quota.
    QuotaExceeded,
    /// The user has created as many rooms as they may; nothing was created.
    TooManyRooms,
    /// A moderator muted the user in that room; `retry_after` says for how
    /// many more seconds.
    Muted,
    /// The room has as many members as its owner allows.
    RoomFull,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadJson => "bad_json",
            Self::UnknownType => "unknown_type",
            Self::Invalid => "invalid",
            Self::BinaryUnsupported => "binary_unsupported",
            Self::NotMember => "not_member",
            Self::Forbidden => "forbidden",
            Self::UnknownUser => "unknown_user",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::Unauthorized => "unauthorized",
            Self::NameTaken => "name_taken",
            Self::NotFound => "not_found",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unavailable => "unavailable",
            Self::TooManyConnections => "too_many_connections",
            Self::QuotaExceeded => "quota_exceeded",
            Self::TooManyRooms => "too_many_rooms",
            Self::Muted => "muted",
            Self::RoomFull => "room_full",
        }
    }
}

/// Body of every HTTP error response: `{"code","message","request_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// The request's id (also its `X-Request-Id` header), which the
    /// server's log lines for that request carry: quote it when reporting
    /// a problem. Absent only where no request id exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            request_id: None,
        }
    }
}
