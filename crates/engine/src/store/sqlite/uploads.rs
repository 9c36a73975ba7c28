//! The uploads record (SQLite): quota, owner room, orphans; image blobs.

use confab_shared::RoomId;
use sqlx::Row;

use super::rows::{corrupt, now_millis, to_i64};
use super::SqliteStore;
use crate::store::{Blob, StoreResult, UploadQuota, UploadRecord};

impl SqliteStore {
    pub(super) async fn insert_upload(
        &self,
        upload: &UploadRecord,
        quota: Option<UploadQuota>,
    ) -> StoreResult<bool> {
        // One statement: SQLite runs it under its single write lock, so two
        // concurrent uploads cannot both fit into the same remaining bytes.
        let (limit, since) = quota.map_or((-1, 0), |q| (to_i64(q.bytes), q.since));
        let done = sqlx::query(
            "INSERT INTO uploads (name, uploader_id, room, bytes, width, height, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 \
             WHERE ?8 < 0 OR ?4 + (SELECT COALESCE(SUM(bytes), 0) FROM uploads \
                                   WHERE uploader_id = ?2 AND created_at > ?9) <= ?8",
        )
        .bind(&upload.name)
        .bind(&upload.uploader_id)
        .bind(upload.room.to_string())
        .bind(to_i64(upload.bytes))
        .bind(i64::from(upload.width))
        .bind(i64::from(upload.height))
        .bind(upload.created_at)
        .bind(limit)
        .bind(since)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn sum_uploads_since(&self, user_id: &str, since: i64) -> StoreResult<u64> {
        let sum: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(bytes), 0) FROM uploads WHERE uploader_id = ? AND created_at > ?",
        )
        .bind(user_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(sum).unwrap_or(0))
    }

    pub(super) async fn room_of_upload(&self, name: &str) -> StoreResult<Option<RoomId>> {
        let row = sqlx::query("SELECT room FROM uploads WHERE name = ? AND removed_at IS NULL")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let room: String = row.try_get("room")?;
            RoomId::parse(&room).map_err(corrupt)
        })
        .transpose()
    }

    pub(super) async fn delete_upload(&self, name: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM uploads WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM blobs WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn unreferenced_uploads(
        &self,
        before: i64,
        limit: u32,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT u.name FROM uploads u \
             WHERE (u.created_at < ? OR u.removed_at IS NOT NULL) AND NOT EXISTS \
             (SELECT 1 FROM messages m WHERE m.attachment_url = '/uploads/' || u.name) \
             ORDER BY u.created_at LIMIT ?",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    pub(super) async fn insert_blob(&self, name: &str, blob: &Blob) -> StoreResult<()> {
        sqlx::query("INSERT INTO blobs (name, mime, data, created_at) VALUES (?, ?, ?, ?)")
            .bind(name)
            .bind(&blob.mime)
            .bind(&blob.data)
            .bind(now_millis())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn select_blob(&self, name: &str) -> StoreResult<Option<Blob>> {
        let row = sqlx::query("SELECT mime, data FROM blobs WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Blob {
                mime: row.try_get("mime")?,
                data: row.try_get("data")?,
            })
        })
        .transpose()
    }
}
