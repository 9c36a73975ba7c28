//! `/api/sessions`: the devices an account is logged in on.
//!
//! - `GET /api/sessions`: each session (created, last seen, user agent,
//!   address, whether it is the asking one).
//! - `DELETE /api/sessions`: log out everywhere else.
//! - `DELETE /api/sessions/{id}`: end one; its sockets close at once.
//!
//! A session's id is the start of its token's hash: enough to name it,
//! useless to log in with (the token itself is never stored).

use actix_web::{web, HttpResponse};
use confab_shared::{DeviceList, DeviceSession, Timestamp};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// Hex characters of a token hash that name its session.
const ID_CHARS: usize = 16;

fn session_id(token_hash: &str) -> &str {
    token_hash.get(..ID_CHARS).unwrap_or(token_hash)
}

/// Ends every session of `user_id` but `keep` and closes their
/// connections on every node; how many ended.
pub(super) async fn end_sessions(
    state: &AppState,
    user_id: &str,
    keep: Option<&str>,
) -> Result<usize, AppError> {
    let ended = state.store.delete_sessions_of(user_id, keep).await?;
    // Deleted first: a connection opening meanwhile finds its session gone.
    for token_hash in &ended {
        state.hub.end_session(token_hash.clone()).await?;
    }
    Ok(ended.len())
}

/// `GET /api/sessions`.
pub async fn list(me: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let sessions = state
        .store
        .sessions_of(&me.user.id)
        .await?
        .into_iter()
        .map(|s| DeviceSession {
            id: session_id(&s.token_hash).to_owned(),
            created: Timestamp::from_millis(s.created_at),
            last_seen: Timestamp::from_millis(s.last_seen),
            user_agent: s.device.user_agent,
            address: s.device.address,
            current: s.token_hash == me.token_hash,
        })
        .collect();
    Ok(HttpResponse::Ok().json(DeviceList { sessions }))
}

/// `DELETE /api/sessions`: 204 once every other session has ended.
pub async fn end_others(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let ended = end_sessions(&state, &me.user.id, Some(&me.token_hash)).await?;
    tracing::info!(user = %me.user.name, ended, "logged out everywhere else");
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/sessions/{id}`: 204, or 404 when the account has no such
/// session (another account's included: nothing tells them apart).
pub async fn end_one(
    me: CurrentUser,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let sessions = state.store.sessions_of(&me.user.id).await?;
    let Some(session) = sessions
        .into_iter()
        .find(|s| id.len() == ID_CHARS && session_id(&s.token_hash) == id.as_str())
    else {
        return Err(AppError::NotFound(format!(
            "no session {id} on this account"
        )));
    };
    state.store.delete_session(&session.token_hash).await?;
    state.hub.end_session(session.token_hash).await?;
    tracing::info!(user = %me.user.name, session = %id, "session ended");
    Ok(HttpResponse::NoContent().finish())
}
