//! The longer reads of [`PgStore`](super::PgStore): counters per room and
//! the global log.

use confab_shared::{Color, RoomId, User, UserName};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;

use super::{corrupt, message_from_row, to_u32, to_u64};
use crate::store::{LogBody, LogEntry, Membership, RoomInfo, StoreResult};

pub(super) async fn memberships(pool: &PgPool, user_id: &str) -> StoreResult<Vec<Membership>> {
    let rows = sqlx::query(
        "SELECT r.name, r.latest_seq, \
           (SELECT COUNT(*) FROM messages x \
             WHERE x.room = m.room AND x.seq > m.read_seq AND x.sender_id <> m.user_id \
                   AND x.kind = 'message') \
             AS unread, \
           (SELECT COUNT(*) FROM memberships c WHERE c.room = m.room) AS members \
         FROM memberships m JOIN rooms r ON r.name = m.room \
         WHERE m.user_id = $1 ORDER BY r.name",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("name")?;
            Ok(Membership {
                room: RoomId::parse(&name).map_err(corrupt)?,
                latest_seq: to_u64(row.try_get("latest_seq")?),
                unread: to_u64(row.try_get("unread")?),
                members: to_u32(row.try_get("members")?),
            })
        })
        .collect()
}

/// Names compare bytewise (`COLLATE "C"`, indexed), as in SQLite, so a
/// page cursor means the same whatever the database's locale.
pub(super) async fn public_rooms(
    pool: &PgPool,
    after: Option<&RoomId>,
    limit: u32,
) -> StoreResult<Vec<RoomInfo>> {
    let rows = sqlx::query(
        "SELECT r.name, r.latest_seq, \
           (SELECT COUNT(*) FROM memberships m WHERE m.room = r.name) AS members \
         FROM rooms r WHERE r.name NOT LIKE 'dm:%' AND NOT r.private AND r.name COLLATE \"C\" > $1 \
         ORDER BY r.name COLLATE \"C\" LIMIT $2",
    )
    .bind(after.map_or_else(String::new, |r| r.to_string()))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("name")?;
            Ok(RoomInfo {
                room: RoomId::parse(&name).map_err(corrupt)?,
                latest_seq: to_u64(row.try_get("latest_seq")?),
                members: to_u32(row.try_get("members")?),
            })
        })
        .collect()
}

/// Messages and membership changes after `after`, in one statement so both
/// come from one snapshot. Positions are handed out in commit order, so a
/// snapshot holds a gap-free prefix of the log: the answer has no holes.
pub(super) async fn log_after(pool: &PgPool, after: i64, limit: u32) -> StoreResult<Vec<LogEntry>> {
    let rows = sqlx::query(
        "SELECT * FROM ( \
           (SELECT pos, TRUE AS is_message, room, id, seq, sender_id, sender_name, text, ts, \
              attachment_url, attachment_mime, attachment_bytes, attachment_width, \
              attachment_height, kind, target, edited_at, \
              deleted, event, NULL::text AS user_color, NULL::boolean AS joined, \
              NULL::integer AS members \
            FROM messages WHERE pos > $1 ORDER BY pos LIMIT $2) \
           UNION ALL \
           (SELECT pos, FALSE, room, NULL::text, NULL::bigint, user_id, user_name, NULL::text, \
              NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::integer, \
              NULL::integer, NULL::text, NULL::bigint, NULL::bigint, NULL::boolean, \
              NULL::text, user_color, joined, members \
            FROM member_events WHERE pos > $1 ORDER BY pos LIMIT $2) \
         ) AS log ORDER BY pos LIMIT $2",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

fn entry_from_row(row: &PgRow) -> StoreResult<LogEntry> {
    if row.try_get::<bool, _>("is_message")? {
        let (pos, message) = message_from_row(row)?;
        return Ok(LogEntry {
            pos,
            room: message.room.clone(),
            body: LogBody::Message {
                sender_id: row.try_get("sender_id")?,
                message,
            },
        });
    }
    let room: String = row.try_get("room")?;
    let name: String = row.try_get("sender_name")?;
    let color: Option<String> = row.try_get("user_color")?;
    let joined: Option<bool> = row.try_get("joined")?;
    let members: Option<i32> = row.try_get("members")?;
    let user = User {
        id: row.try_get("sender_id")?,
        name: UserName::parse(&name).map_err(corrupt)?,
        color: Color::parse(color.as_deref().unwrap_or_default()).map_err(corrupt)?,
    };
    Ok(LogEntry {
        pos: row.try_get("pos")?,
        room: RoomId::parse(&room).map_err(corrupt)?,
        body: LogBody::Member {
            user,
            joined: joined.ok_or_else(|| corrupt("a member event without `joined`"))?,
            members: to_u32(i64::from(members.unwrap_or(0))),
        },
    })
}
