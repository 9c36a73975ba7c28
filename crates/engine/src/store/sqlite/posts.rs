//! A post within a batch, on the writer thread's connection: its duplicate
//! check, its room's counter, its sender's membership and its row, each a
//! statement prepared once per connection (or an answer from the batch's
//! [`Cache`]).

use std::collections::HashMap;

use std::sync::LazyLock;

use confab_shared::Message;
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::commit::Cache;
use super::rows::{to_i64, MessageColumns, MESSAGE_COLUMNS};
use crate::store::{LogBody, LogEntry, NewMessage, Outcome, Refusal, StoreResult};

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

const INSERT_SQL: &str = "INSERT INTO messages (pos, id, room, seq, sender_id, sender_name, \
     text, ts, client_id, attachment_url, attachment_mime, attachment_bytes) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

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
    if !cache.is_member(tx, &room, &new.sender.id)? {
        return Ok(Outcome::Refused(Refusal::NotMember));
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
        super::super::MIGRATOR.run(&pool).await.expect("migrations");
        let statements = [
            (EARLIER_POST_SQL.as_str(), 3),
            ("SELECT latest_seq FROM rooms WHERE name = ?1", 1),
            (
                "SELECT 1 FROM memberships WHERE room = ?1 AND user_id = ?2",
                2,
            ),
            ("UPDATE rooms SET latest_seq = ?1 WHERE name = ?2", 2),
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
