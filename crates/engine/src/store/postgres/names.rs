//! Filling in the name columns SQL cannot compute.

use confab_shared::UserName;
use sqlx::postgres::PgPool;
use sqlx::Row;

use super::is_unique_violation;
use crate::store::StoreResult;

/// Gives every user without a `name_skeleton` (rows from before migration
/// 0005) its skeleton, and its `name_key` as today's folding computes it
/// (full case folding of the NFKC name, where it used to be a plain
/// lowercase). Oldest users first: when two old names turn out to be
/// confusable, the older keeps the skeleton and the younger keeps NULL, so
/// both still sign in and nobody new can take either look-alike.
pub(super) async fn backfill_names(pool: &PgPool) -> StoreResult<()> {
    let rows = sqlx::query(
        "SELECT id, name FROM users WHERE name_skeleton IS NULL ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        let raw: String = row.try_get("name")?;
        let Ok(name) = UserName::parse(&raw) else {
            tracing::warn!(user = %id, name = %raw, "stored name no longer parses; left as it is");
            continue;
        };
        let updated = sqlx::query(
            "UPDATE users SET name_key = $1, name_skeleton = $2 \
             WHERE id = $3 AND name_skeleton IS NULL",
        )
        .bind(name.key())
        .bind(name.skeleton())
        .bind(&id)
        .execute(pool)
        .await;
        match updated {
            Err(e) if is_unique_violation(&e) => {
                tracing::warn!(user = %id, name = %raw, "name confusable with an older user's; left without a skeleton")
            }
            other => {
                other?;
            }
        }
    }
    Ok(())
}
