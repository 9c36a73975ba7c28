//! Edits and deletions in a PostgreSQL batch: the targets they check,
//! read in bulk under the room locks, and what committing them does to
//! the target rows.

use std::collections::HashSet;

use confab_shared::EntryKind;
use sqlx::{Postgres, Row, Transaction};

use super::plan::{Plan, State};
use crate::store::{StoreResult, Write};

type Tx = Transaction<'static, Postgres>;

/// Reads the messages the batch's edits and deletions target. The room
/// rows are locked, so they cannot change before the commit.
pub(super) async fn read_targets(
    tx: &mut Tx,
    batch: &[Write],
    state: &mut State,
) -> StoreResult<()> {
    let mut keys: HashSet<(String, i64)> = HashSet::new();
    for write in batch {
        if let Write::Post(new) = write {
            if let Some(target) = new.target {
                keys.insert((
                    new.room.to_string(),
                    i64::try_from(target).unwrap_or(i64::MAX),
                ));
            }
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    let (rooms, seqs): (Vec<String>, Vec<i64>) = keys.into_iter().unzip();
    let rows = sqlx::query(
        "SELECT m.room, m.seq, m.sender_id, m.kind, m.deleted FROM messages m \
         JOIN UNNEST($1::text[], $2::bigint[]) AS k(room, seq) \
           ON m.room = k.room AND m.seq = k.seq",
    )
    .bind(&rooms)
    .bind(&seqs)
    .fetch_all(&mut **tx)
    .await?;
    for row in &rows {
        let kind: String = row.try_get("kind")?;
        // A kind this build does not know is no message it may change.
        let Some(kind) = EntryKind::parse(&kind) else {
            continue;
        };
        state.targets.insert(
            (row.try_get("room")?, row.try_get("seq")?),
            (row.try_get("sender_id")?, kind, row.try_get("deleted")?),
        );
    }
    Ok(())
}

/// Brings the targets of the batch's edits and deletions up to date, after
/// the batch's rows are inserted: an edited message gets its latest text
/// and time; a deleted one loses its text and attachment, and so do the
/// edit entries of it (no old text survives a deletion).
pub(super) async fn apply(tx: &mut Tx, plan: &Plan<'_>, now: i64) -> StoreResult<()> {
    let changed = plan.changed_targets();
    if changed.is_empty() {
        return Ok(());
    }
    let (mut edit_rooms, mut edit_seqs, mut texts, mut times) = (vec![], vec![], vec![], vec![]);
    let (mut gone_rooms, mut gone_seqs) = (vec![], vec![]);
    for (room, seq, change) in changed {
        match change {
            Some((text, at)) => {
                edit_rooms.push(room);
                edit_seqs.push(seq);
                texts.push(text);
                times.push(at);
            }
            None => {
                gone_rooms.push(room);
                gone_seqs.push(seq);
            }
        }
    }
    if !edit_rooms.is_empty() {
        sqlx::query(
            "UPDATE messages m SET text = k.text, edited_at = k.at \
             FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[]) \
               AS k(room, seq, text, at) \
             WHERE m.room = k.room AND m.seq = k.seq",
        )
        .bind(&edit_rooms)
        .bind(&edit_seqs)
        .bind(&texts)
        .bind(&times)
        .execute(&mut **tx)
        .await?;
    }
    if !gone_rooms.is_empty() {
        delete_all(tx, &gone_rooms, &gone_seqs, now).await?;
    }
    Ok(())
}

/// Deletes one message (a moderator's deletion, committed on its own).
pub(super) async fn delete(tx: &mut Tx, room: &str, seq: i64, now: i64) -> StoreResult<()> {
    delete_all(tx, &[room], &[seq], now).await
}

/// Empties the messages at (room, seq) and their edits, and hides their
/// uploads when no other message refers to them.
async fn delete_all(
    tx: &mut Tx,
    gone_rooms: &[&str],
    gone_seqs: &[i64],
    now: i64,
) -> StoreResult<()> {
    // Their uploads, read before the rows lose them.
    let urls: Vec<String> = sqlx::query_scalar(
        "SELECT m.attachment_url FROM messages m \
         JOIN UNNEST($1::text[], $2::bigint[]) AS k(room, seq) \
           ON m.room = k.room AND m.seq = k.seq \
         WHERE m.attachment_url IS NOT NULL",
    )
    .bind(gone_rooms)
    .bind(gone_seqs)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE messages m SET text = '', attachment_url = NULL, attachment_mime = NULL, \
           attachment_bytes = NULL, attachment_width = NULL, attachment_height = NULL, \
           edited_at = NULL, deleted = TRUE \
         FROM UNNEST($1::text[], $2::bigint[]) AS k(room, seq) \
         WHERE m.room = k.room \
           AND (m.seq = k.seq OR (m.target = k.seq AND m.kind = 'edit'))",
    )
    .bind(gone_rooms)
    .bind(gone_seqs)
    .execute(&mut **tx)
    .await?;
    if !urls.is_empty() {
        // An upload no message refers to any more is hidden at once
        // (and swept soon, see migration 0007).
        let names: Vec<&str> = urls
            .iter()
            .map(|u| u.strip_prefix("/uploads/").unwrap_or(u))
            .collect();
        sqlx::query(
            "UPDATE uploads u SET removed_at = $2 WHERE u.name = ANY($1::text[]) \
             AND NOT EXISTS \
               (SELECT 1 FROM messages m WHERE m.attachment_url = '/uploads/' || u.name)",
        )
        .bind(&names)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
