//! Turning SQLite rows into the engine's types (and the small conversions
//! the queries share).

use confab_shared::{Attachment, Color, Message, RoomId, Timestamp, User, UserName};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::store::{LogBody, LogEntry, StoreError, StoreResult};

/// Columns of `messages` in the order [`message_from_row`] reads them.
pub(super) const MESSAGE_COLUMNS: &str = "pos, id, room, seq, sender_name, text, ts, \
     attachment_url, attachment_mime, attachment_bytes";

pub(super) fn now_millis() -> i64 {
    Timestamp::now().millis()
}

pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(super) fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let name: String = row.try_get("name")?;
    let color: String = row.try_get("color")?;
    Ok(User {
        id: row.try_get("id")?,
        name: UserName::parse(&name).map_err(corrupt)?,
        color: Color::parse(&color).map_err(corrupt)?,
    })
}

pub(super) fn message_from_row(row: &SqliteRow) -> StoreResult<(i64, Message)> {
    let room: String = row.try_get("room")?;
    let from: String = row.try_get("sender_name")?;
    let seq: i64 = row.try_get("seq")?;
    let url: Option<String> = row.try_get("attachment_url")?;
    let attachment = match url {
        Some(url) => Some(Attachment {
            url,
            mime: row
                .try_get::<Option<String>, _>("attachment_mime")?
                .unwrap_or_default(),
            bytes: row
                .try_get::<Option<i64>, _>("attachment_bytes")?
                .unwrap_or(0)
                .max(0) as u64,
        }),
        None => None,
    };
    let message = Message {
        id: row.try_get("id")?,
        room: RoomId::parse(&room).map_err(corrupt)?,
        seq: seq.max(0) as u64,
        from: UserName::parse(&from).map_err(corrupt)?,
        text: row.try_get("text")?,
        ts: Timestamp::from_millis(row.try_get("ts")?),
        attachment,
    };
    Ok((row.try_get("pos")?, message))
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
