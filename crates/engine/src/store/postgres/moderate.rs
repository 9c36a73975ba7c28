//! Moderation on PostgreSQL: a join's gates, read in the batch's
//! transaction under the room locks, and a moderation write, committed in
//! a transaction of its own that takes the same locks in the same order
//! (the room row, then the global position counter). The decisions are
//! the store's shared ones ([`crate::store::moderation`]).

use std::collections::HashMap;

use confab_shared::moderation::{ModAction, RoomEvent};
use confab_shared::{EntryKind, Message};
use sqlx::{Postgres, Row, Transaction};

use super::plan::State;
use super::{now_millis, to_i64};
use crate::store::{
    join_refusal, moderation_refusal, refusal_of_change, role_of, JoinFacts, LogBody, LogEntry,
    ModOp, ModWrite, Outcome, Refusal, StoreError, StoreResult, Write,
};

type Tx = Transaction<'static, Postgres>;

/// One query: the room's owner and settings, and the user's standing (the
/// room's members are counted only when it has a cap: a join into a big
/// open room does not count them).
const FACTS_SQL: &str = "SELECT r.created_by, r.private, r.password_hash, r.max_members, \
       EXISTS (SELECT 1 FROM memberships x WHERE x.room = r.name AND x.user_id = $2) AS member, \
       EXISTS (SELECT 1 FROM room_moderators x WHERE x.room = r.name AND x.user_id = $2) AS moderator, \
       EXISTS (SELECT 1 FROM room_bans x WHERE x.room = r.name AND x.user_id = $2) AS banned, \
       EXISTS (SELECT 1 FROM room_invites x WHERE x.room = r.name AND x.user_id = $2) AS invited, \
       CASE WHEN r.max_members IS NULL THEN 0 \
         ELSE (SELECT COUNT(*) FROM memberships x WHERE x.room = r.name) END AS members \
     FROM rooms r WHERE r.name = $1";

struct Facts {
    join: JoinFacts,
    member: bool,
}

async fn facts(tx: &mut Tx, room: &str, user_id: &str, admin: bool) -> StoreResult<Option<Facts>> {
    let Some(row) = sqlx::query(FACTS_SQL)
        .bind(room)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let owner: Option<String> = row.try_get("created_by")?;
    Ok(Some(Facts {
        join: JoinFacts {
            role: role_of(user_id, admin, owner.as_deref(), row.try_get("moderator")?),
            banned: row.try_get("banned")?,
            invited: row.try_get("invited")?,
            private: row.try_get("private")?,
            password_hash: row.try_get("password_hash")?,
            max_members: row.try_get::<Option<i32>, _>("max_members")?.map(i64::from),
            members: row.try_get("members")?,
        },
        member: row.try_get("member")?,
    }))
}

/// Step 3 of a batch: which joins the rooms' gates refuse (see
/// [`join_refusal`]). Joins are few beside posts, so one query each. An
/// invitation is used up by the join it lets in.
pub(super) async fn read_join_gates(
    tx: &mut Tx,
    batch: &[Write],
    state: &mut State,
) -> StoreResult<()> {
    // Joins this batch already let into each room, for the cap.
    let mut admitted: HashMap<String, i64> = HashMap::new();
    for (index, write) in batch.iter().enumerate() {
        let Write::Join {
            room,
            user,
            proven,
            admin,
            ..
        } = write
        else {
            continue;
        };
        if state.refused.contains(&index) {
            continue;
        }
        let name = room.to_string();
        let Some(Facts { mut join, member }) = facts(tx, &name, &user.id, *admin).await? else {
            continue;
        };
        if member {
            continue;
        }
        join.members += admitted.get(&name).copied().unwrap_or(0);
        match join_refusal(&join, proven.as_deref()) {
            Some(refusal) => {
                state.gated.insert(index, refusal);
            }
            None => {
                *admitted.entry(name.clone()).or_insert(0) += 1;
                if join.invited {
                    sqlx::query("DELETE FROM room_invites WHERE room = $1 AND user_id = $2")
                        .bind(&name)
                        .bind(&user.id)
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }
    }
    Ok(())
}

/// Commits one moderation write in `tx`.
pub(super) async fn commit_once(mut tx: Tx, m: &ModWrite) -> StoreResult<Outcome> {
    let room = m.room.to_string();
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT latest_seq FROM rooms WHERE name = $1 FOR UPDATE")
            .bind(&room)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(latest) = latest else {
        return Ok(Outcome::Refused(Refusal::NoSuchRoom));
    };
    let Some(actor) = facts(&mut tx, &room, &m.actor.id, m.actor_admin).await? else {
        return Ok(Outcome::Refused(Refusal::NoSuchRoom));
    };
    let target = match &m.target {
        Some((user, admin)) => facts(&mut tx, &room, &user.id, *admin).await?,
        None => None,
    };
    let now = m.ts.millis();
    let (kind, event, target_seq) = match &m.op {
        ModOp::Delete { seq } => {
            let row = sqlx::query(
                "SELECT sender_id, kind, deleted FROM messages WHERE room = $1 AND seq = $2",
            )
            .bind(&room)
            .bind(to_i64(*seq))
            .fetch_optional(&mut *tx)
            .await?;
            let found = match &row {
                Some(row) => {
                    let kind: String = row.try_get("kind")?;
                    Some((
                        row.try_get::<String, _>("sender_id")?,
                        EntryKind::parse(&kind).unwrap_or(EntryKind::Moderation),
                        row.try_get::<bool, _>("deleted")?,
                    ))
                }
                None => None,
            };
            let found = found.as_ref().map(|(a, k, d)| (a.as_str(), *k, *d));
            let refusal = match refusal_of_change(&m.actor.id, found) {
                Some(Refusal::NotAuthor) => moderation_refusal(actor.join.role, &m.op, None),
                other => other,
            };
            if let Some(refusal) = refusal {
                return Ok(Outcome::Refused(refusal));
            }
            super::changes::delete(&mut tx, &room, to_i64(*seq), now_millis()).await?;
            (EntryKind::Delete, None, Some(*seq))
        }
        ModOp::Action(action) => {
            let target_role = target.as_ref().map(|t| t.join.role);
            if let Some(refusal) = moderation_refusal(actor.join.role, &m.op, target_role) {
                return Ok(Outcome::Refused(refusal));
            }
            let target_member = target.as_ref().is_some_and(|t| t.member);
            if let Some(refusal) = act(&mut tx, &room, m, action, target_member).await? {
                return Ok(Outcome::Refused(refusal));
            }
            let mut event = action.event();
            if let RoomEvent::Settings { password, .. } = &mut event {
                // The room's password as it is now (a kept one too).
                *password = sqlx::query_scalar(
                    "SELECT password_hash IS NOT NULL FROM rooms WHERE name = $1",
                )
                .bind(&room)
                .fetch_one(&mut *tx)
                .await?;
            }
            (EntryKind::Moderation, Some(event), None)
        }
    };
    let removes = event.as_ref().is_some_and(|e| e.removes_member());
    let left_user = m.target.as_ref().filter(|_| removes).map(|(u, _)| u);
    let logged = if left_user.is_some() { 2 } else { 1 };
    let last: Option<i64> = sqlx::query_scalar(
        "UPDATE counters SET value = value + $1 WHERE name = 'pos' RETURNING value",
    )
    .bind(logged)
    .fetch_optional(&mut *tx)
    .await?;
    let pos = last.ok_or_else(|| StoreError::Corrupt("the 'pos' counter is missing".into()))?
        - logged
        + 1;
    let seq = latest + 1;
    let event_json = event
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO messages (pos, id, room, seq, sender_id, sender_name, text, ts, kind, \
           target, event) VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $9, $10)",
    )
    .bind(pos)
    .bind(&m.id)
    .bind(&room)
    .bind(seq)
    .bind(&m.actor.id)
    .bind(m.actor.name.as_str())
    .bind(now)
    .bind(kind.as_str())
    .bind(target_seq.map(to_i64))
    .bind(event_json)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE rooms SET latest_seq = $2 WHERE name = $1")
        .bind(&room)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
    // The membership ends after the entry that says why.
    let mut left = None;
    if let Some(user) = left_user {
        let members: i64 = sqlx::query_scalar(
            "WITH gone AS (DELETE FROM memberships WHERE room = $1 AND user_id = $2) \
             SELECT COUNT(*) FROM memberships WHERE room = $1 AND user_id <> $2",
        )
        .bind(&room)
        .bind(&user.id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO member_events (pos, room, user_id, user_name, user_color, joined, \
               members) VALUES ($1, $2, $3, $4, $5, FALSE, $6)",
        )
        .bind(pos + 1)
        .bind(&room)
        .bind(&user.id)
        .bind(user.name.as_str())
        .bind(user.color.as_str())
        .bind(i32::try_from(members).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
        left = Some(LogEntry {
            pos: pos + 1,
            room: m.room.clone(),
            body: LogBody::Member {
                user: user.clone(),
                joined: false,
                members: u32::try_from(members).unwrap_or(u32::MAX),
            },
        });
    }
    tx.commit().await?;
    let entry = LogEntry {
        pos,
        room: m.room.clone(),
        body: LogBody::Message {
            message: Message {
                id: m.id.clone(),
                room: m.room.clone(),
                seq: u64::try_from(seq).unwrap_or(0),
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
    Ok(Outcome::Moderated {
        entry: Box::new(entry),
        left: left.map(Box::new),
    })
}

/// The action's effect on the room's tables; a refusal when there is
/// nothing to act on.
async fn act(
    tx: &mut Tx,
    room: &str,
    m: &ModWrite,
    action: &ModAction,
    target_member: bool,
) -> StoreResult<Option<Refusal>> {
    let target_id = m.target.as_ref().map(|(u, _)| u.id.as_str()).unwrap_or("");
    let pair = |sql: &'static str| sqlx::query(sql).bind(room).bind(target_id);
    match action {
        ModAction::Kick { .. } if !target_member => return Ok(Some(Refusal::TargetNotMember)),
        ModAction::Kick { .. } => {}
        ModAction::Ban { .. } => {
            pair("INSERT INTO room_bans (room, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .execute(&mut **tx)
                .await?;
            pair("DELETE FROM room_invites WHERE room = $1 AND user_id = $2")
                .execute(&mut **tx)
                .await?;
        }
        ModAction::Unban { .. } => {
            let gone = pair("DELETE FROM room_bans WHERE room = $1 AND user_id = $2")
                .execute(&mut **tx)
                .await?;
            if gone.rows_affected() == 0 {
                return Ok(Some(Refusal::NotBanned));
            }
        }
        ModAction::Mute { seconds, .. } => {
            let until = (*seconds > 0).then(|| m.ts.millis() + i64::from(*seconds) * 1000);
            match until {
                Some(until) => {
                    pair(
                        "INSERT INTO room_mutes (room, user_id, until_ms) VALUES ($1, $2, $3) \
                         ON CONFLICT (room, user_id) DO UPDATE SET until_ms = EXCLUDED.until_ms",
                    )
                    .bind(until)
                    .execute(&mut **tx)
                    .await?;
                }
                None => {
                    pair("DELETE FROM room_mutes WHERE room = $1 AND user_id = $2")
                        .execute(&mut **tx)
                        .await?;
                }
            }
            pair("UPDATE memberships SET muted_until = $3 WHERE room = $1 AND user_id = $2")
                .bind(until)
                .execute(&mut **tx)
                .await?;
        }
        ModAction::Topic { topic } => {
            sqlx::query("UPDATE rooms SET topic = $2 WHERE name = $1")
                .bind(room)
                .bind(topic.as_str())
                .execute(&mut **tx)
                .await?;
        }
        ModAction::Moderator { appoint, .. } => {
            let sql = if *appoint {
                "INSERT INTO room_moderators (room, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM room_moderators WHERE room = $1 AND user_id = $2"
            };
            pair(sql).execute(&mut **tx).await?;
        }
        ModAction::Settings(settings) => {
            sqlx::query("UPDATE rooms SET private = $2, max_members = $3 WHERE name = $1")
                .bind(room)
                .bind(settings.private)
                .bind(settings.max_members.and_then(|n| i32::try_from(n).ok()))
                .execute(&mut **tx)
                .await?;
            if settings.password.is_some() {
                sqlx::query("UPDATE rooms SET password_hash = $2 WHERE name = $1")
                    .bind(room)
                    .bind(&m.password_hash)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        ModAction::Invite { .. } => {
            pair("INSERT INTO room_invites (room, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(None)
}
