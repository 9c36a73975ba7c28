//! What the tab keeps in the browser's `localStorage`, so a reload loses
//! nothing typed: the messages not yet confirmed by the server, and the
//! draft of each room's message box. Keys name the user, so two accounts
//! used in one browser never see each other's.
//!
//! Storage can be missing or full (private windows, quotas): then nothing
//! is kept, and the chat works as before.

use confab_shared::RoomId;

use crate::state::Pending;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn pending_key(user_id: &str) -> String {
    format!("confab.pending.{user_id}")
}

fn draft_key(user_id: &str, room: &RoomId) -> String {
    format!("confab.draft.{user_id}.{room}")
}

/// The pending messages an earlier page of this user kept.
pub fn load_pending(user_id: &str) -> Vec<Pending> {
    local()
        .and_then(|s| s.get_item(&pending_key(user_id)).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Keeps the pending messages (none: forgets them).
pub fn save_pending(user_id: &str, pending: &[Pending]) {
    let Some(storage) = local() else {
        return;
    };
    let key = pending_key(user_id);
    if pending.is_empty() {
        let _ = storage.remove_item(&key);
    } else if let Ok(json) = serde_json::to_string(pending) {
        let _ = storage.set_item(&key, &json);
    }
}

/// The draft of `room`'s message box.
pub fn load_draft(user_id: &str, room: &RoomId) -> String {
    local()
        .and_then(|s| s.get_item(&draft_key(user_id, room)).ok().flatten())
        .unwrap_or_default()
}

/// Keeps `room`'s draft (empty: forgets it).
pub fn save_draft(user_id: &str, room: &RoomId, text: &str) {
    let Some(storage) = local() else {
        return;
    };
    let key = draft_key(user_id, room);
    if text.is_empty() {
        let _ = storage.remove_item(&key);
    } else {
        let _ = storage.set_item(&key, text);
    }
}
