//! Accounts (sqlite): users who claimed their name with a password, and the
//! sessions (devices) of each.

use confab_shared::{Color, User, UserName, DELETED_USER};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::rows::{is_unique_violation, now_millis, user_from_row};
use super::SqliteStore;
use crate::store::{Credentials, Device, SessionInfo, StoreError, StoreResult};

impl SqliteStore {
    /// A new user (with a password: an account) and their first session.
    pub(super) async fn insert_user(
        &self,
        name: &UserName,
        color: &Color,
        token_hash: &str,
        password_hash: Option<&str>,
    ) -> StoreResult<User> {
        let user = User {
            id: uuid::Uuid::new_v4().simple().to_string(),
            name: name.clone(),
            color: color.clone(),
        };
        let now = now_millis();
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, name, name_key, name_skeleton, color, created_at, \
             password_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&user.id)
        .bind(user.name.as_str())
        .bind(user.name.key())
        .bind(user.name.skeleton())
        .bind(user.color.as_str())
        .bind(now)
        .bind(password_hash)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::NameTaken),
            other => other?,
        };
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(&user.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub(super) async fn update_password(&self, user_id: &str, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET password_hash = ?2 WHERE id = ?1")
            .bind(user_id)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn find_credentials(
        &self,
        name_key: &str,
    ) -> StoreResult<Option<Credentials>> {
        let row =
            sqlx::query("SELECT id, name, color, password_hash FROM users WHERE name_key = ?1")
                .bind(name_key)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(credentials_from_row).transpose()
    }

    pub(super) async fn update_session_device(
        &self,
        token_hash: &str,
        device: &Device,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET user_agent = ?2, address = ?3 WHERE token_hash = ?1")
            .bind(token_hash)
            .bind(device.user_agent.as_deref())
            .bind(device.address.as_deref())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn find_sessions_of(&self, user_id: &str) -> StoreResult<Vec<SessionInfo>> {
        let rows = sqlx::query(
            "SELECT token_hash, created_at, MAX(created_at, last_seen) AS seen, user_agent, \
             address FROM sessions WHERE user_id = ?1 ORDER BY created_at DESC, token_hash",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    pub(super) async fn remove_sessions_of(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS NOT ?2 \
             RETURNING token_hash",
        )
        .bind(user_id)
        .bind(keep)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| row.try_get("token_hash").map_err(Into::into))
            .collect()
    }

    pub(super) async fn remove_account(&self, user_id: &str, now: i64) -> StoreResult<Vec<String>> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE users SET password_hash = NULL, deleted_at = ?2 \
             WHERE id = ?1 AND deleted_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE messages SET sender_name = ?2 WHERE sender_id = ?1")
            .bind(user_id)
            .bind(DELETED_USER)
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query("DELETE FROM sessions WHERE user_id = ?1 RETURNING token_hash")
            .bind(user_id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| row.try_get("token_hash").map_err(Into::into))
            .collect()
    }

    pub(super) async fn free_deleted_names(&self, cutoff: i64) -> StoreResult<u64> {
        // 'deleted:' cannot be in a name's key, so it collides with nobody,
        // and the skeleton is not NULL so the backfill at open leaves it.
        let done = sqlx::query(
            "UPDATE users SET name_key = 'deleted:' || id, name_skeleton = 'deleted:' || id \
             WHERE deleted_at < ?1 AND name_key NOT LIKE 'deleted:%'",
        )
        .bind(cutoff)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

fn credentials_from_row(row: &SqliteRow) -> StoreResult<Credentials> {
    Ok(Credentials {
        user: user_from_row(row)?,
        password_hash: row.try_get("password_hash")?,
    })
}

fn session_from_row(row: &SqliteRow) -> StoreResult<SessionInfo> {
    Ok(SessionInfo {
        token_hash: row.try_get("token_hash")?,
        created_at: row.try_get("created_at")?,
        last_seen: row.try_get("seen")?,
        device: Device {
            user_agent: row.try_get("user_agent")?,
            address: row.try_get("address")?,
        },
    })
}
