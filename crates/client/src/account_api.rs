//! The account calls the UI makes: log in with a password, claim the name,
//! list and end the account's sessions (`/api/login`, `/api/account`,
//! `/api/sessions`).

use confab_shared::{DeviceList, DeviceSession, ErrorBody, ErrorCode, SessionReply, User};
use gloo_net::http::{Request, Response};

/// A sentence for a failed account call.
fn failure(status: u16, body: Option<ErrorBody>) -> String {
    match (status, body) {
        (401, _) => "Wrong name or password.".to_owned(),
        (429, _) => "Too many failed attempts. Wait a little and try again.".to_owned(),
        (409, _) => "That name is already protected by a password.".to_owned(),
        (
            _,
            Some(ErrorBody {
                code: ErrorCode::Invalid,
                message,
                ..
            }),
        ) => format!("{message}."),
        (_, Some(body)) if !body.message.is_empty() => body.message,
        (status, _) => format!("The server answered HTTP {status}."),
    }
}

async fn fail<T>(resp: Response) -> Result<T, String> {
    let status = resp.status();
    Err(failure(status, resp.json::<ErrorBody>().await.ok()))
}

fn unreachable(e: impl std::fmt::Display) -> String {
    format!("Cannot reach the server: {e}")
}

async fn session_reply(resp: Response) -> Result<User, String> {
    if !resp.ok() {
        return fail(resp).await;
    }
    resp.json::<SessionReply>()
        .await
        .map(|reply| reply.user)
        .map_err(|e| format!("Unexpected reply from the server: {e}"))
}

/// `POST path {name, password}`, answered with a session.
async fn post_credentials(path: &str, name: &str, password: &str) -> Result<User, String> {
    let resp = Request::post(path)
        .json(&serde_json::json!({ "name": name, "password": password }))
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(unreachable)?;
    session_reply(resp).await
}

/// `POST /api/login`: a new session of a claimed name.
pub async fn log_in(name: &str, password: &str) -> Result<User, String> {
    post_credentials("/api/login", name, password).await
}

/// `POST /api/account` from this session: protects its name with `password`.
pub async fn claim(name: &str, password: &str) -> Result<User, String> {
    post_credentials("/api/account", name, password).await
}

/// A `body` sent to `path` with `method`, answered 204.
async fn no_content(
    request: gloo_net::http::RequestBuilder,
    body: serde_json::Value,
) -> Result<(), String> {
    let resp = request
        .json(&body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(unreachable)?;
    if resp.ok() {
        Ok(())
    } else {
        fail(resp).await
    }
}

/// `POST /api/account/password`: the other sessions end.
pub async fn change_password(old_password: &str, new_password: &str) -> Result<(), String> {
    let body = serde_json::json!({ "old_password": old_password, "new_password": new_password });
    no_content(Request::post("/api/account/password"), body).await
}

/// `DELETE /api/account`: every session ends, this one too.
pub async fn delete_account(password: &str) -> Result<(), String> {
    no_content(
        Request::delete("/api/account"),
        serde_json::json!({ "password": password }),
    )
    .await
}

/// `GET /api/sessions`.
pub async fn devices() -> Result<Vec<DeviceSession>, String> {
    let resp = Request::get("/api/sessions")
        .send()
        .await
        .map_err(unreachable)?;
    if !resp.ok() {
        return fail(resp).await;
    }
    resp.json::<DeviceList>()
        .await
        .map(|list| list.sessions)
        .map_err(|e| format!("Unexpected reply from the server: {e}"))
}

/// `DELETE /api/sessions/{id}`, or every other session without an id.
pub async fn end_sessions(id: Option<&str>) -> Result<(), String> {
    let path = match id {
        Some(id) => format!("/api/sessions/{id}"),
        None => "/api/sessions".to_owned(),
    };
    let resp = Request::delete(&path).send().await.map_err(unreachable)?;
    if resp.ok() {
        Ok(())
    } else {
        fail(resp).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_read_as_sentences() {
        assert_eq!(failure(401, None), "Wrong name or password.");
        assert!(failure(429, None).contains("Wait"));
        let short = ErrorBody::new(ErrorCode::Invalid, "a password has at least 8 characters");
        assert_eq!(
            failure(400, Some(short)),
            "a password has at least 8 characters."
        );
        assert_eq!(failure(500, None), "The server answered HTTP 500.");
    }
}
