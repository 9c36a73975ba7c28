//! The account calls the UI makes: log in with a password, claim the name,
//! list and end the account's sessions (`/api/login`, `/api/account`,
//! `/api/sessions`).

use confab_shared::{
    BlockList, DeviceList, DeviceSession, ErrorBody, SessionReply, User, UserName,
};
use gloo_net::http::{Request, Response};

use crate::api::{bad_reply, unreachable, Failure};

/// Why an account call failed.
fn failure(status: u16, body: Option<ErrorBody>) -> Failure {
    match (status, body) {
        (401, _) => Failure::WrongCredentials,
        (429, _) => Failure::TooManyAttempts,
        (409, _) => Failure::AlreadyClaimed,
        (_, Some(body)) if !body.message.is_empty() => Failure::ServerSaid(body.message),
        (status, _) => Failure::Status(status),
    }
}

async fn fail<T>(resp: Response) -> Result<T, Failure> {
    let status = resp.status();
    Err(failure(status, resp.json::<ErrorBody>().await.ok()))
}

async fn session_reply(resp: Response) -> Result<User, Failure> {
    if !resp.ok() {
        return fail(resp).await;
    }
    resp.json::<SessionReply>()
        .await
        .map(|reply| reply.user)
        .map_err(bad_reply)
}

/// `POST path {name, password}`, answered with a session.
async fn post_credentials(path: &str, name: &str, password: &str) -> Result<User, Failure> {
    let resp = Request::post(path)
        .json(&serde_json::json!({ "name": name, "password": password }))
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    session_reply(resp).await
}

/// `POST /api/login`: a new session of a claimed name.
pub async fn log_in(name: &str, password: &str) -> Result<User, Failure> {
    post_credentials("/api/login", name, password).await
}

/// `POST /api/account` from this session: protects its name with `password`.
pub async fn claim(name: &str, password: &str) -> Result<User, Failure> {
    post_credentials("/api/account", name, password).await
}

/// A `body` sent to `path` with `method`, answered 204.
/// Sends `request`, answered 204.
async fn empty(request: gloo_net::http::Request) -> Result<(), Failure> {
    let resp = request.send().await.map_err(unreachable)?;
    if resp.ok() {
        Ok(())
    } else {
        fail(resp).await
    }
}

/// A `body` sent with `request`, answered 204.
async fn no_content(
    request: gloo_net::http::RequestBuilder,
    body: serde_json::Value,
) -> Result<(), Failure> {
    empty(request.json(&body).map_err(unreachable)?).await
}

/// `GET path`, answered with JSON.
async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, Failure> {
    let resp = Request::get(path).send().await.map_err(unreachable)?;
    if !resp.ok() {
        return fail(resp).await;
    }
    resp.json::<T>().await.map_err(bad_reply)
}

/// `POST /api/account/password`: the other sessions end.
pub async fn change_password(old_password: &str, new_password: &str) -> Result<(), Failure> {
    let body = serde_json::json!({ "old_password": old_password, "new_password": new_password });
    no_content(Request::post("/api/account/password"), body).await
}

/// `DELETE /api/account`: every session ends, this one too.
pub async fn delete_account(password: &str) -> Result<(), Failure> {
    no_content(
        Request::delete("/api/account"),
        serde_json::json!({ "password": password }),
    )
    .await
}

/// `GET /api/sessions`.
pub async fn devices() -> Result<Vec<DeviceSession>, Failure> {
    get_json::<DeviceList>("/api/sessions")
        .await
        .map(|list| list.sessions)
}

/// `DELETE /api/sessions/{id}`, or every other session without an id.
pub async fn end_sessions(id: Option<&str>) -> Result<(), Failure> {
    let path = match id {
        Some(id) => format!("/api/sessions/{id}"),
        None => "/api/sessions".to_owned(),
    };
    empty(Request::delete(&path).build().map_err(unreachable)?).await
}

/// `GET /api/blocks`: the users this user blocks.
pub async fn blocked() -> Result<Vec<UserName>, Failure> {
    get_json::<BlockList>("/api/blocks")
        .await
        .map(|list| list.users)
}

/// `PUT` (`on`) or `DELETE /api/blocks/{name}`.
pub async fn set_block(name: &UserName, on: bool) -> Result<(), Failure> {
    let path = format!(
        "/api/blocks/{}",
        js_sys::encode_uri_component(name.as_str())
    );
    let request = if on {
        Request::put(&path)
    } else {
        Request::delete(&path)
    };
    empty(request.build().map_err(unreachable)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_apart() {
        use confab_shared::ErrorCode;
        assert_eq!(failure(401, None), Failure::WrongCredentials);
        assert_eq!(failure(429, None), Failure::TooManyAttempts);
        let short = ErrorBody::new(ErrorCode::Invalid, "a password has at least 8 characters");
        assert_eq!(
            failure(400, Some(short)),
            Failure::ServerSaid("a password has at least 8 characters".into())
        );
        assert_eq!(failure(500, None), Failure::Status(500));
    }
}
