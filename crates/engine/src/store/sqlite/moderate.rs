//! Moderation on the SQLite writer thread: a join's gates and a moderation
//! write, each inside the batch's `BEGIN IMMEDIATE` transaction (SQLite's
//! one writer is the room lock). The decisions are the store's shared ones
//! ([`crate::store::moderation`]); this file reads the facts and applies
//! the effects.

use confab_shared::moderation::{ModAction, RoomEvent, RoomRole};
use confab_shared::{EntryKind, Message, RoomId, User};
use rusqlite::{params, OptionalExtension, Transaction};

use super::commit::{membership, Cache};
use super::posts::{empty_message, read_target, INSERT_SQL};
use super::rows::to_i64;
use crate::store::{
    join_refusal, moderation_refusal, refusal_of_change, role_of, JoinFacts, LogBody, LogEntry,
    ModOp, ModWrite, Outcome, Refusal, StoreError, StoreResult,
};

/// The user's role in the room from the stored facts.
fn role(tx: &Transaction, room: &str, user_id: &str, admin: bool) -> StoreResult<RoomRole> {
    if admin {
        return Ok(RoomRole::Admin);
    }
    let owner: Option<String> = tx
        .prepare_cached("SELECT created_by FROM rooms WHERE name = ?1")?
        .query_row([room], |row| row.get(0))
        .optional()?
        .flatten();
    let moderator = tx
        .prepare_cached("SELECT 1 FROM room_moderators WHERE room = ?1 AND user_id = ?2")?
        .exists(params![room, user_id])?;
    Ok(role_of(user_id, false, owner.as_deref(), moderator))
}

fn listed(tx: &Transaction, table: &str, room: &str, user_id: &str) -> StoreResult<bool> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT 1 FROM {table} WHERE room = ?1 AND user_id = ?2"
        ))?
        .exists(params![room, user_id])?)
}

/// Whether `user` may join `room` (which exists): `None` to go ahead. An
/// invitation is used up by the join it lets in.
pub(super) fn join_gate(
    tx: &Transaction,
    room_id: &RoomId,
    user: &User,
    proven: Option<&str>,
    admin: bool,
) -> StoreResult<Option<Refusal>> {
    let room = room_id.to_string();
    if listed(tx, "memberships", &room, &user.id)? {
        return Ok(None);
    }
    let settings = tx
        .prepare_cached(
            "SELECT private, password_hash, max_members, members FROM rooms WHERE name = ?1",
        )?
        .query_row([&room], |row| {
            Ok((
                row.get::<_, bool>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((private, password_hash, max_members, members)) = settings else {
        return Ok(Some(Refusal::NoSuchRoom));
    };
    let facts = JoinFacts {
        role: role(tx, &room, &user.id, admin)?,
        banned: listed(tx, "room_bans", &room, &user.id)?,
        invited: listed(tx, "room_invites", &room, &user.id)?,
        private,
        password_hash,
        max_members,
        members,
    };
    let refusal = join_refusal(&facts, proven);
    if refusal.is_none() && facts.invited {
        tx.prepare_cached("DELETE FROM room_invites WHERE room = ?1 AND user_id = ?2")?
            .execute(params![room, user.id])?;
    }
    Ok(refusal)
}

/// Commits one moderation write: checks the actor's role (and the
/// target's) under the transaction, applies the action and logs it.
pub(super) fn apply(
    tx: &Transaction,
    cache: &mut Cache,
    m: ModWrite,
    pos: &mut i64,
) -> StoreResult<Outcome> {
    let room = m.room.to_string();
    let Some(latest) = cache.room_seq(tx, &room)? else {
        return Ok(Outcome::Refused(Refusal::NoSuchRoom));
    };
    let actor = role(tx, &room, &m.actor.id, m.actor_admin)?;
    if let Some((target, _)) = &m.target {
        // What this write changes of the target must be read again by the
        // rest of the batch.
        cache.settle(tx, &room, &target.id)?;
    }
    let target_role = match &m.target {
        Some((target, admin)) => Some(role(tx, &room, &target.id, *admin)?),
        None => None,
    };
    let ts = m.ts.millis();
    let (kind, event, target_seq) = match &m.op {
        ModOp::Delete { seq } => {
            let Some((author, kind, deleted, attachment)) = read_target(tx, &room, *seq)? else {
                return Ok(Outcome::Refused(Refusal::NoSuchMessage));
            };
            let kind = EntryKind::parse(&kind).unwrap_or(EntryKind::Moderation);
            // One's own message as any member; another's as a moderator.
            let refusal = match refusal_of_change(&m.actor.id, Some((&author, kind, deleted))) {
                Some(Refusal::NotAuthor) => moderation_refusal(actor, &m.op, None),
                other => other,
            };
            if let Some(refusal) = refusal {
                return Ok(Outcome::Refused(refusal));
            }
            empty_message(tx, &room, *seq, attachment, ts)?;
            (EntryKind::Delete, None, Some(*seq))
        }
        ModOp::Action(action) => {
            if let Some(refusal) = moderation_refusal(actor, &m.op, target_role) {
                return Ok(Outcome::Refused(refusal));
            }
            if let Some(refusal) = act(tx, &room, &m, action, ts)? {
                return Ok(Outcome::Refused(refusal));
            }
            let mut event = action.event();
            if let RoomEvent::Settings { password, .. } = &mut event {
                // The room's password as it is now (a kept one too).
                *password = tx
                    .prepare_cached(
                        "SELECT 1 FROM rooms WHERE name = ?1 AND password_hash IS NOT NULL",
                    )?
                    .exists([&room])?;
            }
            (EntryKind::Moderation, Some(event), None)
        }
    };
    let seq = latest + 1;
    *pos += 1;
    let event_json = event
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.prepare_cached(INSERT_SQL)?.execute(params![
        *pos,
        m.id,
        room,
        seq,
        m.actor.id,
        m.actor.name.as_str(),
        "",
        ts,
        None::<String>,
        None::<String>,
        None::<String>,
        None::<i64>,
        None::<i64>,
        None::<i64>,
        kind.as_str(),
        target_seq.map(to_i64),
        event_json,
    ])?;
    cache.rooms.insert(room.clone(), (Some(seq), true));
    let removes = event.as_ref().is_some_and(|e| e.removes_member());
    let entry = LogEntry {
        pos: *pos,
        room: m.room.clone(),
        body: LogBody::Message {
            message: Message {
                id: m.id,
                room: m.room.clone(),
                seq: seq.max(0) as u64,
                from: m.actor.name.clone(),
                text: String::new(),
                ts: m.ts,
                attachment: None,
                kind,
                target: target_seq,
                edited: None,
                deleted: false,
                event,
            },
            sender_id: m.actor.id.clone(),
        },
    };
    // The membership ends after the entry that says why, so the removed
    // user's connections get the entry first.
    let left = match (&m.target, removes) {
        (Some((target, _)), true) => {
            // The counter moved: written back before the membership change.
            cache.settle(tx, &room, &target.id)?;
            match membership(tx, &m.room, target, false, pos)? {
                Outcome::Logged(entry) => Some(entry),
                _ => None,
            }
        }
        _ => None,
    };
    Ok(Outcome::Moderated {
        entry: Box::new(entry),
        left: left.map(Box::new),
    })
}

/// The action's effect on the room's tables; a refusal when there is
/// nothing to act on.
fn act(
    tx: &Transaction,
    room: &str,
    m: &ModWrite,
    action: &ModAction,
    now: i64,
) -> StoreResult<Option<Refusal>> {
    let target_id = m.target.as_ref().map(|(u, _)| u.id.as_str()).unwrap_or("");
    let member = listed(tx, "memberships", room, target_id)?;
    match action {
        ModAction::Kick { .. } if !member => return Ok(Some(Refusal::TargetNotMember)),
        ModAction::Kick { .. } => {}
        ModAction::Ban { .. } => {
            tx.prepare_cached(
                "INSERT INTO room_bans (room, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![room, target_id])?;
            tx.prepare_cached("DELETE FROM room_invites WHERE room = ?1 AND user_id = ?2")?
                .execute(params![room, target_id])?;
        }
        ModAction::Unban { .. } => {
            let gone = tx
                .prepare_cached("DELETE FROM room_bans WHERE room = ?1 AND user_id = ?2")?
                .execute(params![room, target_id])?;
            if gone == 0 {
                return Ok(Some(Refusal::NotBanned));
            }
        }
        ModAction::Mute { seconds, .. } => {
            let until = (*seconds > 0).then(|| now + i64::from(*seconds) * 1000);
            match until {
                Some(until) => tx
                    .prepare_cached(
                        "INSERT INTO room_mutes (room, user_id, until_ms) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (room, user_id) DO UPDATE SET until_ms = excluded.until_ms",
                    )?
                    .execute(params![room, target_id, until])?,
                None => tx
                    .prepare_cached("DELETE FROM room_mutes WHERE room = ?1 AND user_id = ?2")?
                    .execute(params![room, target_id])?,
            };
            tx.prepare_cached(
                "UPDATE memberships SET muted_until = ?3 WHERE room = ?1 AND user_id = ?2",
            )?
            .execute(params![room, target_id, until])?;
        }
        ModAction::Topic { topic } => {
            tx.prepare_cached("UPDATE rooms SET topic = ?2 WHERE name = ?1")?
                .execute(params![room, topic.as_str()])?;
        }
        ModAction::Moderator { appoint: true, .. } => {
            tx.prepare_cached(
                "INSERT INTO room_moderators (room, user_id) VALUES (?1, ?2) \
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![room, target_id])?;
        }
        ModAction::Moderator { appoint: false, .. } => {
            tx.prepare_cached("DELETE FROM room_moderators WHERE room = ?1 AND user_id = ?2")?
                .execute(params![room, target_id])?;
        }
        ModAction::Settings(settings) => {
            tx.prepare_cached("UPDATE rooms SET private = ?2, max_members = ?3 WHERE name = ?1")?
                .execute(params![room, settings.private, settings.max_members])?;
            if settings.password.is_some() {
                tx.prepare_cached("UPDATE rooms SET password_hash = ?2 WHERE name = ?1")?
                    .execute(params![room, m.password_hash])?;
            }
        }
        ModAction::Invite { .. } => {
            tx.prepare_cached(
                "INSERT INTO room_invites (room, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![room, target_id])?;
        }
    }
    Ok(None)
}
