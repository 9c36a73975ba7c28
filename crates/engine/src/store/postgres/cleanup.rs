//! Removing rooms nothing keeps ([`Store::remove_unused_rooms`]).
//!
//! [`Store::remove_unused_rooms`]: crate::store::Store::remove_unused_rooms

use confab_shared::RoomId;
use sqlx::postgres::PgPool;

use super::corrupt;
use crate::store::StoreResult;

/// A room `r` nothing keeps: not `lobby`, no message ever, no member. (A
/// setting that keeps a room, such as an owner or a ban, joins this list.)
const UNUSED_ROOM: &str = "r.name <> 'lobby' AND r.latest_seq = 0 \
     AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.room = r.name) \
     AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.room = r.name)";

/// Locks the candidates the way a commit locks its rooms (rows being
/// committed right now are skipped, not waited for), then deletes those
/// still unused. Under READ COMMITTED the delete is a new statement with a
/// fresh snapshot: a membership committed before the lock was taken is
/// seen and keeps its room; a commit that comes later waits for the lock
/// and then finds the row gone, and creates it again (see `commit.rs`).
pub(super) async fn remove_unused_rooms(pool: &PgPool, limit: u32) -> StoreResult<Vec<RoomId>> {
    let mut tx = pool.begin().await?;
    let candidates: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT r.name FROM rooms r WHERE {UNUSED_ROOM} \
         ORDER BY r.name LIMIT $1 FOR UPDATE SKIP LOCKED"
    ))
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await?;
    if candidates.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let removed: Vec<String> = sqlx::query_scalar(&format!(
        "DELETE FROM rooms r WHERE r.name = ANY($1::text[]) AND {UNUSED_ROOM} RETURNING r.name"
    ))
    .bind(&candidates)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    removed
        .iter()
        .map(|n| RoomId::parse(n).map_err(corrupt))
        .collect()
}
