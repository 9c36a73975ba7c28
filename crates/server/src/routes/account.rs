//! Accounts: a name claimed with a password logs in from any device.
//!
//! - `POST /api/account {name, password}`: from a session of that name,
//!   claims it (the session stays); otherwise creates the user with the
//!   password and a first session, like `POST /api/session` does a guest.
//! - `POST /api/login {name, password}`: a new session of the account.
//! - `POST /api/account/password {old_password, new_password}`: ends every
//!   other session of the account.
//! - `DELETE /api/account {password}`: leaves every room, ends every
//!   session; the name stays reserved for [`NAME_RESERVED`], and the
//!   account's messages show as from `deleted-user`.
//!
//! A wrong name and a wrong password get the same 401, after the same
//! work; failures are throttled per name and per address (429 with
//! `Retry-After`, see [`crate::limits::logins`]).

use actix_web::{web, HttpRequest, HttpResponse};
use confab_shared::{
    AccountDeletion, NameAndPassword, Password, PasswordChange, SessionReply, UserName,
};

use super::session::{check_new_user, describe_session, device_of, new_user, session_cookie};
use crate::auth::{hash_token, new_token, session_user, token_from_request, CurrentUser};
use crate::error::AppError;
use crate::password;
use crate::state::AppState;

/// How long a deleted account's name stays reserved: long enough that
/// nobody can pose as its owner right after they left.
pub const NAME_RESERVED: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

fn parse_password(raw: &str) -> Result<Password, AppError> {
    Password::parse(raw).map_err(|e| AppError::Invalid(e.to_string()))
}

/// `POST /api/account`.
pub async fn claim(
    req: HttpRequest,
    body: web::Json<NameAndPassword>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let name = UserName::parse(&body.name).map_err(|e| AppError::Invalid(e.to_string()))?;
    let password = parse_password(&body.password)?;
    let current = match token_from_request(&req) {
        Some(token) => session_user(&state, &hash_token(&token))
            .await?
            .filter(|user| user.name.key() == name.key())
            .map(|user| (token, user)),
        None => None,
    };
    let Some((token, user)) = current else {
        check_new_user(&req, &state)?;
        let hash = password::hash(&password).await?;
        return new_user(&req, &state, &name, Some(&hash)).await;
    };
    let claimed = state.store.credentials(&name.key()).await?;
    if claimed.is_some_and(|c| c.password_hash.is_some()) {
        return Err(AppError::NameTaken(format!(
            "{name} is already claimed: change its password with POST /api/account/password"
        )));
    }
    let hash = password::hash(&password).await?;
    state.store.set_password(&user.id, &hash).await?;
    tracing::info!(user = %user.name, "name claimed");
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&req, &state, &token))
        .json(SessionReply { token, user }))
}

/// `POST /api/login`.
pub async fn login(
    req: HttpRequest,
    body: web::Json<NameAndPassword>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    // An unparsable name cannot be anyone's: the same answer as a wrong one.
    // Such attempts share one throttle key (no name has an empty key), so
    // long junk names cannot fill the throttle's memory.
    let key = UserName::parse(&body.name)
        .map(|name| name.key())
        .unwrap_or_default();
    let ip = crate::limits::request_ip(&req, &state.settings.trusted_proxies);
    state.logins.check(&key, ip)?;
    let credentials = state.store.credentials(&key).await?;
    let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let right = password::verify(&body.password, stored).await?;
    let Some(user) = credentials.filter(|_| right).map(|c| c.user) else {
        state.logins.failed(&key, ip);
        return Err(AppError::WrongPassword);
    };
    state.logins.succeeded(&key);
    let token = new_token();
    let token_hash = hash_token(&token);
    state.store.add_session(&user.id, &token_hash).await?;
    describe_session(&state, &token_hash, &device_of(&req, &state)).await;
    tracing::info!(user = %user.name, "logged in");
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&req, &state, &token))
        .json(SessionReply { token, user }))
}

/// `POST /api/account/password`: 204; every other session of the account
/// ends, its sockets and streams closed at once.
pub async fn change_password(
    req: HttpRequest,
    me: CurrentUser,
    body: web::Json<PasswordChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let new_password = parse_password(&body.new_password)?;
    check_own_password(&req, &me, &state, &body.old_password).await?;
    let hash = password::hash(&new_password).await?;
    state.store.set_password(&me.user.id, &hash).await?;
    let ended = super::devices::end_sessions(&state, &me.user.id, Some(&me.token_hash)).await?;
    tracing::info!(user = %me.user.name, ended, "password changed");
    Ok(HttpResponse::NoContent().finish())
}

/// Checks the account's password for an action that needs it again:
/// throttled like a login (a stolen session must not make guessing it
/// cheaper); 403 for a guest, who has none.
async fn check_own_password(
    req: &HttpRequest,
    me: &CurrentUser,
    state: &AppState,
    given: &str,
) -> Result<(), AppError> {
    let key = me.user.name.key();
    let ip = crate::limits::request_ip(req, &state.settings.trusted_proxies);
    state.logins.check(&key, ip)?;
    let stored = state
        .store
        .credentials(&key)
        .await?
        .and_then(|c| c.password_hash);
    if stored.is_none() {
        return Err(AppError::Forbidden(
            "this name has no password: claim it with POST /api/account".into(),
        ));
    }
    if !password::verify(given, stored).await? {
        state.logins.failed(&key, ip);
        return Err(AppError::WrongPassword);
    }
    Ok(())
}

/// `DELETE /api/account`: 204 once the account has left every room and
/// every session has ended (its sockets and streams closed at once).
pub async fn delete(
    req: HttpRequest,
    me: CurrentUser,
    body: web::Json<AccountDeletion>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    check_own_password(&req, &me, &state, &body.password).await?;
    // Leaving first, through the log: every member sees them go. A failure
    // here leaves the account as it was, to be deleted again.
    for membership in state.store.memberships(&me.user.id).await? {
        state.chat.leave(&me.user, membership.room).await?;
    }
    let now = confab_shared::Timestamp::now().millis();
    let ended = state.store.delete_account(&me.user.id, now).await?;
    for token_hash in &ended {
        state.hub.end_session(token_hash.clone()).await?;
    }
    tracing::info!(user = %me.user.name, sessions = ended.len(), "account deleted");
    let mut gone = session_cookie(&req, &state, "");
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}
