//! The PostgreSQL store: the record a cluster of nodes shares.
//!
//! Every node writes through [`Store::commit`] (see [`commit`]), which locks
//! the batch's room rows in name order and then the one global `pos`
//! counter row, holding both until the transaction commits: each room's
//! `seq` and the global `pos` stay gap-free and in commit order however many
//! nodes write at once. Reads are plain statements (one snapshot each).

mod accounts;
mod blocks;
mod changes;
mod cleanup;
mod commit;
mod create;
mod moderate;
mod moderation;
mod names;
mod plan;
mod read;
mod sessions;
mod uploads;

use std::time::Duration;

use async_trait::async_trait;
use confab_shared::{Attachment, Color, EntryKind, Message, RoomId, Timestamp, User, UserName};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use super::{
    Blob, Credentials, Device, LogEntry, Membership, Outcome, Page, RoomInfo, SessionInfo, Store,
    StoreError, StoreResult, UploadQuota, UploadRecord, Write,
};

/// PostgreSQL migrations, separate from SQLite's.
///
/// Safe when several nodes start at once on an empty database: sqlx's
/// `Migrator::run` (sqlx-core 0.8 `migrate/migrator.rs`, `locking` defaults
/// to true) calls `Migrate::lock` before even creating `_sqlx_migrations`,
/// and PostgreSQL's implementation (sqlx-postgres 0.8 `migrate.rs`) is
/// `SELECT pg_advisory_lock($1)` with an id derived from the database name,
/// released by `pg_advisory_unlock` once every migration is applied. The
/// other nodes wait on the lock, then find the migrations applied.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Columns of `messages` in the order [`message_from_row`] reads them.
const MESSAGE_COLUMNS: &str = "pos, id, room, seq, sender_name, text, ts, \
     attachment_url, attachment_mime, attachment_bytes, attachment_width, attachment_height, \
     kind, target, edited_at, deleted, event";

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (which must exist) and brings its
    /// schema up to date.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        names::backfill_names(&pool).await?;
        Ok(Self { pool })
    }
}

fn now_millis() -> i64 {
    Timestamp::now().millis()
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Seqs and limits never get near the boundary, but a peer-supplied u64
/// must not wrap into a negative number.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    v.max(0) as u64
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    let name: String = row.try_get("name")?;
    let color: String = row.try_get("color")?;
    Ok(User {
        id: row.try_get("id")?,
        name: UserName::parse(&name).map_err(corrupt)?,
        color: Color::parse(&color).map_err(corrupt)?,
    })
}

fn message_from_row(row: &PgRow) -> StoreResult<(i64, Message)> {
    let room: String = row.try_get("room")?;
    let from: String = row.try_get("sender_name")?;
    let kind: String = row.try_get("kind")?;
    let url: Option<String> = row.try_get("attachment_url")?;
    let attachment = match url {
        Some(url) => Some(Attachment {
            url,
            mime: row
                .try_get::<Option<String>, _>("attachment_mime")?
                .unwrap_or_default(),
            bytes: to_u64(
                row.try_get::<Option<i64>, _>("attachment_bytes")?
                    .unwrap_or(0),
            ),
            width: row
                .try_get::<Option<i32>, _>("attachment_width")?
                .and_then(|w| u32::try_from(w).ok()),
            height: row
                .try_get::<Option<i32>, _>("attachment_height")?
                .and_then(|h| u32::try_from(h).ok()),
        }),
        None => None,
    };
    let message = Message {
        id: row.try_get("id")?,
        room: RoomId::parse(&room).map_err(corrupt)?,
        seq: to_u64(row.try_get("seq")?),
        from: UserName::parse(&from).map_err(corrupt)?,
        text: row.try_get("text")?,
        ts: Timestamp::from_millis(row.try_get("ts")?),
        attachment,
        kind: EntryKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("unknown entry kind {kind:?}")))?,
        target: row.try_get::<Option<i64>, _>("target")?.map(to_u64),
        edited: row
            .try_get::<Option<i64>, _>("edited_at")?
            .map(Timestamp::from_millis),
        deleted: row.try_get("deleted")?,
        event: row
            .try_get::<Option<String>, _>("event")?
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(corrupt)?,
    };
    Ok((row.try_get("pos")?, message))
}

fn messages_from_rows(rows: &[PgRow]) -> StoreResult<Vec<Message>> {
    rows.iter()
        .map(|r| message_from_row(r).map(|(_, m)| m))
        .collect()
}

#[async_trait]
impl Store for PgStore {
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
            "SELECT id, name, color FROM users WHERE name_key = $1 AND deleted_at IS NULL",
        )
        .bind(name_key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn is_member(&self, room: &RoomId, user_id: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 FROM memberships WHERE room = $1 AND user_id = $2")
            .bind(room.to_string())
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn latest_seq(&self, room: &RoomId) -> StoreResult<Option<u64>> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT latest_seq FROM rooms WHERE name = $1")
            .bind(room.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(seq.map(to_u64))
    }

    async fn members(&self, room: &RoomId) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.color FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.room = $1 ORDER BY u.name_key",
        )
        .bind(room.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>> {
        read::memberships(&self.pool, user_id).await
    }

    async fn set_read(&self, room: &RoomId, user_id: &str, seq: u64) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE memberships SET read_seq = GREATEST(read_seq, \
               LEAST($1, (SELECT latest_seq FROM rooms WHERE name = $2))) \
             WHERE room = $2 AND user_id = $3",
        )
        .bind(to_i64(seq))
        .bind(room.to_string())
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated > 0)
    }

    async fn public_rooms(&self, after: Option<&RoomId>, limit: u32) -> StoreResult<Vec<RoomInfo>> {
        read::public_rooms(&self.pool, after, limit).await
    }

    async fn commit(&self, batch: Vec<Write>) -> StoreResult<Vec<Outcome>> {
        commit::commit(&self.pool, &batch).await
    }

    async fn log_after(&self, after: i64, limit: u32) -> StoreResult<Vec<LogEntry>> {
        read::log_after(&self.pool, after, limit).await
    }

    async fn last_pos(&self) -> StoreResult<i64> {
        let pos: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'pos'")
            .fetch_optional(&self.pool)
            .await?;
        pos.ok_or_else(|| corrupt("the 'pos' counter is missing"))
    }

    async fn messages_after(&self, room: &RoomId, after: u64, limit: u32) -> StoreResult<Page> {
        // One row more than asked tells whether there is more.
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
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
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room = $1 AND seq < $2 \
             ORDER BY seq DESC LIMIT $3"
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
             WHERE pos > $1 AND room IN (SELECT room FROM memberships WHERE user_id = $2) \
             ORDER BY pos LIMIT $3"
        ))
        .bind(pos)
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn remove_unused_rooms(&self, limit: u32) -> StoreResult<Vec<RoomId>> {
        cleanup::remove_unused_rooms(&self.pool, limit).await
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
    }
}
