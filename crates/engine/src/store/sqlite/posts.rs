//! A post within a batch, on the writer thread's connection: its duplicate
//! check, its room's counter, its sender's membership and its row, each a
//! statement prepared once per connection (or an answer from the batch's
//! [`Cache`]).

use std::collections::HashMap;

use std::sync::LazyLock;

use confab_shared::{EntryKind, Message};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::commit::Cache;
use super::rows::{to_i64, MessageColumns, MESSAGE_COLUMNS};
use crate::store::{
    refusal_of_change, Forbidden, LogBody, LogEntry, NewMessage, Outcome, Refusal, StoreResult,
};

/// A post's idempotency key: room, sender id, client id.
pub(super) type Key = (String, String, String);

/// The posts of this batch so far, by idempotency key, to the index of
/// their outcome: a repeat later in the batch is a duplicate of the first.
pub(super) type Seen = HashMap<Key, usize>;

/// `new`'s idempotency key, if it has a client id.
pub(super) fn key_of(new: &NewMessage) -> Option<Key> {
    let client_id = new.client_id.as_ref()?;
    Some((
        new.room.to_string(),
        new.sender.id.clone(),
        client_id.as_str().to_owned(),
    ))
}

/// A repeat of the post that ended as `first` (stored by this batch).
pub(super) fn duplicate_of(first: &Outcome) -> Option<Outcome> {
    match first {
        Outcome::Logged(LogEntry {
            pos,
            body: LogBody::Message { message, .. },
            ..
        }) => Some(Outcome::Duplicate {
            message: message.clone(),
            pos: *pos,
        }),
        _ => None,
    }
}

/// Looks a post up by its idempotency key (the unique index
/// `messages_by_client_id` answers it; test `lookups_search_their_index`).
pub(super) static EARLIER_POST_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages \
         WHERE room = ?1 AND sender_id = ?2 AND client_id = ?3"
    )
});

pub(super) const INSERT_SQL: &str =
    "INSERT INTO messages (pos, id, room, seq, sender_id, sender_name, \
     text, ts, client_id, attachment_url, attachment_mime, attachment_bytes, attachment_width, \
     attachment_height, kind, target, event) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

/// The target of an edit or deletion: author, kind, deleted, attachment.
const TARGET_SQL: &str = "SELECT sender_id, kind, deleted, attachment_url FROM messages \
     WHERE room = ?1 AND seq = ?2";

/// An upload no message refers to any more is hidden at once (and swept
/// soon, see migration 0009).
const REMOVE_UPLOAD_SQL: &str = "UPDATE uploads SET removed_at = ?1 WHERE name = ?2 \
     AND NOT EXISTS (SELECT 1 FROM messages WHERE attachment_url = ?3)";

const EDIT_SQL: &str = "UPDATE messages SET text = ?1, edited_at = ?2 WHERE room = ?3 AND seq = ?4";

/// A deletion empties the message ...
const DELETE_SQL: &str = "UPDATE messages SET text = '', attachment_url = NULL, \
     attachment_mime = NULL, attachment_bytes = NULL, attachment_width = NULL, \
     attachment_height = NULL, edited_at = NULL, deleted = 1 \
     WHERE room = ?1 AND seq = ?2";

/// ... and every edit of it, so that no old text survives.
const DELETE_EDITS_SQL: &str =
    "UPDATE messages SET text = '', deleted = 1 WHERE room = ?1 AND target = ?2 AND kind = 'edit'";

/// Stores `new` (or finds it stored before this batch, under `key`) and
/// says how it went.
pub(super) fn store_post(
    tx: &Transaction,
    cache: &mut Cache,
    new: NewMessage,
    key: Option<&Key>,
    pos: &mut i64,
) -> StoreResult<Outcome> {
    let room = new.room.to_string();
    if let Some(key) = key {
        let earlier = tx
            .prepare_cached(&EARLIER_POST_SQL)?
            .query_row(params![key.0, key.1, key.2], |row| {
                Ok(message_from_row(row))
            })
            .optional()?;
        if let Some(found) = earlier {
            let (pos, message) = found?;
            return Ok(Outcome::Duplicate { message, pos });
        }
    }
    // The counter moves only for a member, so a refused post leaves no trace.
    let Some(latest) = cache.room_seq(tx, &room)? else {
        return Ok(Outcome::Refused(Refusal::NoSuchRoom));
    };
    match cache.membership(tx, &room, &new.sender.id)? {
        // Asked only of a refused post: a banned user hears why.
        None if tx
            .prepare_cached("SELECT 1 FROM room_bans WHERE room = ?1 AND user_id = ?2")?
            .exists(params![room, new.sender.id])? =>
        {
            return Ok(Outcome::Refused(Refusal::Forbidden(Forbidden::Banned)))
        }
        None => return Ok(Outcome::Refused(Refusal::NotMember)),
        Some(Some(until_ms)) if until_ms > new.ts.millis() => {
            return Ok(Outcome::Refused(Refusal::Muted { until_ms }))
        }
        Some(_) => {}
    }
    if let Some(target) = new.target {
        let found = read_target(tx, &room, target)?;
        let (attachment, found) = match &found {
            Some((author, kind, deleted, attachment)) => (
                attachment.clone(),
                EntryKind::parse(kind).map(|kind| (author.as_str(), kind, *deleted)),
            ),
            None => (None, None),
        };
        if let Some(refusal) = refusal_of_change(&new.sender.id, found) {
            return Ok(Outcome::Refused(refusal));
        }
        match new.kind {
            EntryKind::Edit => {
                tx.prepare_cached(EDIT_SQL)?.execute(params![
                    new.text,
                    new.ts.millis(),
                    room,
                    to_i64(target)
                ])?;
            }
            EntryKind::Delete => {
                empty_message(tx, &room, target, attachment, new.ts.millis())?;
            }
            EntryKind::Message | EntryKind::Moderation => {}
        }
    }
    let seq = latest + 1;
    *pos += 1;
    let attachment = new.attachment.as_ref();
    tx.prepare_cached(INSERT_SQL)?.execute(params![
        *pos,
        new.id,
        room,
        seq,
        new.sender.id,
        new.sender.name.as_str(),
        new.text,
        new.ts.millis(),
        new.client_id.as_ref().map(|c| c.as_str()),
        attachment.map(|a| a.url.as_str()),
        attachment.map(|a| a.mime.as_str()),
        attachment.map(|a| to_i64(a.bytes)),
        attachment.and_then(|a| a.width),
        attachment.and_then(|a| a.height),
        new.kind.as_str(),
        new.target.map(to_i64),
        None::<String>,
    ])?;
    cache.rooms.insert(room, (Some(seq), true));
    // The post is ours: its parts move into the message.
    let message = Message {
        id: new.id,
        room: new.room.clone(),
        seq: seq.max(0) as u64,
        from: new.sender.name,
        text: new.text,
        ts: new.ts,
        attachment: new.attachment,
        kind: new.kind,
        target: new.target,
        edited: None,
        deleted: false,
        event: None,
    };
    Ok(Outcome::Logged(LogEntry {
        pos: *pos,
        room: new.room,
        body: LogBody::Message {
            message,
            sender_id: new.sender.id,
        },
    }))
}

/// The target of an edit or deletion: author id, kind, deleted, the URL of
/// its attachment.
pub(super) type Target = (String, String, bool, Option<String>);

/// Reads the entry at `seq` of `room` that an edit or deletion targets.
pub(super) fn read_target(tx: &Transaction, room: &str, seq: u64) -> StoreResult<Option<Target>> {
    Ok(tx
        .prepare_cached(TARGET_SQL)?
        .query_row(params![room, to_i64(seq)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?)
}

/// Deletes the message at `target` (with `attachment`, its upload's URL):
/// empties it and its edits, and hides its upload when no other message
/// refers to it.
pub(super) fn empty_message(
    tx: &Transaction,
    room: &str,
    target: u64,
    attachment: Option<String>,
    now: i64,
) -> StoreResult<()> {
    for sql in [DELETE_SQL, DELETE_EDITS_SQL] {
        tx.prepare_cached(sql)?
            .execute(params![room, to_i64(target)])?;
    }
    if let Some(url) = attachment {
        let name = url.strip_prefix("/uploads/").unwrap_or(&url);
        tx.prepare_cached(REMOVE_UPLOAD_SQL)?
            .execute(params![now, name, url])?;
    }
    Ok(())
}

/// A row of [`EARLIER_POST_SQL`].
fn message_from_row(row: &Row) -> StoreResult<(i64, Message)> {
    MessageColumns {
        pos: row.get("pos")?,
        id: row.get("id")?,
        room: row.get("room")?,
        seq: row.get("seq")?,
        sender_name: row.get("sender_name")?,
        text: row.get("text")?,
        ts: row.get("ts")?,
        attachment_url: row.get("attachment_url")?,
        attachment_mime: row.get("attachment_mime")?,
        attachment_bytes: row.get("attachment_bytes")?,
        attachment_width: row.get("attachment_width")?,
        attachment_height: row.get("attachment_height")?,
        kind: row.get("kind")?,
        target: row.get("target")?,
        edited_at: row.get("edited_at")?,
        deleted: row.get("deleted")?,
        event: row.get("event")?,
    }
    .into_message()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row as _;

    /// Each lookup of the writer costs a search, not a scan of its table
    /// (which grows with every message): the query plans use the indexes.
    #[tokio::test]
    async fn lookups_search_their_index() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("in-memory database");
        super::super::open::MIGRATOR
            .run(&pool)
            .await
            .expect("migrations");
        let statements = [
            (EARLIER_POST_SQL.as_str(), 3),
            ("SELECT latest_seq FROM rooms WHERE name = ?1", 1),
            (
                "SELECT muted_until FROM memberships WHERE room = ?1 AND user_id = ?2",
                2,
            ),
            ("UPDATE rooms SET latest_seq = ?1 WHERE name = ?2", 2),
            (TARGET_SQL, 2),
            (EDIT_SQL, 4),
            (DELETE_SQL, 2),
            (DELETE_EDITS_SQL, 2),
            (REMOVE_UPLOAD_SQL, 3),
        ];
        for (sql, params) in statements {
            let explain = format!("EXPLAIN QUERY PLAN {sql}");
            let mut query = sqlx::query(&explain);
            for _ in 0..params {
                query = query.bind("x");
            }
            let plan: Vec<String> = query
                .fetch_all(&pool)
                .await
                .expect("plan")
                .iter()
                .map(|row| row.get::<String, _>("detail"))
                .collect();
            for table in ["messages", "memberships", "rooms"] {
                assert!(
                    !plan
                        .iter()
                        .any(|step| step.starts_with(&format!("SCAN {table}"))),
                    "{sql}\nscans {table}: {plan:?}"
                );
            }
        }
    }
}
