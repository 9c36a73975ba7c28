//! [`Moderation`] reads on PostgreSQL (the same queries as SQLite's, with
//! PostgreSQL's placeholders).

use async_trait::async_trait;
use confab_shared::moderation::Muted;
use confab_shared::{RoomId, Timestamp, UserName};
use sqlx::Row;

use super::PgStore;
use super::{corrupt, user_from_row};
use crate::store::{role_of, Moderation, RoomGate, RoomStaff, Standing, StoreResult};

#[async_trait]
impl Moderation for PgStore {
    async fn standing(&self, room: &RoomId, user_id: &str) -> StoreResult<Standing> {
        let row = sqlx::query(
            "SELECT r.created_by, r.topic, \
               EXISTS (SELECT 1 FROM room_moderators m WHERE m.room = r.name AND m.user_id = $2) \
                 AS moderator \
             FROM rooms r WHERE r.name = $1",
        )
        .bind(room.to_string())
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Standing::default());
        };
        let owner: Option<String> = row.try_get("created_by")?;
        Ok(Standing {
            role: role_of(user_id, false, owner.as_deref(), row.try_get("moderator")?),
            topic: row.try_get("topic")?,
        })
    }

    async fn is_banned(&self, room: &RoomId, user_id: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 FROM room_bans WHERE room = $1 AND user_id = $2")
            .bind(room.to_string())
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn room_gate(&self, room: &RoomId) -> StoreResult<Option<RoomGate>> {
        let row = sqlx::query("SELECT topic, private, password_hash FROM rooms WHERE name = $1")
            .bind(room.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(RoomGate {
                topic: row.try_get("topic")?,
                private: row.try_get("private")?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    async fn room_staff(&self, room: &RoomId, now: i64) -> StoreResult<Option<RoomStaff>> {
        let name = room.to_string();
        let row = sqlx::query(
            "SELECT r.topic, r.private, r.password_hash IS NOT NULL AS password, r.max_members, \
               r.created_by, u.name AS owner_name \
             FROM rooms r LEFT JOIN users u ON u.id = r.created_by AND u.deleted_at IS NULL \
             WHERE r.name = $1",
        )
        .bind(&name)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let owner: Option<String> = row.try_get("owner_name")?;
        let mut staff = RoomStaff {
            owner: owner
                .map(|n| UserName::parse(&n).map_err(corrupt))
                .transpose()?,
            owner_id: row.try_get("created_by")?,
            topic: row.try_get("topic")?,
            private: row.try_get("private")?,
            password: row.try_get("password")?,
            max_members: row
                .try_get::<Option<i32>, _>("max_members")?
                .and_then(|n| u32::try_from(n).ok()),
            ..RoomStaff::default()
        };
        let people = |table: &str| {
            format!(
                "SELECT u.id, u.name, u.color FROM {table} t JOIN users u ON u.id = t.user_id \
                 WHERE t.room = $1 AND u.deleted_at IS NULL ORDER BY u.name_key"
            )
        };
        let moderators = sqlx::query(&people("room_moderators"))
            .bind(&name)
            .fetch_all(&self.pool)
            .await?;
        staff.moderators = moderators
            .iter()
            .map(user_from_row)
            .collect::<StoreResult<_>>()?;
        for (table, list) in [
            ("room_bans", &mut staff.bans),
            ("room_invites", &mut staff.invites),
        ] {
            let rows = sqlx::query(&people(table))
                .bind(&name)
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                list.push(user_from_row(row)?.name);
            }
        }
        let mutes = sqlx::query(
            "SELECT u.name, t.until_ms FROM room_mutes t JOIN users u ON u.id = t.user_id \
             WHERE t.room = $1 AND t.until_ms > $2 AND u.deleted_at IS NULL ORDER BY t.until_ms",
        )
        .bind(&name)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        for row in &mutes {
            let user: String = row.try_get("name")?;
            staff.mutes.push(Muted {
                user: UserName::parse(&user).map_err(corrupt)?,
                until: Timestamp::from_millis(row.try_get("until_ms")?),
            });
        }
        Ok(Some(staff))
    }
}
