//! Reading a room's stored messages, shared by the WebSocket `history`
//! frame and `GET /api/rooms/{room}/messages`.

use confab_shared::{HistoryLimit, RoomId, User};

use crate::error::AppError;
use confab_engine::store::{Page, Store};

/// Which page of a room to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryQuery {
    /// Messages with `seq > after`, oldest first.
    pub after: Option<u64>,
    /// Messages with `seq < before` (the newest of them).
    pub before: Option<u64>,
    pub limit: HistoryLimit,
}

/// Fails unless `user` may read `room`: someone else's DM is `forbidden`,
/// a room the user is not in is `not_member`.
pub async fn check_member(store: &dyn Store, user: &User, room: &RoomId) -> Result<(), AppError> {
    if !room.admits(&user.name) {
        return Err(AppError::foreign_direct(room));
    }
    if store.is_member(room, &user.id).await? {
        Ok(())
    } else {
        Err(AppError::NotMember(room.clone()))
    }
}

pub async fn read_history(
    store: &dyn Store,
    user: &User,
    room: &RoomId,
    query: HistoryQuery,
) -> Result<Page, AppError> {
    check_member(store, user, room).await?;
    let limit = query.limit.get();
    let page = match query.after {
        Some(after) => store.messages_after(room, after, limit).await?,
        None => store.messages_before(room, query.before, limit).await?,
    };
    Ok(page)
}

/// Moves the user's read cursor of `room` to `seq`.
pub async fn mark_read(
    store: &dyn Store,
    user: &User,
    room: &RoomId,
    seq: u64,
) -> Result<(), AppError> {
    if !room.admits(&user.name) {
        return Err(AppError::foreign_direct(room));
    }
    if store.set_read(room, &user.id, seq).await? {
        Ok(())
    } else {
        Err(AppError::NotMember(room.clone()))
    }
}
