//! PostgreSQL's side of [`Store::commit`](crate::store::Store::commit).
//!
//! One transaction per batch, in a fixed lock order so nodes committing at
//! once never deadlock each other:
//!
//! 1. rooms that a `Join` may create are inserted (sorted, `ON CONFLICT DO
//!    NOTHING`; a row another transaction is inserting makes us wait for it),
//!    after locking the users whose room count is capped (see [`create`](super::create));
//! 2. every room row of the batch is locked, sorted by name
//!    (`SELECT ... ORDER BY name FOR UPDATE`: the locks are taken in the
//!    sorted output order). From here on the batch's rooms cannot change
//!    under us: their counters, member lists and messages are ours;
//! 3. memberships, member counts and earlier posts of the same client ids
//!    are read in bulk, and the writes are applied in order in memory (see
//!    [`Plan`]);
//! 4. only if something is logged, the global `pos` counter row is moved by
//!    the number of log entries. Its lock is held until commit, so
//!    positions are handed out in commit order without gaps;
//! 5. the rows are written with multi-row statements (`UNNEST`).
//!
//! A deadlock or serialization failure (which the order above should rule
//! out; a room committed by another node between steps 1 and 2 is the one
//! way around it) rolls back and retries the whole batch: nothing of it was
//! committed, and nothing was returned yet.

use std::collections::{BTreeSet, HashSet};

use confab_shared::RoomId;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Row, Transaction};

use super::plan::{Plan, State};
use super::{message_from_row, now_millis, to_i64, MESSAGE_COLUMNS};
use crate::store::{Outcome, StoreError, StoreResult, Write};

type Tx = Transaction<'static, Postgres>;

const ATTEMPTS: usize = 5;

pub(super) async fn commit(pool: &PgPool, batch: &[Write]) -> StoreResult<Vec<Outcome>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let moderation = batch.iter().any(|w| matches!(w, Write::Moderate(_)));
    if moderation && batch.len() > 1 {
        return Err(StoreError::Corrupt(
            "a moderation write is committed in a batch of its own".into(),
        ));
    }
    let mut attempt = 1;
    loop {
        let tx = pool.begin().await?;
        let done = match batch {
            [Write::Moderate(m)] => super::moderate::commit_once(tx, m)
                .await
                .map(|outcome| vec![outcome]),
            _ => commit_once(tx, batch).await,
        };
        match done {
            Err(StoreError::Database(e)) if attempt < ATTEMPTS && is_retryable(&e) => {
                tracing::debug!(attempt, error = %e, "commit retried");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// `deadlock_detected` or `serialization_failure`.
fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if matches!(db.code().as_deref(), Some("40P01") | Some("40001")))
}

async fn commit_once(mut tx: Tx, batch: &[Write]) -> StoreResult<Vec<Outcome>> {
    let now = now_millis();
    let mut state = State::default();

    // 1. Rooms a Join may create, within their creators' caps; 2. lock every
    // room of the batch, in name order. Both again if a room a Join needs
    // was removed as unused between them (the remover held the row lock, so
    // the lock finds no row): the join re-creates it.
    let rooms = sorted(batch.iter().map(write_room));
    for _ in 0..ATTEMPTS {
        state.refused = super::create::create_rooms(&mut tx, batch, now).await?;
        lock_rooms(&mut tx, &rooms, &mut state).await?;
        let missing = batch.iter().enumerate().any(|(i, w)| {
            matches!(w, Write::Join { room, .. }
                if !state.refused.contains(&i) && !state.latest_seq.contains_key(&room.to_string()))
        });
        if !missing {
            break;
        }
    }

    // 3. What the writes depend on, read under the room locks.
    super::moderate::read_join_gates(&mut tx, batch, &mut state).await?;
    read_members(&mut tx, batch, &mut state).await?;
    read_duplicates(&mut tx, batch, &mut state).await?;
    super::changes::read_targets(&mut tx, batch, &mut state).await?;
    let plan = Plan::apply(batch, state);

    // 4. Positions, taken last and held until commit.
    let logged = plan.logged();
    let base = if logged > 0 {
        let last: Option<i64> = sqlx::query_scalar(
            "UPDATE counters SET value = value + $1 WHERE name = 'pos' RETURNING value",
        )
        .bind(logged)
        .fetch_optional(&mut *tx)
        .await?;
        last.ok_or_else(|| StoreError::Corrupt("the 'pos' counter is missing".into()))? - logged
    } else {
        0
    };

    // 5. The rows.
    write_rows(&mut tx, &plan, base, now).await?;
    tx.commit().await?;
    Ok(plan.outcomes(base))
}

/// Step 2: locks every room of the batch, in name order, and reads its
/// counter.
async fn lock_rooms(tx: &mut Tx, rooms: &[String], state: &mut State) -> StoreResult<()> {
    let rows = sqlx::query(
        "SELECT name, latest_seq FROM rooms WHERE name = ANY($1::text[]) \
         ORDER BY name FOR UPDATE",
    )
    .bind(rooms)
    .fetch_all(&mut **tx)
    .await?;
    for row in &rows {
        state
            .latest_seq
            .insert(row.try_get("name")?, row.try_get("latest_seq")?);
    }
    Ok(())
}

fn write_room(write: &Write) -> &RoomId {
    write.room()
}

fn sorted<'a>(rooms: impl Iterator<Item = &'a RoomId>) -> Vec<String> {
    let set: BTreeSet<String> = rooms.map(|r| r.to_string()).collect();
    set.into_iter().collect()
}

/// Which of the batch's (room, user) pairs are memberships, and the member
/// counts of the rooms that someone joins or leaves.
async fn read_members(tx: &mut Tx, batch: &[Write], state: &mut State) -> StoreResult<()> {
    let mut pairs: HashSet<(String, &str)> = HashSet::new();
    let mut counted: BTreeSet<String> = BTreeSet::new();
    for write in batch {
        match write {
            Write::Post(new) => {
                pairs.insert((new.room.to_string(), new.sender.id.as_str()));
            }
            Write::Join { room, user, .. } | Write::Leave { room, user } => {
                pairs.insert((room.to_string(), user.id.as_str()));
                counted.insert(room.to_string());
            }
            Write::Moderate(_) => {}
        }
    }
    let (rooms, users): (Vec<String>, Vec<&str>) = pairs.into_iter().unzip();
    let rows = sqlx::query(
        "SELECT m.room, m.user_id, m.muted_until FROM memberships m \
         JOIN UNNEST($1::text[], $2::text[]) AS k(room, user_id) \
           ON m.room = k.room AND m.user_id = k.user_id",
    )
    .bind(&rooms)
    .bind(&users)
    .fetch_all(&mut **tx)
    .await?;
    for row in &rows {
        let key: (String, String) = (row.try_get("room")?, row.try_get("user_id")?);
        if let Some(until) = row.try_get::<Option<i64>, _>("muted_until")? {
            state.muted.insert(key.clone(), until);
        }
        state.members.insert(key);
    }
    // Posters who are not members: banned ones hear why (read only then).
    let (out_rooms, out_users): (Vec<String>, Vec<String>) = batch
        .iter()
        .filter_map(|w| match w {
            Write::Post(new) => Some((new.room.to_string(), new.sender.id.clone())),
            _ => None,
        })
        .filter(|key| !state.members.contains(key))
        .unzip();
    if !out_rooms.is_empty() {
        let rows = sqlx::query(
            "SELECT b.room, b.user_id FROM room_bans b \
             JOIN UNNEST($1::text[], $2::text[]) AS k(room, user_id) \
               ON b.room = k.room AND b.user_id = k.user_id",
        )
        .bind(&out_rooms)
        .bind(&out_users)
        .fetch_all(&mut **tx)
        .await?;
        for row in &rows {
            state
                .banned
                .insert((row.try_get("room")?, row.try_get("user_id")?));
        }
    }
    if !counted.is_empty() {
        let counted: Vec<String> = counted.into_iter().collect();
        let rows = sqlx::query(
            "SELECT room, COUNT(*) AS n FROM memberships WHERE room = ANY($1::text[]) \
             GROUP BY room",
        )
        .bind(&counted)
        .fetch_all(&mut **tx)
        .await?;
        for room in counted {
            state.counts.insert(room, 0);
        }
        for row in &rows {
            state.counts.insert(row.try_get("room")?, row.try_get("n")?);
        }
    }
    Ok(())
}

/// Messages already stored under the client ids the batch posts with.
async fn read_duplicates(tx: &mut Tx, batch: &[Write], state: &mut State) -> StoreResult<()> {
    let mut keys: HashSet<(String, &str, &str)> = HashSet::new();
    for write in batch {
        if let Write::Post(new) = write {
            if let Some(client_id) = &new.client_id {
                keys.insert((new.room.to_string(), &new.sender.id, client_id.as_str()));
            }
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    let mut rooms = Vec::with_capacity(keys.len());
    let mut senders = Vec::with_capacity(keys.len());
    let mut client_ids = Vec::with_capacity(keys.len());
    for (room, sender, client_id) in keys {
        rooms.push(room);
        senders.push(sender);
        client_ids.push(client_id);
    }
    let columns = MESSAGE_COLUMNS
        .split(", ")
        .map(|c| format!("m.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {columns}, m.sender_id, m.client_id FROM messages m \
         JOIN UNNEST($1::text[], $2::text[], $3::text[]) AS k(room, sender_id, client_id) \
           ON m.room = k.room AND m.sender_id = k.sender_id AND m.client_id = k.client_id"
    ))
    .bind(&rooms)
    .bind(&senders)
    .bind(&client_ids)
    .fetch_all(&mut **tx)
    .await?;
    for row in &rows {
        let (pos, message) = message_from_row(row)?;
        let sender: String = row.try_get("sender_id")?;
        let client_id: String = row.try_get("client_id")?;
        state.stored.insert(
            (message.room.to_string(), sender, client_id),
            (message, pos),
        );
    }
    Ok(())
}

async fn write_rows(tx: &mut Tx, plan: &Plan<'_>, base: i64, now: i64) -> StoreResult<()> {
    if !plan.messages.is_empty() {
        let n = plan.messages.len();
        let (mut pos, mut id, mut room, mut seq) = (vec(n), vec(n), vec(n), vec(n));
        let (mut sender_id, mut sender_name, mut text, mut ts) = (vec(n), vec(n), vec(n), vec(n));
        let (mut client_id, mut url, mut mime, mut bytes) = (vec(n), vec(n), vec(n), vec(n));
        let (mut kind, mut target, mut width, mut height) = (vec(n), vec(n), vec(n), vec(n));
        for m in &plan.messages {
            let size = |d: Option<u32>| d.and_then(|d| i32::try_from(d).ok());
            width.push(m.new.attachment.as_ref().and_then(|a| size(a.width)));
            height.push(m.new.attachment.as_ref().and_then(|a| size(a.height)));
            kind.push(m.new.kind.as_str());
            target.push(m.new.target.map(to_i64));
            let a = m.new.attachment.as_ref();
            pos.push(base + m.ord);
            id.push(m.new.id.as_str());
            room.push(m.room.as_str());
            seq.push(m.seq);
            sender_id.push(m.new.sender.id.as_str());
            sender_name.push(m.new.sender.name.as_str());
            text.push(m.new.text.as_str());
            ts.push(m.new.ts.millis());
            client_id.push(m.new.client_id.as_ref().map(|c| c.as_str()));
            url.push(a.map(|a| a.url.as_str()));
            mime.push(a.map(|a| a.mime.as_str()));
            bytes.push(a.map(|a| to_i64(a.bytes)));
        }
        sqlx::query(
            "INSERT INTO messages (pos, id, room, seq, sender_id, sender_name, text, ts, \
               client_id, attachment_url, attachment_mime, attachment_bytes, attachment_width, \
               attachment_height, kind, target) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], \
               $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], \
               $11::text[], $12::bigint[], $13::integer[], $14::integer[], $15::text[], \
               $16::bigint[])",
        )
        .bind(&pos)
        .bind(&id)
        .bind(&room)
        .bind(&seq)
        .bind(&sender_id)
        .bind(&sender_name)
        .bind(&text)
        .bind(&ts)
        .bind(&client_id)
        .bind(&url)
        .bind(&mime)
        .bind(&bytes)
        .bind(&width)
        .bind(&height)
        .bind(&kind)
        .bind(&target)
        .execute(&mut **tx)
        .await?;
        super::changes::apply(tx, plan, now).await?;
    }
    if !plan.events.is_empty() {
        let n = plan.events.len();
        let (mut pos, mut room, mut user_id, mut name) = (vec(n), vec(n), vec(n), vec(n));
        let (mut color, mut joined, mut members) = (vec(n), vec(n), vec(n));
        for e in &plan.events {
            pos.push(base + e.ord);
            room.push(e.room.as_str());
            user_id.push(e.user.id.as_str());
            name.push(e.user.name.as_str());
            color.push(e.user.color.as_str());
            joined.push(e.joined);
            members.push(i32::try_from(e.members).unwrap_or(i32::MAX));
        }
        sqlx::query(
            "INSERT INTO member_events (pos, room, user_id, user_name, user_color, joined, members) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
               $6::boolean[], $7::integer[])",
        )
        .bind(&pos)
        .bind(&room)
        .bind(&user_id)
        .bind(&name)
        .bind(&color)
        .bind(&joined)
        .bind(&members)
        .execute(&mut **tx)
        .await?;
    }
    let (gone_rooms, gone_users): (Vec<&str>, Vec<&str>) = plan.removed().unzip();
    if !gone_rooms.is_empty() {
        sqlx::query(
            "DELETE FROM memberships m USING UNNEST($1::text[], $2::text[]) AS k(room, user_id) \
             WHERE m.room = k.room AND m.user_id = k.user_id",
        )
        .bind(&gone_rooms)
        .bind(&gone_users)
        .execute(&mut **tx)
        .await?;
    }
    let mut new_rooms = Vec::new();
    let mut new_users = Vec::new();
    let mut read_seqs = Vec::new();
    for (room, user, read_seq) in plan.added() {
        new_rooms.push(room);
        new_users.push(user);
        read_seqs.push(read_seq);
    }
    if !new_rooms.is_empty() {
        // A member who left and came back in the same batch keeps one row,
        // with the cursor of the latest join.
        sqlx::query(
            "INSERT INTO memberships (room, user_id, read_seq, joined_at) \
             SELECT room, user_id, read_seq, $4 \
             FROM UNNEST($1::text[], $2::text[], $3::bigint[]) AS k(room, user_id, read_seq) \
             ON CONFLICT (room, user_id) DO UPDATE \
               SET read_seq = EXCLUDED.read_seq, joined_at = EXCLUDED.joined_at",
        )
        .bind(&new_rooms)
        .bind(&new_users)
        .bind(&read_seqs)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        // A mute outlives the membership: it comes back with the join.
        sqlx::query(
            "UPDATE memberships m SET muted_until = t.until_ms FROM room_mutes t, \
               UNNEST($1::text[], $2::text[]) AS k(room, user_id) \
             WHERE m.room = k.room AND m.user_id = k.user_id \
               AND t.room = k.room AND t.user_id = k.user_id",
        )
        .bind(&new_rooms)
        .bind(&new_users)
        .execute(&mut **tx)
        .await?;
    }
    let (seq_rooms, seqs): (Vec<&str>, Vec<i64>) = plan.counters().unzip();
    if !seq_rooms.is_empty() {
        sqlx::query(
            "UPDATE rooms r SET latest_seq = k.seq \
             FROM UNNEST($1::text[], $2::bigint[]) AS k(name, seq) WHERE r.name = k.name",
        )
        .bind(&seq_rooms)
        .bind(&seqs)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn vec<T>(n: usize) -> Vec<T> {
    Vec::with_capacity(n)
}
