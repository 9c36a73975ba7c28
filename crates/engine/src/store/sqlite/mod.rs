//! The embedded SQLite store (the default: nothing to install).
//!
//! WAL mode lets readers run beside the single writer; `synchronous=FULL`
//! makes every commit durable before it returns, which is what allows the hub
//! to `ack` right after [`Store::append`]. Appends come in batches, so one
//! fsync covers many messages under load (group commit).

use async_trait::async_trait;
use confab_shared::{Color, Message, RoomId, User, UserName};
use sqlx::sqlite::SqlitePool;
use sqlx::Row;

mod accounts;
mod blocks;
mod commit;
mod moderate;
mod moderation;
mod names;
mod open;
mod posts;
mod quick_reads;
mod rows;
mod sessions;
mod uploads;
mod writer;

use self::rows::{
    corrupt, member_event_from_row, message_from_row, messages_from_rows, to_i64, user_from_row,
    MESSAGE_COLUMNS,
};

use super::{
    Blob, Credentials, Device, LogBody, LogEntry, Membership, Outcome, Page, RoomInfo, SessionInfo,
    Store, StoreResult, UploadQuota, UploadRecord, Write,
};

/// A room `r` nothing keeps: not `lobby`, no message ever, no member. (A
/// setting that keeps a room, such as an owner or a ban, joins this list.)
const UNUSED_ROOM: &str = "r.name <> 'lobby' AND r.latest_seq = 0 \
     AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.room = r.name) \
     AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.room = r.name)";

pub struct SqliteStore {
    pool: SqlitePool,
    /// Commits the batches ([`Store::commit`]).
    writer: writer::WriterThread,
    /// The reads every connection makes, on the caller's thread.
    quick: quick_reads::QuickReads,
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_user(
        &self,
        name: &UserName,
        color: &Color,
        token_hash: &str,
    ) -> StoreResult<User> {
        self.insert_user(name, color, token_hash, None).await
    }

    async fn create_account(
        &self,
        name: &UserName,
        color: &Color,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<User> {
        self.insert_user(name, color, token_hash, Some(password_hash))
            .await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<()> {
        self.update_password(user_id, password_hash).await
    }

    async fn credentials(&self, name_key: &str) -> StoreResult<Option<Credentials>> {
        self.find_credentials(name_key).await
    }

    async fn describe_session(&self, token_hash: &str, device: &Device) -> StoreResult<()> {
        self.update_session_device(token_hash, device).await
    }

    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<SessionInfo>> {
        self.find_sessions_of(user_id).await
    }

    async fn delete_account(&self, user_id: &str, now: i64) -> StoreResult<Vec<String>> {
        self.remove_account(user_id, now).await
    }

    async fn release_deleted_names(&self, cutoff: i64) -> StoreResult<u64> {
        self.free_deleted_names(cutoff).await
    }

    async fn delete_sessions_of(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> StoreResult<Vec<String>> {
        self.remove_sessions_of(user_id, keep).await
    }

    async fn add_session(&self, user_id: &str, token_hash: &str) -> StoreResult<()> {
        self.insert_session(user_id, token_hash).await
    }

    async fn user_by_token(&self, token_hash: &str) -> StoreResult<Option<User>> {
        self.find_user_by_token(token_hash).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.remove_session(token_hash).await
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
        idle: Option<std::time::Duration>,
    ) -> StoreResult<Option<User>> {
        self.find_session_user(token_hash, now, idle).await
    }

    async fn purge_sessions(&self, cutoff: i64) -> StoreResult<u64> {
        self.remove_idle_sessions(cutoff).await
    }

    async fn user_by_name(&self, name_key: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(
            "SELECT id, name, color FROM users WHERE name_key = ? AND deleted_at IS NULL",
        )
        .bind(name_key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn is_member(&self, room: &RoomId, user_id: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 FROM memberships WHERE room = ? AND user_id = ?")
            .bind(room.to_string())
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn latest_seq(&self, room: &RoomId) -> StoreResult<Option<u64>> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT latest_seq FROM rooms WHERE name = ?")
            .bind(room.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(seq.map(|s| s.max(0) as u64))
    }

    async fn members(&self, room: &RoomId) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.color FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.room = ? ORDER BY u.name_key",
        )
        .bind(room.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>> {
        self.quick.memberships(user_id)
    }

    async fn set_read(&self, room: &RoomId, user_id: &str, seq: u64) -> StoreResult<bool> {
        let room = room.to_string();
        let updated = sqlx::query(
            "UPDATE memberships SET read_seq = MAX(read_seq, \
               MIN(?, (SELECT latest_seq FROM rooms WHERE name = ?))) \
             WHERE room = ? AND user_id = ?",
        )
        .bind(to_i64(seq))
        .bind(&room)
        .bind(&room)
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated > 0)
    }

    async fn public_rooms(&self, after: Option<&RoomId>, limit: u32) -> StoreResult<Vec<RoomInfo>> {
        // Names compare bytewise here (SQLite's BINARY), as in PostgreSQL's
        // query, so a cursor means the same on both.
        let rows = sqlx::query(
            "SELECT r.name, r.latest_seq, r.members \
             FROM rooms r WHERE r.name NOT LIKE 'dm:%' AND NOT r.private AND r.name > ? \
             ORDER BY r.name LIMIT ?",
        )
        .bind(after.map_or_else(String::new, |r| r.to_string()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("name")?;
                Ok(RoomInfo {
                    room: RoomId::parse(&name).map_err(corrupt)?,
                    latest_seq: row.try_get::<i64, _>("latest_seq")?.max(0) as u64,
                    members: u32::try_from(row.try_get::<i64, _>("members")?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    async fn messages_after(&self, room: &RoomId, after: u64, limit: u32) -> StoreResult<Page> {
        // One row more than asked tells whether there is more.
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room = ? AND seq > ? \
             ORDER BY seq LIMIT ?"
        ))
        .bind(room.to_string())
        .bind(to_i64(after))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = messages_from_rows(&rows)?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        Ok(Page { messages, more })
    }

    async fn messages_before(
        &self,
        room: &RoomId,
        before: Option<u64>,
        limit: u32,
    ) -> StoreResult<Page> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room = ? AND seq < ? \
             ORDER BY seq DESC LIMIT ?"
        ))
        .bind(room.to_string())
        .bind(before.map_or(i64::MAX, to_i64))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = messages_from_rows(&rows)?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        messages.reverse();
        Ok(Page { messages, more })
    }

    async fn messages_for_user_after(
        &self,
        user_id: &str,
        pos: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, Message)>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages \
             WHERE pos > ? AND room IN (SELECT room FROM memberships WHERE user_id = ?) \
             ORDER BY pos LIMIT ?"
        ))
        .bind(pos)
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn commit(&self, batch: Vec<Write>) -> StoreResult<Vec<Outcome>> {
        self.writer.commit(batch).await
    }

    async fn log_after(&self, after: i64, limit: u32) -> StoreResult<Vec<LogEntry>> {
        let limit = i64::from(limit);
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS}, sender_id FROM messages WHERE pos > ? ORDER BY pos LIMIT ?"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let (pos, message) = message_from_row(row)?;
            entries.push(LogEntry {
                pos,
                room: message.room.clone(),
                body: LogBody::Message {
                    sender_id: row.try_get("sender_id")?,
                    message,
                },
            });
        }
        let rows = sqlx::query(
            "SELECT pos, room, user_id, user_name, user_color, joined, members \
             FROM member_events WHERE pos > ? ORDER BY pos LIMIT ?",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            entries.push(member_event_from_row(row)?);
        }
        entries.sort_by_key(|e| e.pos);
        entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(entries)
    }

    async fn last_pos(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'pos'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn remove_unused_rooms(&self, limit: u32) -> StoreResult<Vec<RoomId>> {
        // One statement in a write transaction: SQLite's single writer
        // means no commit can slip in between the check and the delete.
        let mut tx = self.write_tx().await?;
        let names: Vec<String> = sqlx::query_scalar(&format!(
            "DELETE FROM rooms WHERE name IN (SELECT r.name FROM rooms r WHERE {UNUSED_ROOM} \
             ORDER BY r.name LIMIT ?) RETURNING name"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        names
            .iter()
            .map(|n| RoomId::parse(n).map_err(corrupt))
            .collect()
    }

    async fn put_blob(&self, name: &str, blob: &Blob) -> StoreResult<()> {
        self.insert_blob(name, blob).await
    }

    async fn get_blob(&self, name: &str) -> StoreResult<Option<Blob>> {
        self.select_blob(name).await
    }

    async fn record_upload(
        &self,
        upload: &UploadRecord,
        quota: Option<UploadQuota>,
    ) -> StoreResult<bool> {
        self.insert_upload(upload, quota).await
    }

    async fn uploaded_since(&self, user_id: &str, since: i64) -> StoreResult<u64> {
        self.sum_uploads_since(user_id, since).await
    }

    async fn upload_room(&self, name: &str) -> StoreResult<Option<RoomId>> {
        self.room_of_upload(name).await
    }

    async fn forget_upload(&self, name: &str) -> StoreResult<()> {
        self.delete_upload(name).await
    }

    async fn orphan_uploads(&self, before: i64, limit: u32) -> StoreResult<Vec<String>> {
        self.unreferenced_uploads(before, limit).await
    }

    async fn close(&self) {
        self.pool.close().await;
        self.quick.close();
    }
}
