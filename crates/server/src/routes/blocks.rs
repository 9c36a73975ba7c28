//! `/api/blocks`: whom the asker does not want to hear from.
//!
//! - `GET /api/blocks`: the users the asker blocks, by name.
//! - `PUT /api/blocks/{user}`: block `user` (204; again changes nothing).
//! - `DELETE /api/blocks/{user}`: end the block (204, or 404 without one).
//!
//! A blocked user's direct messages to the blocker are refused
//! (`forbidden`, see `Chat::post`); the blocker's clients hide the blocked
//! user's room messages. Blocks are the blocker's: the blocked user is not
//! told.

use actix_web::{web, HttpResponse};
use confab_shared::{BlockList, Timestamp, User, UserName};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// The user named in the path: 400 for a name that breaks the rules, 404
/// for nobody, 400 for oneself.
async fn other_user(state: &AppState, me: &User, raw: &str) -> Result<User, AppError> {
    let name = UserName::parse(raw).map_err(|e| AppError::Invalid(e.to_string()))?;
    let user = state
        .store
        .user_by_name(&name.key())
        .await?
        .ok_or_else(|| AppError::UnknownUser(name.to_string()))?;
    if user.id == me.id {
        return Err(AppError::Invalid("you cannot block yourself".into()));
    }
    Ok(user)
}

/// `GET /api/blocks`.
pub async fn list(me: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let users = state.store.blocked_by(&me.user.id).await?;
    Ok(HttpResponse::Ok().json(BlockList {
        users: users.into_iter().map(|u| u.name).collect(),
    }))
}

/// `PUT /api/blocks/{user}`: 204.
pub async fn block(
    me: CurrentUser,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let other = other_user(&state, &me.user, &name).await?;
    let now = Timestamp::now().millis();
    if state.store.block(&me.user.id, &other.id, now).await? {
        tracing::info!(user = %me.user.name, blocked = %other.name, "blocked");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/blocks/{user}`: 204, or 404 when there was no block.
pub async fn unblock(
    me: CurrentUser,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let other = other_user(&state, &me.user, &name).await?;
    if !state.store.unblock(&me.user.id, &other.id).await? {
        return Err(AppError::NotFound(format!(
            "you do not block {}",
            other.name
        )));
    }
    tracing::info!(user = %me.user.name, unblocked = %other.name, "unblocked");
    Ok(HttpResponse::NoContent().finish())
}
