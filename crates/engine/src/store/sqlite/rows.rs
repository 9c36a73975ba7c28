//! Turning SQLite rows into the engine's types (and the small conversions
//! the queries share).

use confab_shared::{Attachment, Color, EntryKind, Message, RoomId, Timestamp, User, UserName};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::store::{LogBody, LogEntry, StoreError, StoreResult};

/// Columns of `messages` in the order [`message_from_row`] reads them.
pub(super) const MESSAGE_COLUMNS: &str = "pos, id, room, seq, sender_name, text, ts, \
     attachment_url, attachment_mime, attachment_bytes, attachment_width, attachment_height, \
     kind, target, edited_at, deleted, event";

pub(super) fn now_millis() -> i64 {
    Timestamp::now().millis()
}

pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(super) fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let name: String = row.try_get("name")?;
    let color: String = row.try_get("color")?;
    user_from_columns(row.try_get("id")?, &name, &color)
}

/// A user from its stored columns, its name and color checked.
pub(super) fn user_from_columns(id: String, name: &str, color: &str) -> StoreResult<User> {
    Ok(User {
        id,
        name: UserName::parse(name).map_err(corrupt)?,
        color: Color::parse(color).map_err(corrupt)?,
    })
}

/// A message's stored columns, as [`MESSAGE_COLUMNS`] lists them: what the
/// pool's rows (sqlx) and the writer's (rusqlite) are both read into.
pub(super) struct MessageColumns {
    pub pos: i64,
    pub id: String,
    pub room: String,
    pub seq: i64,
    pub sender_name: String,
    pub text: String,
    pub ts: i64,
    pub attachment_url: Option<String>,
    pub attachment_mime: Option<String>,
    pub attachment_bytes: Option<i64>,
    pub attachment_width: Option<i64>,
    pub attachment_height: Option<i64>,
    pub kind: String,
    pub target: Option<i64>,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    /// A moderation entry's facts, as JSON.
    pub event: Option<String>,
}

impl MessageColumns {
    /// The message (and its `pos`), its names checked as stored ones must be.
    pub(super) fn into_message(self) -> StoreResult<(i64, Message)> {
        let attachment = self.attachment_url.map(|url| Attachment {
            url,
            mime: self.attachment_mime.unwrap_or_default(),
            bytes: self.attachment_bytes.unwrap_or(0).max(0) as u64,
            width: self.attachment_width.and_then(|w| u32::try_from(w).ok()),
            height: self.attachment_height.and_then(|h| u32::try_from(h).ok()),
        });
        let message = Message {
            id: self.id,
            room: RoomId::parse(&self.room).map_err(corrupt)?,
            seq: self.seq.max(0) as u64,
            from: UserName::parse(&self.sender_name).map_err(corrupt)?,
            text: self.text,
            ts: Timestamp::from_millis(self.ts),
            attachment,
            kind: EntryKind::parse(&self.kind)
                .ok_or_else(|| corrupt(format!("unknown entry kind {:?}", self.kind)))?,
            target: self.target.map(|t| t.max(0) as u64),
            edited: self.edited_at.map(Timestamp::from_millis),
            deleted: self.deleted,
            event: self
                .event
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .map_err(corrupt)?,
        };
        Ok((self.pos, message))
    }
}

pub(super) fn message_from_row(row: &SqliteRow) -> StoreResult<(i64, Message)> {
    MessageColumns {
        pos: row.try_get("pos")?,
        id: row.try_get("id")?,
        room: row.try_get("room")?,
        seq: row.try_get("seq")?,
        sender_name: row.try_get("sender_name")?,
        text: row.try_get("text")?,
        ts: row.try_get("ts")?,
        attachment_url: row.try_get("attachment_url")?,
        attachment_mime: row.try_get("attachment_mime")?,
        attachment_bytes: row.try_get("attachment_bytes")?,
        attachment_width: row.try_get("attachment_width")?,
        attachment_height: row.try_get("attachment_height")?,
        kind: row.try_get("kind")?,
        target: row.try_get("target")?,
        edited_at: row.try_get("edited_at")?,
        deleted: row.try_get("deleted")?,
        event: row.try_get("event")?,
    }
    .into_message()
}

pub(super) fn member_event_from_row(row: &SqliteRow) -> StoreResult<LogEntry> {
    let room: String = row.try_get("room")?;
    let name: String = row.try_get("user_name")?;
    let color: String = row.try_get("user_color")?;
    Ok(LogEntry {
        pos: row.try_get("pos")?,
        room: RoomId::parse(&room).map_err(corrupt)?,
        body: LogBody::Member {
            user: User {
                id: row.try_get("user_id")?,
                name: UserName::parse(&name).map_err(corrupt)?,
                color: Color::parse(&color).map_err(corrupt)?,
            },
            joined: row.try_get("joined")?,
            members: u32::try_from(row.try_get::<i64, _>("members")?).unwrap_or(u32::MAX),
        },
    })
}

pub(super) fn messages_from_rows(rows: &[SqliteRow]) -> StoreResult<Vec<Message>> {
    rows.iter()
        .map(|r| message_from_row(r).map(|(_, m)| m))
        .collect()
}

pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// SQLite integers are i64; seqs and limits never get near the boundary, but
/// a peer-supplied u64 must not wrap into a negative number.
pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
