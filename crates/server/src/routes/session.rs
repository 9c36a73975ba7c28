//! `/api/session`: claim a name, see who you are, log out.

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use confab_shared::{Color, RoomId, SessionReply, UserName, SESSION_COOKIE};
use rand::seq::SliceRandom as _;
use serde::Deserialize;

use crate::auth::{
    hash_token, new_token, session_ttl, session_user, token_from_request, CurrentUser,
};
use crate::client_addr::request_is_https;
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

/// The session cookie: it lives as long as an idle session does
/// (`session_ttl`; a year when sessions never expire), and is `Secure`
/// whenever the client came over HTTPS (see [`request_is_https`]) or the
/// server is told so (`secure_cookie`).
fn session_cookie(req: &HttpRequest, state: &AppState, token: &str) -> Cookie<'static> {
    let settings = &state.settings;
    let secure = settings.secure_cookie || request_is_https(req, &settings.trusted_proxies);
    let age = session_ttl(settings).map_or(CookieAge::days(365), |ttl| {
        CookieAge::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
    });
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(age)
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
    if let Some(token) = token_from_request(&req) {
        if let Some(user) = session_user(&state, &hash_token(&token)).await? {
            if user.name.key() == name.key() {
                return Ok(HttpResponse::Ok()
                    .cookie(session_cookie(&req, &state, &token))
                    .json(SessionReply { token, user }));
            }
        }
    }
    // Creating a user is the one write anyone may do without a session.
    if let Some(ip) = crate::limits::request_ip(&req, &state.settings.trusted_proxies) {
        state.http_limits.check_session(ip)?;
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
    // Everyone starts in the lobby. Only the membership is committed (the
    // answer shows no room); its members see them arrive from the log.
    state.chat.enter(&user, RoomId::lobby()).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&req, &state, &token))
        .json(SessionReply { token, user }))
}

/// `GET /api/session`: the current user.
pub async fn current(me: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(me.user)
}

/// `DELETE /api/session`: ends this session (other devices stay logged in)
/// and closes its WebSockets and event streams on every node.
pub async fn end(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    state.store.delete_session(&me.token_hash).await?;
    // Deleted first: a connection opening meanwhile finds the session gone
    // (see `open_connection`), or is registered before this and closed.
    state.hub.end_session(me.token_hash.clone()).await?;
    tracing::info!(user = %me.user.name, "logged out");
    let mut gone = session_cookie(&req, &state, "");
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}
