//! Blocks between users: who does not want to hear from whom.
//!
//! A trait of its own (a supertrait of [`Store`](super::Store)), so each
//! store keeps these queries in a file of their own.

use async_trait::async_trait;
use confab_shared::User;

use super::StoreResult;

#[async_trait]
pub trait Blocks: Send + Sync {
    /// Records that `blocker_id` blocks `blocked_id` at `now` (ms since the
    /// epoch); false when it already did.
    async fn block(&self, blocker_id: &str, blocked_id: &str, now: i64) -> StoreResult<bool>;
    /// Ends a block; false when there was none.
    async fn unblock(&self, blocker_id: &str, blocked_id: &str) -> StoreResult<bool>;
    /// Whether `blocker_id` blocks `blocked_id`.
    async fn blocks(&self, blocker_id: &str, blocked_id: &str) -> StoreResult<bool>;
    /// Everyone `blocker_id` blocks (deleted accounts left out), by name.
    async fn blocked_by(&self, blocker_id: &str) -> StoreResult<Vec<User>>;
}
