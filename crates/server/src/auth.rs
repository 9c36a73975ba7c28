//! Sessions: opaque random tokens, stored only as hashes, accepted from the
//! `confab_session` cookie, an `Authorization: Bearer` header or a `token`
//! query parameter, in that order.

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
    if bearer.is_some() {
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
            let user = state
                .store
                .user_by_token(&token_hash)
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
