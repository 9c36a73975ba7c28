//! What a user must pass before a send goes to the writer: their flood
//! allowance, and, in a direct conversation, not being blocked by the other
//! person. Checked in the session task that asked (no hub, no writer), for
//! every transport alike.

use confab_shared::{RoomId, User};

use crate::chat::Chat;
use crate::error::AppError;

impl Chat {
    /// In a direct conversation, refuses `user` when the other person
    /// blocks them. Public rooms are not checked: there a block only hides
    /// messages in the blocker's own clients.
    pub(crate) async fn check_not_blocked(
        &self,
        user: &User,
        room: &RoomId,
    ) -> Result<(), AppError> {
        let Some(peer_name) = room.peer_of(&user.name) else {
            return Ok(());
        };
        let Some(peer) = self.store.user_by_name(&peer_name.key()).await? else {
            return Ok(());
        };
        if self.store.blocks(&peer.id, &user.id).await? {
            return Err(AppError::blocked_by(&peer.name));
        }
        Ok(())
    }

    /// Takes one send of `user`'s allowance, or refuses with how long to
    /// wait: the same answer on every connection and node of the user.
    pub(crate) async fn take_send(&self, user: &User) -> Result<(), AppError> {
        self.flood
            .take(&user.id)
            .await
            .map_err(|retry_after| AppError::RateLimited {
                message: format!(
                    "you are sending too fast: wait {retry_after} s before sending again"
                ),
                retry_after,
            })
    }
}
