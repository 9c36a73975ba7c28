//! Sessions: opaque random tokens, stored only as hashes, accepted from the
//! `confab_session` cookie, an `Authorization: Bearer` header or (only on
//! `GET /ws` and `GET /api/events`, where a browser cannot set a header) a
//! `token` query parameter, in that order. A session unused for longer than
//! `session_ttl` is refused and deleted.

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use base64::Engine as _;
use confab_shared::{User, SESSION_COOKIE};
use futures_util::future::LocalBoxFuture;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::error::AppError;
use crate::state::AppState;

/// A new session token: 256 random bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps instead of the token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the request carries the session cookie (the ambient credential
/// that cross-site requests would carry too, so the one the origin check
/// guards).
pub fn has_session_cookie(req: &HttpRequest) -> bool {
    req.cookie(SESSION_COOKIE).is_some()
}

/// The two routes that take `?token=`: a browser's WebSocket and
/// EventSource cannot send an `Authorization` header. Anywhere else a token
/// in the URL would only leak into logs and histories.
fn query_token_allowed(req: &HttpRequest) -> bool {
    req.method() == actix_web::http::Method::GET && matches!(req.path(), "/ws" | "/api/events")
}

/// The idle limit of sessions (`session_ttl` seconds, 0 = none).
pub fn session_ttl(settings: &crate::configuration::Settings) -> Option<std::time::Duration> {
    (settings.session_ttl > 0).then(|| std::time::Duration::from_secs(settings.session_ttl))
}

/// The user of a live session (see [`confab_engine::store::Store::session_user`]).
pub async fn session_user(state: &AppState, token_hash: &str) -> Result<Option<User>, AppError> {
    let now = confab_shared::Timestamp::now().millis();
    Ok(state
        .store
        .session_user(token_hash, now, session_ttl(&state.settings))
        .await?)
}

/// The token a request carries, if any.
pub fn token_from_request(req: &HttpRequest) -> Option<String> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        return Some(cookie.value().to_owned());
    }
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    if bearer.is_some() || !query_token_allowed(req) {
        return bearer;
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|mut q| q.0.remove("token"))
}

/// The logged-in user; extracting it answers 401 when there is none.
pub struct CurrentUser {
    pub user: User,
    pub token_hash: String,
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = token_from_request(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("no app state".into()))?;
            let token = token.ok_or(AppError::Unauthorized)?;
            let token_hash = hash_token(&token);
            let user = session_user(&state, &token_hash)
                .await?
                .ok_or(AppError::Unauthorized)?;
            Ok(CurrentUser { user, token_hash })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(hash_token("").len(), 64);
    }
}
