//! Room moderation from the UI: requests go over the socket as `moderate`
//! frames (the reducer's [`Action::Moderate`]); the room's settings for
//! its staff come from `GET /api/rooms/{room}/settings` ([`crate::room_api`]).

use confab_shared::moderation::RoomPassword;
use confab_shared::{ErrorCode, ModAction, RoomId, RoomRole};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::state::Action;

impl Chat {
    /// Asks the server to do `action` in `room`; the result shows as the
    /// room's log line (or an error toast).
    pub fn moderate(&self, room: RoomId, action: ModAction) {
        self.dispatch(Action::Moderate { room, action });
    }

    /// Joins a room that takes a password.
    pub fn join_with(&self, room: RoomId, password: RoomPassword) {
        self.dispatch(Action::JoinWith { room, password });
    }

    /// The last join the server refused, and why (reactive).
    pub fn join_refused(&self) -> Option<(RoomId, ErrorCode)> {
        self.state.with(|s| s.join_refused.clone())
    }

    /// The user's role in the room on screen (reactive).
    pub fn active_role(&self) -> RoomRole {
        self.active
            .with(|a| a.as_ref().map(|a| a.role).unwrap_or_default())
    }

    /// The seq of the newest moderation entry of `room` that arrived live
    /// (reactive), so a view of its settings knows to reload.
    pub fn last_event(&self, room: &RoomId) -> u64 {
        self.state
            .with(|s| s.rooms.get(room).map_or(0, |r| r.last_event))
    }
}
