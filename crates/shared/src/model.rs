//! The objects that appear inside frames and HTTP bodies.

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::moderation::RoomEvent;
use crate::names::{NameError, RoomId, UserName};

/// A point in time, written as RFC 3339 in UTC with milliseconds
/// (`2026-11-22T10:00:00.000Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_millis(Utc::now().timestamp_millis())
    }

    /// Milliseconds since the Unix epoch; out-of-range values clamp to the epoch.
    pub fn from_millis(ms: i64) -> Self {
        Self(Utc.timestamp_millis_opt(ms).single().unwrap_or_default())
    }

    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn datetime(self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&raw)
            .map(|t| Self(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}

/// A user's display colour, `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Color(String);

impl Color {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let ok = raw.len() == 7
            && raw.starts_with('#')
            && raw[1..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(NameError::BadChar {
                what: "a colour",
                ch: raw.chars().find(|c| !c.is_ascii_hexdigit()).unwrap_or('?'),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Color {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Color> for String {
    fn from(value: Color) -> String {
        value.0
    }
}

/// A user as everyone sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: UserName,
    pub color: Color,
}

/// Reply to `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReply {
    pub token: String,
    pub user: User,
}

/// An image attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Where to fetch it: `/uploads/<file>`.
    pub url: String,
    pub mime: String,
    pub bytes: u64,
    /// The image's size in pixels, known from the upload, so a client
    /// reserves its box before it loads (absent for images stored before
    /// the server recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// What an entry of a room's log is (protocol version 2). Every entry
/// takes the room's next `seq`, so seqs stay gap-free whatever the kind;
/// only `message` entries count as unread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A message as posted.
    #[default]
    Message,
    /// Its author replaced the text of the message at `target`; `text` is
    /// the new text.
    Edit,
    /// Its author (or a moderator) took the message at `target` back;
    /// `text` is empty.
    Delete,
    /// A moderator's action or a change of the room's settings: `event`
    /// holds what happened, `from` who did it; `text` is empty.
    Moderation,
}

impl EntryKind {
    /// The kind's name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::Moderation => "moderation",
        }
    }

    /// The kind called `name` ([`EntryKind::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Message, Self::Edit, Self::Delete, Self::Moderation]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An entry of a room's log, wherever it appears: a message, or an edit or
/// deletion of one (`kind`, `target`).
///
/// A `message` entry always shows the message as it is now: the latest
/// text with `edited` (when it was last edited), or, once deleted,
/// `deleted: true` with no text and no attachment. So a client that loads
/// an old page after the edit went by still shows the current text; the
/// `edit` and `delete` entries tell a client that already shows the target
/// what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub room: RoomId,
    /// Position in the room: 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// Who sent it, as decided by the server.
    pub from: UserName,
    pub text: String,
    pub ts: Timestamp,
    pub attachment: Option<Attachment>,
    /// Absent in version 1 frames, which only had messages.
    #[serde(default)]
    pub kind: EntryKind,
    /// The seq of the message an `edit` or `delete` is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<u64>,
    /// When the text of this message was last edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<Timestamp>,
    /// This message was taken back (its text and attachment are gone); for
    /// an `edit` entry, the message it edited was.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// What a `moderation` entry records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<RoomEvent>,
}

impl Message {
    /// Whether this entry is a message (not an edit or deletion of one).
    pub fn is_message(&self) -> bool {
        self.kind == EntryKind::Message
    }
}

/// A room as listed in `welcome`: the user's own view of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub name: RoomId,
    pub members: u32,
    pub online: u32,
    /// Messages of others after the user's read cursor.
    pub unread: u64,
    pub latest_seq: u64,
}

/// A public room as listed by `GET /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRoom {
    pub name: RoomId,
    pub members: u32,
    pub online: u32,
    pub latest_seq: u64,
}

/// A page of `GET /api/rooms` (protocol v2): public rooms ordered by name;
/// `next_cursor`, when not `null`, is passed as `?cursor=` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomList {
    pub rooms: Vec<PublicRoom>,
    pub next_cursor: Option<String>,
}

/// A member of a room, in `joined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: UserName,
    pub color: Color,
    pub online: bool,
}
