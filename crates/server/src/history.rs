//! Reading a room's stored messages, shared by the WebSocket `history`
//! frame and `GET /api/rooms/{room}/messages`.

use confab_shared::{HistoryLimit, Message, RoomId, User, MAX_PAGE_BYTES};

use crate::error::AppError;
use confab_engine::store::{Forbidden, Page, Store};

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
/// a room the user is not in is `not_member`, or `forbidden` when they are
/// banned from it (asked only then: a member is never banned).
pub async fn check_member(store: &dyn Store, user: &User, room: &RoomId) -> Result<(), AppError> {
    if !room.admits(&user.name) {
        return Err(AppError::foreign_direct(room));
    }
    if store.is_member(room, &user.id).await? {
        Ok(())
    } else if store.is_banned(room, &user.id).await? {
        Err(AppError::Forbidden(Forbidden::Banned.explain(room)))
    } else {
        Err(AppError::NotMember(room.clone()))
    }
}

/// Cuts a page (oldest first) to [`MAX_PAGE_BYTES`] of JSON, keeping its
/// oldest or its newest messages; true if anything was cut. At least one
/// message stays (a message is far smaller than the bound).
pub fn fit_page(mut messages: Vec<Message>, keep_oldest: bool) -> (Vec<Message>, bool) {
    let sizes: Vec<usize> = messages
        .iter()
        .map(|m| serde_json::to_vec(m).map_or(0, |v| v.len()) + 1)
        .collect();
    if sizes.iter().sum::<usize>() <= MAX_PAGE_BYTES {
        return (messages, false);
    }
    let mut total = 0;
    let mut fits = |size: &usize| {
        total += size;
        total <= MAX_PAGE_BYTES
    };
    let keep = if keep_oldest {
        sizes.iter().take_while(|s| fits(s)).count().max(1)
    } else {
        sizes.iter().rev().take_while(|s| fits(s)).count().max(1)
    };
    if keep_oldest {
        messages.truncate(keep);
    } else {
        messages.drain(..messages.len() - keep);
    }
    (messages, true)
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
    // Paging forward keeps the oldest, backward the newest; either way the
    // caller continues from the page's edge.
    let (messages, cut) = fit_page(page.messages, query.after.is_some());
    Ok(Page {
        messages,
        more: page.more || cut,
    })
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
