//! SQLite's side of [`Store::commit`](crate::store::Store::commit): one
//! `BEGIN IMMEDIATE` transaction per batch. SQLite has a single writer, so
//! the transaction itself serializes room counters and the global `pos`.
//! Counters are therefore read once per batch and written back once at its
//! end (the global one, and each room's), and a sender's membership is
//! checked once per room and batch. Runs of posts are stored a few
//! statements at a time (`posts`).

use std::collections::HashMap;

use confab_shared::{RoomId, User};
use sqlx::{Sqlite, Transaction};

use super::posts::{cut, placeholders, store_posts};
use super::rows::now_millis;
use crate::store::{LogBody, LogEntry, NewMessage, Outcome, Refusal, StoreResult, Write};

pub(super) type Tx = Transaction<'static, Sqlite>;

/// What this batch knows of the database so far.
#[derive(Default)]
pub(super) struct Cache {
    /// Each room's newest seq (`None`: no such room), and whether it moved.
    pub(super) rooms: HashMap<String, (Option<i64>, bool)>,
    /// Whether (room, user id) is a membership.
    pub(super) members: HashMap<(String, String), bool>,
}

impl Cache {
    pub(super) async fn room_seq(&mut self, tx: &mut Tx, room: &str) -> StoreResult<Option<i64>> {
        if let Some((seq, _)) = self.rooms.get(room) {
            return Ok(*seq);
        }
        let seq: Option<i64> = sqlx::query_scalar("SELECT latest_seq FROM rooms WHERE name = ?")
            .bind(room)
            .fetch_optional(&mut **tx)
            .await?;
        self.rooms.insert(room.to_owned(), (seq, false));
        Ok(seq)
    }

    pub(super) async fn is_member(
        &mut self,
        tx: &mut Tx,
        room: &str,
        user_id: &str,
    ) -> StoreResult<bool> {
        let key = (room.to_owned(), user_id.to_owned());
        if let Some(member) = self.members.get(&key) {
            return Ok(*member);
        }
        let member = sqlx::query("SELECT 1 FROM memberships WHERE room = ? AND user_id = ?")
            .bind(room)
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?
            .is_some();
        self.members.insert(key, member);
        Ok(member)
    }

    /// Writes a room's moved counter back and forgets what a membership
    /// change is about to alter.
    async fn settle(&mut self, tx: &mut Tx, room: &str, user_id: &str) -> StoreResult<()> {
        if let Some((Some(seq), true)) = self.rooms.remove(room) {
            write_seq(tx, room, seq).await?;
        }
        self.members.remove(&(room.to_owned(), user_id.to_owned()));
        Ok(())
    }

    /// Writes every moved counter back, many rooms to a statement.
    async fn flush(self, tx: &mut Tx) -> StoreResult<()> {
        let moved: Vec<(String, i64)> = self
            .rooms
            .into_iter()
            .filter_map(|(room, (seq, moved))| Some((room, seq.filter(|_| moved)?)))
            .collect();
        for piece in cut(&moved) {
            let sql = moved_counters_sql(piece.len());
            let mut query = sqlx::query(&sql);
            for (room, seq) in piece {
                query = query.bind(room).bind(*seq);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// Sets the counters of `size` (room, seq) pairs.
pub(super) fn moved_counters_sql(size: usize) -> String {
    format!(
        "WITH moved(name, seq) AS (VALUES {}) \
         UPDATE rooms SET latest_seq = (SELECT seq FROM moved WHERE moved.name = rooms.name) \
         WHERE name IN (SELECT name FROM moved)",
        placeholders(size, 2)
    )
}

async fn write_seq(tx: &mut Tx, room: &str, seq: i64) -> StoreResult<()> {
    sqlx::query("UPDATE rooms SET latest_seq = ? WHERE name = ?")
        .bind(seq)
        .bind(room)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn commit(mut tx: Tx, batch: &[Write]) -> StoreResult<Vec<Outcome>> {
    let start: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'pos'")
        .fetch_one(&mut *tx)
        .await?;
    let mut pos = start;
    let mut cache = Cache::default();
    let mut out = Vec::with_capacity(batch.len());
    let mut posts: Vec<&NewMessage> = Vec::new();
    for (i, write) in batch.iter().enumerate() {
        let outcome = match write {
            // Consecutive posts are stored together (see `posts`).
            Write::Post(new) => {
                posts.push(new);
                if !matches!(batch.get(i + 1), Some(Write::Post(_))) {
                    let run = std::mem::take(&mut posts);
                    out.extend(store_posts(&mut tx, &mut cache, &run, &mut pos).await?);
                }
                continue;
            }
            Write::Join {
                room,
                user,
                max_created,
            } => {
                cache.settle(&mut tx, &room.to_string(), &user.id).await?;
                if ensure_room(&mut tx, room, user, *max_created).await? {
                    membership(&mut tx, room, user, true, &mut pos).await?
                } else {
                    Outcome::Refused(Refusal::TooManyRooms)
                }
            }
            Write::Leave { room, user } => {
                cache.settle(&mut tx, &room.to_string(), &user.id).await?;
                membership(&mut tx, room, user, false, &mut pos).await?
            }
        };
        out.push(outcome);
    }
    cache.flush(&mut tx).await?;
    if pos != start {
        sqlx::query("UPDATE counters SET value = ? WHERE name = 'pos'")
            .bind(pos)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Creates `room_id` if it is missing, recorded as `user`'s (a direct
/// conversation as nobody's). False, with nothing created, when that would
/// pass `max_created` rooms of theirs. SQLite has one writer, so the count
/// cannot change before the transaction commits.
async fn ensure_room(
    tx: &mut Tx,
    room_id: &RoomId,
    user: &User,
    max_created: u32,
) -> StoreResult<bool> {
    let room = room_id.to_string();
    let exists = sqlx::query("SELECT 1 FROM rooms WHERE name = ?")
        .bind(&room)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if exists {
        return Ok(true);
    }
    let counted = !room_id.is_direct();
    if counted && max_created > 0 {
        let created: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rooms WHERE created_by = ?")
            .bind(&user.id)
            .fetch_one(&mut **tx)
            .await?;
        if created >= i64::from(max_created) {
            return Ok(false);
        }
    }
    sqlx::query("INSERT INTO rooms (name, latest_seq, created_at, created_by) VALUES (?, 0, ?, ?)")
        .bind(&room)
        .bind(now_millis())
        .bind(counted.then_some(user.id.as_str()))
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

async fn membership(
    tx: &mut Tx,
    room_id: &RoomId,
    user: &User,
    join: bool,
    pos: &mut i64,
) -> StoreResult<Outcome> {
    let room = room_id.to_string();
    let now = now_millis();
    let changed = if join {
        // The room exists (`ensure_room`). A new member starts with
        // everything already there marked as read.
        sqlx::query(
            "INSERT INTO memberships (room, user_id, read_seq, joined_at) \
             SELECT name, ?, latest_seq, ? FROM rooms WHERE name = ? \
             ON CONFLICT(room, user_id) DO NOTHING",
        )
        .bind(&user.id)
        .bind(now)
        .bind(&room)
        .execute(&mut **tx)
        .await?
        .rows_affected()
    } else {
        sqlx::query("DELETE FROM memberships WHERE room = ? AND user_id = ?")
            .bind(&room)
            .bind(&user.id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
    };
    if changed == 0 {
        return Ok(Outcome::Unchanged);
    }
    // The room's count moves with the membership, in the same transaction.
    let members: i64 = sqlx::query_scalar(
        "UPDATE rooms SET members = members + ? WHERE name = ? RETURNING members",
    )
    .bind(if join { 1 } else { -1 })
    .bind(&room)
    .fetch_one(&mut **tx)
    .await?;
    *pos += 1;
    sqlx::query(
        "INSERT INTO member_events (pos, room, user_id, user_name, user_color, joined, members) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(*pos)
    .bind(&room)
    .bind(&user.id)
    .bind(user.name.as_str())
    .bind(user.color.as_str())
    .bind(join)
    .bind(members)
    .execute(&mut **tx)
    .await?;
    Ok(Outcome::Logged(LogEntry {
        pos: *pos,
        room: room_id.clone(),
        body: LogBody::Member {
            user: user.clone(),
            joined: join,
            members: u32::try_from(members).unwrap_or(u32::MAX),
        },
    }))
}
