//! [`Blocks`] on SQLite. Reads and these small writes go through the sqlx
//! pool; they touch no room log, so they need not wait for the writer.

use async_trait::async_trait;
use confab_shared::User;

use super::rows::user_from_row;
use super::SqliteStore;
use crate::store::{Blocks, StoreResult};

#[async_trait]
impl Blocks for SqliteStore {
    async fn block(&self, blocker_id: &str, blocked_id: &str, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(blocker_id)
        .bind(blocked_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn unblock(&self, blocker_id: &str, blocked_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?")
            .bind(blocker_id)
            .bind(blocked_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn blocks(&self, blocker_id: &str, blocked_id: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?")
            .bind(blocker_id)
            .bind(blocked_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn blocked_by(&self, blocker_id: &str) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.color FROM blocks b JOIN users u ON u.id = b.blocked_id \
             WHERE b.blocker_id = ? AND u.deleted_at IS NULL ORDER BY u.name_key",
        )
        .bind(blocker_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }
}
