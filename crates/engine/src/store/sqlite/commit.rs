//! SQLite's side of [`Store::commit`](crate::store::Store::commit): one
//! `BEGIN IMMEDIATE` transaction per batch, run on the writer thread
//! ([`super::writer`]). SQLite has a single writer, so the transaction
//! itself serializes room counters and the global `pos`. Counters are
//! therefore read once per batch and written back once at its end (the
//! global one, and each room's), and a sender's membership is checked once
//! per room and batch. Posts are in [`super::posts`].

use std::collections::HashMap;

use confab_shared::{RoomId, User};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::posts::{duplicate_of, key_of, store_post, Seen};
use super::rows::now_millis;
use crate::store::{LogBody, LogEntry, Outcome, Refusal, StoreResult, Write};

/// What this batch knows of the database so far.
#[derive(Default)]
pub(super) struct Cache {
    /// Each room's newest seq (`None`: no such room), and whether it moved.
    pub(super) rooms: HashMap<String, (Option<i64>, bool)>,
    /// Whether (room, user id) is a membership (`Some`, with the end of a
    /// mute), by room then user id (so that a lookup borrows its keys).
    pub(super) members: HashMap<String, HashMap<String, Option<Option<i64>>>>,
}

impl Cache {
    pub(super) fn room_seq(&mut self, tx: &Transaction, room: &str) -> StoreResult<Option<i64>> {
        if let Some((seq, _)) = self.rooms.get(room) {
            return Ok(*seq);
        }
        let seq: Option<i64> = tx
            .prepare_cached("SELECT latest_seq FROM rooms WHERE name = ?1")?
            .query_row([room], |row| row.get(0))
            .optional()?;
        self.rooms.insert(room.to_owned(), (seq, false));
        Ok(seq)
    }

    /// The membership of (room, user id): `None` if there is none, else
    /// when a mute of the user ends (ms since the epoch), if one was set.
    pub(super) fn membership(
        &mut self,
        tx: &Transaction,
        room: &str,
        user_id: &str,
    ) -> StoreResult<Option<Option<i64>>> {
        if let Some(member) = self.members.get(room).and_then(|users| users.get(user_id)) {
            return Ok(*member);
        }
        let member: Option<Option<i64>> = tx
            .prepare_cached("SELECT muted_until FROM memberships WHERE room = ?1 AND user_id = ?2")?
            .query_row(params![room, user_id], |row| row.get(0))
            .optional()?;
        self.members
            .entry(room.to_owned())
            .or_default()
            .insert(user_id.to_owned(), member);
        Ok(member)
    }

    /// Writes a room's moved counter back and forgets what a membership
    /// change is about to alter.
    pub(super) fn settle(
        &mut self,
        tx: &Transaction,
        room: &str,
        user_id: &str,
    ) -> StoreResult<()> {
        if let Some((Some(seq), true)) = self.rooms.remove(room) {
            write_seq(tx, room, seq)?;
        }
        if let Some(users) = self.members.get_mut(room) {
            users.remove(user_id);
        }
        Ok(())
    }

    /// Writes every moved counter back.
    fn flush(self, tx: &Transaction) -> StoreResult<()> {
        for (room, (seq, moved)) in self.rooms {
            if let (Some(seq), true) = (seq, moved) {
                write_seq(tx, &room, seq)?;
            }
        }
        Ok(())
    }
}

fn write_seq(tx: &Transaction, room: &str, seq: i64) -> StoreResult<()> {
    tx.prepare_cached("UPDATE rooms SET latest_seq = ?1 WHERE name = ?2")?
        .execute(params![seq, room])?;
    Ok(())
}

/// Commits `batch` in one transaction; one outcome per write. On an error
/// nothing of the batch is stored (the transaction rolls back when dropped).
pub(super) fn commit(conn: &mut Connection, batch: Vec<Write>) -> StoreResult<Vec<Outcome>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let start: i64 = tx
        .prepare_cached("SELECT value FROM counters WHERE name = 'pos'")?
        .query_row([], |row| row.get(0))?;
    let mut pos = start;
    let mut cache = Cache::default();
    let mut seen = Seen::default();
    let mut out = Vec::with_capacity(batch.len());
    for write in batch {
        let outcome = match write {
            Write::Post(new) => {
                let key = key_of(&new);
                let first = key.as_ref().and_then(|k| seen.get(k));
                match first.and_then(|&i| duplicate_of(&out[i])) {
                    Some(duplicate) => duplicate,
                    None => {
                        let outcome = store_post(&tx, &mut cache, new, key.as_ref(), &mut pos)?;
                        if let (Some(key), Outcome::Logged(_)) = (key, &outcome) {
                            seen.insert(key, out.len());
                        }
                        outcome
                    }
                }
            }
            Write::Join {
                room,
                user,
                max_created,
                proven,
                admin,
            } => {
                cache.settle(&tx, &room.to_string(), &user.id)?;
                if !ensure_room(&tx, &room, &user, max_created)? {
                    Outcome::Refused(Refusal::TooManyRooms)
                } else if let Some(refusal) =
                    super::moderate::join_gate(&tx, &room, &user, proven.as_deref(), admin)?
                {
                    Outcome::Refused(refusal)
                } else {
                    membership(&tx, &room, &user, true, &mut pos)?
                }
            }
            Write::Leave { room, user } => {
                cache.settle(&tx, &room.to_string(), &user.id)?;
                membership(&tx, &room, &user, false, &mut pos)?
            }
            Write::Moderate(m) => super::moderate::apply(&tx, &mut cache, *m, &mut pos)?,
        };
        out.push(outcome);
    }
    cache.flush(&tx)?;
    if pos != start {
        tx.prepare_cached("UPDATE counters SET value = ?1 WHERE name = 'pos'")?
            .execute([pos])?;
    }
    tx.commit()?;
    Ok(out)
}

/// Creates `room_id` if it is missing, recorded as `user`'s (a direct
/// conversation as nobody's). False, with nothing created, when that would
/// pass `max_created` rooms of theirs. SQLite has one writer, so the count
/// cannot change before the transaction commits.
fn ensure_room(
    tx: &Transaction,
    room_id: &RoomId,
    user: &User,
    max_created: u32,
) -> StoreResult<bool> {
    let room = room_id.to_string();
    let exists = tx
        .prepare_cached("SELECT 1 FROM rooms WHERE name = ?1")?
        .exists([&room])?;
    if exists {
        return Ok(true);
    }
    let counted = !room_id.is_direct();
    if counted && max_created > 0 {
        let created: i64 = tx
            .prepare_cached("SELECT COUNT(*) FROM rooms WHERE created_by = ?1")?
            .query_row([&user.id], |row| row.get(0))?;
        if created >= i64::from(max_created) {
            return Ok(false);
        }
    }
    tx.prepare_cached(
        "INSERT INTO rooms (name, latest_seq, created_at, created_by) VALUES (?1, 0, ?2, ?3)",
    )?
    .execute(params![
        room,
        now_millis(),
        counted.then_some(user.id.as_str())
    ])?;
    Ok(true)
}

pub(super) fn membership(
    tx: &Transaction,
    room_id: &RoomId,
    user: &User,
    join: bool,
    pos: &mut i64,
) -> StoreResult<Outcome> {
    let room = room_id.to_string();
    let changed = if join {
        // The room exists (`ensure_room`). A new member starts with
        // everything already there marked as read.
        // A mute outlives the membership: it comes back with the join.
        tx.prepare_cached(
            "INSERT INTO memberships (room, user_id, read_seq, joined_at, muted_until) \
             SELECT name, ?1, latest_seq, ?2, \
               (SELECT until_ms FROM room_mutes WHERE room = ?3 AND user_id = ?1) \
             FROM rooms WHERE name = ?3 \
             ON CONFLICT(room, user_id) DO NOTHING",
        )?
        .execute(params![user.id, now_millis(), room])?
    } else {
        tx.prepare_cached("DELETE FROM memberships WHERE room = ?1 AND user_id = ?2")?
            .execute(params![room, user.id])?
    };
    if changed == 0 {
        return Ok(Outcome::Unchanged);
    }
    // The room's count moves with the membership, in the same transaction.
    let members: i64 = tx
        .prepare_cached(
            "UPDATE rooms SET members = members + ?1 WHERE name = ?2 RETURNING members",
        )?
        .query_row(params![if join { 1 } else { -1 }, room], |row| row.get(0))?;
    *pos += 1;
    tx.prepare_cached(
        "INSERT INTO member_events (pos, room, user_id, user_name, user_color, joined, members) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        *pos,
        room,
        user.id,
        user.name.as_str(),
        user.color.as_str(),
        join,
        members
    ])?;
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
