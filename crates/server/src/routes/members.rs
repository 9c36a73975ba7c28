//! `GET /api/rooms/{room}/members?after=&limit=`: a room's members, a page
//! at a time, for rooms with more members than a `joined` frame lists.

use actix_web::{web, HttpResponse};
use confab_shared::{Member, RoomId};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::history::check_member;
use crate::joining::with_online;
use crate::state::AppState;

/// Members per page by default and at most.
const PAGE: usize = 200;

#[derive(Deserialize)]
pub struct MembersParams {
    /// The `next` of the previous page.
    after: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
pub struct MembersPage {
    room: RoomId,
    members: Vec<Member>,
    total: u32,
    /// Pass as `after` for the next page; `null` on the last one.
    next: Option<String>,
}

pub async fn list(
    me: CurrentUser,
    path: web::Path<String>,
    params: web::Query<MembersParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = RoomId::parse(&path).map_err(|e| AppError::Invalid(e.to_string()))?;
    check_member(state.store.as_ref(), &me.user, &room).await?;
    let limit = params.limit.unwrap_or(PAGE).clamp(1, PAGE);
    // Ordered by the case-folded name: `after` is the last one seen.
    let mut users = state.store.members(&room).await?;
    // The database's collation may order names differently from Rust.
    users.sort_by_key(|u| u.name.key());
    let total = u32::try_from(users.len()).unwrap_or(u32::MAX);
    let after = params.after.as_deref().unwrap_or("");
    let mut page: Vec<_> = users
        .into_iter()
        .filter(|u| u.name.key().as_str() > after)
        .take(limit + 1)
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next = more.then(|| page.last().map(|u| u.name.key())).flatten();
    let members = with_online(&state.hub, page).await?;
    Ok(HttpResponse::Ok().json(MembersPage {
        room,
        members,
        total,
        next,
    }))
}
