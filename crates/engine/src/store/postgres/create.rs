//! Step 1 of PostgreSQL's commit: creating the rooms that joins need, each
//! recorded as its first joiner's, within `--max-rooms-per-user`.
//!
//! The cap must hold with joins committing on several nodes at once, so the
//! count of a user's rooms is read after locking that user's row (`FOR NO
//! KEY UPDATE`: it does not block the `KEY SHARE` locks that foreign keys
//! to `users` take). Users are locked in id order, before any room row, in
//! every commit, so two commits never wait on each other in a cycle. A
//! commit that creates rooms for the same user waits for the other to end
//! and then counts what it committed (READ COMMITTED reads a fresh snapshot
//! per statement).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use confab_shared::{RoomId, User};
use sqlx::{Postgres, Row, Transaction};

use crate::store::{StoreResult, Write};

type Tx = Transaction<'static, Postgres>;

/// Creates the missing rooms of the batch's joins and returns the indices
/// (in `batch`) of the joins refused because their user already created
/// as many rooms as they may. A refused join creates nothing.
pub(super) async fn create_rooms(
    tx: &mut Tx,
    batch: &[Write],
    now: i64,
) -> StoreResult<HashSet<usize>> {
    let joins: Vec<(usize, &RoomId, &User, u32)> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, w)| match w {
            Write::Join {
                room,
                user,
                max_created,
                ..
            } => Some((i, room, user, *max_created)),
            _ => None,
        })
        .collect();
    let mut refused = HashSet::new();
    if joins.is_empty() {
        return Ok(refused);
    }
    let names: Vec<String> = joins
        .iter()
        .map(|(_, room, ..)| room.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // A room removed as unused after this read is missing when the commit
    // locks it; the commit then runs this step again (see `commit_once`).
    let existing: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT name FROM rooms WHERE name = ANY($1::text[])")
            .bind(&names)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
    let capped: Vec<&str> = joins
        .iter()
        .filter(|(_, room, _, cap)| {
            *cap > 0 && !room.is_direct() && !existing.contains(&room.to_string())
        })
        .map(|(_, _, user, _)| user.id.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut created = count_created(tx, &capped).await?;
    // Room name -> its creator (`None` for a direct conversation).
    let mut new_rooms: BTreeMap<String, Option<&str>> = BTreeMap::new();
    for (i, room, user, cap) in joins {
        let name = room.to_string();
        if existing.contains(&name) || new_rooms.contains_key(&name) {
            continue;
        }
        if room.is_direct() {
            new_rooms.insert(name, None);
            continue;
        }
        if cap > 0 {
            let n = created.entry(user.id.clone()).or_insert(0);
            if *n >= i64::from(cap) {
                refused.insert(i);
                continue;
            }
            *n += 1;
        }
        new_rooms.insert(name, Some(user.id.as_str()));
    }
    if !new_rooms.is_empty() {
        let (names, creators): (Vec<String>, Vec<Option<&str>>) = new_rooms.into_iter().unzip();
        // Sorted, and `ON CONFLICT DO NOTHING`: a room another transaction
        // is inserting makes us wait for it, then it is simply there.
        sqlx::query(
            "INSERT INTO rooms (name, latest_seq, created_at, created_by) \
             SELECT n, 0, $3, c FROM UNNEST($1::text[], $2::text[]) AS t(n, c) ORDER BY n \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&names)
        .bind(&creators)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(refused)
}

/// Locks the users (id order) and counts the rooms each created.
async fn count_created(tx: &mut Tx, users: &[&str]) -> StoreResult<HashMap<String, i64>> {
    let mut counts = HashMap::new();
    if users.is_empty() {
        return Ok(counts);
    }
    sqlx::query("SELECT id FROM users WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE")
        .bind(users)
        .fetch_all(&mut **tx)
        .await?;
    let rows = sqlx::query(
        "SELECT created_by, COUNT(*) AS n FROM rooms \
         WHERE created_by = ANY($1::text[]) GROUP BY created_by",
    )
    .bind(users)
    .fetch_all(&mut **tx)
    .await?;
    for row in &rows {
        counts.insert(row.try_get("created_by")?, row.try_get("n")?);
    }
    Ok(counts)
}
