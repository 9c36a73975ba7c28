//! Blocking users from the UI: the list comes from `GET /api/blocks` when
//! the chat starts and after each change; the reducer hides what the
//! blocked users write (see `ChatState::blocked`).

use confab_shared::UserName;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account_api;
use crate::chat::Chat;
use crate::state::{Action, ToastBody};
use crate::words;

impl Chat {
    /// Loads whom the user blocks.
    pub fn load_blocks(&self) {
        let chat = *self;
        spawn_local(async move {
            match account_api::blocked().await {
                Ok(users) => {
                    chat.dispatch(Action::Blocked(users));
                }
                Err(e) => chat.report(&e),
            }
        });
    }

    /// Blocks (`on`) or unblocks `name`, then reloads the list.
    pub fn set_block(&self, name: UserName, on: bool) {
        let chat = *self;
        spawn_local(async move {
            match account_api::set_block(&name, on).await {
                Ok(()) => chat.load_blocks(),
                Err(e) => chat.report(&e),
            }
        });
    }

    /// Whether the user blocks `name` (reactive).
    pub fn blocks(&self, name: &UserName) -> bool {
        self.state.with(|s| s.is_blocked(name))
    }

    fn report(&self, failure: &crate::api::Failure) {
        let text = words::failure(self.locale.get_untracked(), failure);
        self.dispatch(Action::Report(ToastBody::Text(text)));
    }
}
