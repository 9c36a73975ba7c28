//! `/api/session`: claim a name, see who you are, log out.

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use confab_shared::{Color, RoomId, SessionReply, UserName, SESSION_COOKIE};
use rand::seq::SliceRandom as _;
use serde::Deserialize;

use crate::auth::{hash_token, new_token, token_from_request, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;
use confab_engine::store::StoreError;

/// Readable on both light and dark backgrounds.
const PALETTE: [&str; 16] = [
    "#e6194b", "#3cb44b", "#d4a017", "#4363d8", "#f58231", "#911eb4", "#1fa5a5", "#d0339b",
    "#7a9a01", "#c2185b", "#008080", "#9a6324", "#800000", "#2e7d32", "#1565c0", "#6a1b9a",
];

#[derive(Deserialize)]
pub struct NewSession {
    name: String,
}

fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(CookieAge::days(365))
        .finish()
}

/// `POST /api/session {"name"}`: resumes the caller's session if it is for
/// that name, else claims the name for a new user.
pub async fn create(
    req: HttpRequest,
    body: web::Json<NewSession>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let name = UserName::parse(&body.name).map_err(|e| AppError::Invalid(e.to_string()))?;
    let secure = state.settings.secure_cookie;
    if let Some(token) = token_from_request(&req) {
        if let Some(user) = state.store.user_by_token(&hash_token(&token)).await? {
            if user.name.key() == name.key() {
                return Ok(HttpResponse::Ok()
                    .cookie(session_cookie(&token, secure))
                    .json(SessionReply { token, user }));
            }
        }
    }
    let color = PALETTE
        .choose(&mut rand::thread_rng())
        .copied()
        .unwrap_or(PALETTE[0]);
    let color = Color::parse(color).map_err(|e| AppError::Internal(e.to_string()))?;
    let token = new_token();
    let user = match state
        .store
        .create_user(&name, &color, &hash_token(&token))
        .await
    {
        Ok(user) => user,
        Err(StoreError::NameTaken) => {
            return Err(AppError::NameTaken(format!("{name} (pick another name)")))
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user = %user.name, "new user");
    // Everyone starts in the lobby; its members see them arrive (the hubs
    // announce the logged join). No `joined` page: nobody reads it here.
    state.chat.enter(&user, RoomId::lobby()).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&token, secure))
        .json(SessionReply { token, user }))
}

/// `GET /api/session`: the current user.
pub async fn current(me: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(me.user)
}

/// `DELETE /api/session`: ends this session (other devices stay logged in).
pub async fn end(me: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.store.delete_session(&me.token_hash).await?;
    let mut gone = session_cookie("", state.settings.secure_cookie);
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}
