//! Sessions (SQLite): tokens by their hash, idle expiry.

use confab_shared::User;

use super::rows::now_millis;
use super::SqliteStore;
use crate::store::StoreResult;

impl SqliteStore {
    pub(super) async fn insert_session(&self, user_id: &str, token_hash: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now_millis())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn find_user_by_token(&self, token_hash: &str) -> StoreResult<Option<User>> {
        Ok(self.quick.session(token_hash)?.map(|(user, _)| user))
    }

    pub(super) async fn remove_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn find_session_user(
        &self,
        token_hash: &str,
        now: i64,
        idle: Option<std::time::Duration>,
    ) -> StoreResult<Option<User>> {
        let Some((user, seen)) = self.quick.session(token_hash)? else {
            return Ok(None);
        };
        let idle_for = now.saturating_sub(seen);
        if idle.is_some_and(|idle| idle_for > crate::store::duration_ms(idle)) {
            // Only the stale row: a use recorded meanwhile keeps it.
            sqlx::query(
                "DELETE FROM sessions WHERE token_hash = ?1 \
                 AND MAX(created_at, last_seen) = ?2",
            )
            .bind(token_hash)
            .bind(seen)
            .execute(&self.pool)
            .await?;
            return Ok(None);
        }
        if idle_for > crate::store::session_refresh_ms(idle) {
            sqlx::query(
                "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1 AND last_seen < ?2",
            )
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(user))
    }

    pub(super) async fn remove_idle_sessions(&self, cutoff: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen < ?1 AND created_at < ?1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
