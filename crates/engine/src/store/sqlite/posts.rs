//! A run of posts within a batch, stored with a handful of statements
//! however long it is.
//!
//! Why: every statement through sqlx is a round trip to its SQLite worker
//! thread, and at one or two statements per message those round trips, not
//! SQLite, bounded ingest (the performance issue measured 87–94 % of the
//! writer's time there). So a run of posts looks up its duplicates, its
//! rooms and its senders' memberships with one statement each and inserts
//! its messages many rows to a statement. Statements come in a few fixed
//! sizes ([`PIECES`]) so that sqlx's statement cache keeps them prepared.

use std::collections::HashMap;

use confab_shared::Message;
use sqlx::Row;

use super::commit::{Cache, Tx};
use super::rows::{message_from_row, to_i64, MESSAGE_COLUMNS};
use crate::store::{LogBody, LogEntry, NewMessage, Outcome, Refusal, StoreResult};

/// Rows per statement: a run is cut greedily into pieces of these sizes.
const PIECES: [usize; 4] = [128, 32, 8, 1];

/// The sizes, largest first, that `n` rows are cut into.
fn pieces(mut n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for size in PIECES {
        while n >= size {
            out.push(size);
            n -= size;
        }
    }
    out
}

/// `items` cut into slices of the sizes [`pieces`] gives, in order.
pub(super) fn cut<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    pieces(items.len()).into_iter().map(move |size| {
        let (piece, after) = rest.split_at(size);
        rest = after;
        piece
    })
}

/// `(?, ?), (?, ?)` for `rows` rows of `columns` parameters.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
}

// The lookups join a table of the keys to the indexed table: older SQLite
// (3.40, Debian 12's) scans a whole index for a row-value `IN (VALUES ...)`,
// every version searches it once per key of a join (test
// `lookups_search_their_index`).

/// The stored messages of `size` (room, sender id, client id) keys.
fn earlier_posts_sql(size: usize) -> String {
    format!(
        "WITH k(k_room, k_sender, k_client) AS (VALUES {}) \
         SELECT {MESSAGE_COLUMNS}, sender_id, client_id FROM k JOIN messages \
         ON room = k_room AND sender_id = k_sender AND client_id = k_client",
        placeholders(size, 3)
    )
}

/// The counters of `size` rooms.
fn rooms_sql(size: usize) -> String {
    format!(
        "SELECT name, latest_seq FROM rooms WHERE name IN ({})",
        vec!["?"; size].join(", ")
    )
}

/// Which of `size` (room, user id) pairs are memberships.
fn memberships_sql(size: usize) -> String {
    format!(
        "WITH k(k_room, k_user) AS (VALUES {}) \
         SELECT room, user_id FROM k JOIN memberships ON room = k_room AND user_id = k_user",
        placeholders(size, 2)
    )
}

/// A post's idempotency key: room, sender id, client id.
type Key = (String, String, String);

fn key_of(new: &NewMessage) -> Option<Key> {
    let client_id = new.client_id.as_ref()?;
    Some((
        new.room.to_string(),
        new.sender.id.clone(),
        client_id.as_str().to_owned(),
    ))
}

/// Stores `run` (posts only, in order) and returns one outcome each.
pub(super) async fn store_posts(
    tx: &mut Tx,
    cache: &mut Cache,
    run: &[&NewMessage],
    pos: &mut i64,
) -> StoreResult<Vec<Outcome>> {
    let mut seen = earlier_posts(tx, run).await?;
    preload(tx, cache, run).await?;
    let mut out = Vec::with_capacity(run.len());
    let mut rows: Vec<(&NewMessage, i64, i64)> = Vec::with_capacity(run.len());
    for &new in run {
        let key = key_of(new);
        if let Some((pos, message)) = key.as_ref().and_then(|k| seen.get(k)) {
            out.push(Outcome::Duplicate {
                message: message.clone(),
                pos: *pos,
            });
            continue;
        }
        let room = new.room.to_string();
        // The counter moves only for a member, so a refused post leaves no trace.
        let Some(latest) = cache.room_seq(tx, &room).await? else {
            out.push(Outcome::Refused(Refusal::NoSuchRoom));
            continue;
        };
        if !cache.is_member(tx, &room, &new.sender.id).await? {
            out.push(Outcome::Refused(Refusal::NotMember));
            continue;
        }
        let seq = latest + 1;
        cache.rooms.insert(room, (Some(seq), true));
        *pos += 1;
        let message = Message {
            id: new.id.clone(),
            room: new.room.clone(),
            seq: seq.max(0) as u64,
            from: new.sender.name.clone(),
            text: new.text.clone(),
            ts: new.ts,
            attachment: new.attachment.clone(),
        };
        if let Some(key) = key {
            // A repeat later in this run is a duplicate of this one.
            seen.insert(key, (*pos, message.clone()));
        }
        rows.push((new, *pos, seq));
        out.push(Outcome::Logged(LogEntry {
            pos: *pos,
            room: new.room.clone(),
            body: LogBody::Message {
                message,
                sender_id: new.sender.id.clone(),
            },
        }));
    }
    insert(tx, &rows).await?;
    Ok(out)
}

/// The messages already stored under the run's idempotency keys.
async fn earlier_posts(
    tx: &mut Tx,
    run: &[&NewMessage],
) -> StoreResult<HashMap<Key, (i64, Message)>> {
    let mut keys: Vec<Key> = run.iter().filter_map(|new| key_of(new)).collect();
    keys.sort();
    keys.dedup();
    let mut found = HashMap::new();
    for piece in cut(&keys) {
        let sql = earlier_posts_sql(piece.len());
        let mut query = sqlx::query(&sql);
        for (room, sender, client_id) in piece {
            query = query.bind(room).bind(sender).bind(client_id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let (pos, message) = message_from_row(&row)?;
            let key = (
                message.room.to_string(),
                row.try_get("sender_id")?,
                row.try_get("client_id")?,
            );
            found.insert(key, (pos, message));
        }
    }
    Ok(found)
}

/// Loads into `cache` the counters of the run's rooms and its senders'
/// memberships that it does not know yet.
async fn preload(tx: &mut Tx, cache: &mut Cache, run: &[&NewMessage]) -> StoreResult<()> {
    let mut rooms: Vec<String> = run.iter().map(|new| new.room.to_string()).collect();
    rooms.sort();
    rooms.dedup();
    rooms.retain(|room| !cache.rooms.contains_key(room));
    for piece in cut(&rooms) {
        let sql = rooms_sql(piece.len());
        let mut query = sqlx::query(&sql);
        for room in piece {
            query = query.bind(room);
        }
        let mut known: HashMap<String, i64> = HashMap::new();
        for row in query.fetch_all(&mut **tx).await? {
            known.insert(row.try_get("name")?, row.try_get("latest_seq")?);
        }
        for room in piece {
            cache
                .rooms
                .insert(room.clone(), (known.get(room).copied(), false));
        }
    }

    let mut pairs: Vec<(String, String)> = run
        .iter()
        .map(|new| (new.room.to_string(), new.sender.id.clone()))
        .collect();
    pairs.sort();
    pairs.dedup();
    pairs.retain(|pair| !cache.members.contains_key(pair));
    for piece in cut(&pairs) {
        let sql = memberships_sql(piece.len());
        let mut query = sqlx::query(&sql);
        for (room, user_id) in piece {
            query = query.bind(room).bind(user_id);
        }
        let mut members = std::collections::HashSet::new();
        for row in query.fetch_all(&mut **tx).await? {
            members.insert((
                row.try_get::<String, _>("room")?,
                row.try_get::<String, _>("user_id")?,
            ));
        }
        for pair in piece {
            let member = members.contains(pair);
            cache.members.insert(pair.clone(), member);
        }
    }
    Ok(())
}

/// Inserts the stored posts, many rows to a statement.
async fn insert(tx: &mut Tx, rows: &[(&NewMessage, i64, i64)]) -> StoreResult<()> {
    for piece in cut(rows) {
        let sql = format!(
            "INSERT INTO messages (pos, id, room, seq, sender_id, sender_name, text, ts, \
               client_id, attachment_url, attachment_mime, attachment_bytes) VALUES {}",
            placeholders(piece.len(), 12)
        );
        let mut query = sqlx::query(&sql);
        for (new, pos, seq) in piece {
            let attachment = new.attachment.as_ref();
            query = query
                .bind(*pos)
                .bind(&new.id)
                .bind(new.room.to_string())
                .bind(*seq)
                .bind(&new.sender.id)
                .bind(new.sender.name.as_str())
                .bind(&new.text)
                .bind(new.ts.millis())
                .bind(new.client_id.as_ref().map(|c| c.as_str()))
                .bind(attachment.map(|a| a.url.as_str()))
                .bind(attachment.map(|a| a.mime.as_str()))
                .bind(attachment.map(|a| to_i64(a.bytes)));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_cut_into_the_fixed_sizes_largest_first() {
        assert_eq!(pieces(0), Vec::<usize>::new());
        assert_eq!(pieces(1), vec![1]);
        assert_eq!(pieces(300), vec![128, 128, 32, 8, 1, 1, 1, 1]);
        assert_eq!(pieces(300).iter().sum::<usize>(), 300);
        assert_eq!(placeholders(2, 3), "(?, ?, ?), (?, ?, ?)");
    }

    /// Each lookup costs a search per key, not a scan of its table (which
    /// grows with every message): the query plans use the indexes.
    #[tokio::test]
    async fn lookups_search_their_index() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("in-memory database");
        super::super::MIGRATOR.run(&pool).await.expect("migrations");
        let statements = [
            (earlier_posts_sql(2), 6),
            (rooms_sql(2), 2),
            (memberships_sql(2), 4),
            (super::super::commit::moved_counters_sql(2), 4),
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
