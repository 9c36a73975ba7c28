//! `/api/session`: claim a name as a guest, see who you are, log out.

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
use confab_engine::store::{Device, StoreError};

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
pub(super) fn session_cookie(req: &HttpRequest, state: &AppState, token: &str) -> Cookie<'static> {
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
    check_new_user(&req, &state)?;
    new_user(&req, &state, &name, None).await
}

/// Creating a user is the one write anyone may do without a session: it is
/// limited per address. Checked before any work (a password's hash).
pub(super) fn check_new_user(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    if let Some(ip) = crate::limits::request_ip(req, &state.settings.trusted_proxies) {
        state.http_limits.check_session(ip)?;
    }
    Ok(())
}

/// Creates the user `name` (an account if `password_hash` is given) with a
/// first session, puts them in the lobby, and answers with the session.
/// The caller has passed [`check_new_user`].
pub(super) async fn new_user(
    req: &HttpRequest,
    state: &AppState,
    name: &UserName,
    password_hash: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let color = PALETTE
        .choose(&mut rand::thread_rng())
        .copied()
        .unwrap_or(PALETTE[0]);
    let color = Color::parse(color).map_err(|e| AppError::Internal(e.to_string()))?;
    let token = new_token();
    let token_hash = hash_token(&token);
    let created = match password_hash {
        Some(hash) => {
            state
                .store
                .create_account(name, &color, &token_hash, hash)
                .await
        }
        None => state.store.create_user(name, &color, &token_hash).await,
    };
    let user = match created {
        Ok(user) => user,
        Err(StoreError::NameTaken) => {
            return Err(AppError::NameTaken(format!("{name} (pick another name)")))
        }
        Err(e) => return Err(e.into()),
    };
    describe_session(state, &token_hash, &device_of(req, state)).await;
    tracing::info!(user = %user.name, account = password_hash.is_some(), "new user");
    // Everyone starts in the lobby. Only the membership is committed (the
    // answer shows no room); its members see them arrive from the log.
    state.chat.enter(&user, RoomId::lobby()).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(req, state, &token))
        .json(SessionReply { token, user }))
}

/// Records a new session's device. Only for the list of devices: a failure
/// is logged, never fails the sign-in (the session exists by now).
pub(super) async fn describe_session(state: &AppState, token_hash: &str, device: &Device) {
    if let Err(e) = state.store.describe_session(token_hash, device).await {
        tracing::warn!(error = %e, "could not record the session's device");
    }
}

/// The device a request comes from, for the account's list of sessions.
pub(super) fn device_of(req: &HttpRequest, state: &AppState) -> Device {
    /// Enough for any real browser's; the rest is cut.
    const MAX_AGENT_CHARS: usize = 256;
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|agent| agent.chars().take(MAX_AGENT_CHARS).collect());
    let address =
        crate::limits::request_ip(req, &state.settings.trusted_proxies).map(|ip| ip.to_string());
    Device {
        user_agent,
        address,
    }
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
