//! The REST calls the UI makes: the session (`/api/session`).

use confab_shared::{ErrorBody, ErrorCode, SessionReply, User, UserName};
use gloo_net::http::{Request, Response};

/// Why an HTTP call failed. Kept as data, worded in the reader's language
/// by `crate::words::failure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The request did not reach the server (the browser's reason).
    Unreachable(String),
    /// The server's answer was not what this client understands.
    BadReply(String),
    /// An HTTP status with nothing more to say.
    Status(u16),
    /// Signing in failed with this status.
    SignIn(u16),
    /// Signing out failed with this status.
    SignOut(u16),
    /// 409: someone else holds the name.
    NameTaken(String),
    /// 400: the name breaks the rules (the server's reason, if it gave one).
    NameInvalid(Option<String>),
    /// The name typed breaks the rules (found before asking the server).
    BadName(confab_shared::NameError),
    /// 503: too many connections; try again.
    Busy,
    /// A wrong name or password (the server does not say which).
    WrongCredentials,
    /// Too many failed logins: wait.
    TooManyAttempts,
    /// The name already has a password.
    AlreadyClaimed,
    /// The password breaks the rules.
    BadPassword,
    /// The server explained the refusal in its own words.
    ServerSaid(String),
    /// 403 on a room's settings: only its owner and moderators see them.
    NotStaff,
}

/// Turns a failed `POST /api/session` reply into a [`Failure`].
pub fn login_error(status: u16, body: Option<ErrorBody>, name: &str) -> Failure {
    match (status, body) {
        (409, _)
        | (
            _,
            Some(ErrorBody {
                code: ErrorCode::NameTaken,
                ..
            }),
        ) => Failure::NameTaken(name.to_owned()),
        (400, body)
        | (
            _,
            body @ Some(ErrorBody {
                code: ErrorCode::Invalid,
                ..
            }),
        ) => Failure::NameInvalid(body.map(|b| b.message).filter(|m| !m.trim().is_empty())),
        (503, _) => Failure::Busy,
        (_, Some(body)) if !body.message.is_empty() => Failure::ServerSaid(body.message),
        (status, _) => Failure::SignIn(status),
    }
}

pub(crate) fn unreachable(e: impl std::fmt::Display) -> Failure {
    Failure::Unreachable(e.to_string())
}

pub(crate) fn bad_reply(e: impl std::fmt::Display) -> Failure {
    Failure::BadReply(e.to_string())
}

async fn error_body(resp: &Response) -> Option<ErrorBody> {
    resp.json::<ErrorBody>().await.ok()
}

/// `GET /api/session`: the signed-in user, `None` without a session.
pub async fn current_user() -> Result<Option<User>, Failure> {
    let resp = Request::get("/api/session")
        .send()
        .await
        .map_err(unreachable)?;
    match resp.status() {
        200 => resp.json::<User>().await.map(Some).map_err(bad_reply),
        401 | 403 => Ok(None),
        status => Err(Failure::Status(status)),
    }
}

/// `POST /api/session` with `name`: signs in (or resumes) and returns the user.
pub async fn login(name: &UserName) -> Result<User, Failure> {
    let body = serde_json::json!({ "name": name.as_str() });
    let resp = Request::post("/api/session")
        .json(&body)
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    if resp.ok() {
        return resp
            .json::<SessionReply>()
            .await
            .map(|reply| reply.user)
            .map_err(bad_reply);
    }
    Err(login_error(
        resp.status(),
        error_body(&resp).await,
        name.as_str(),
    ))
}

/// `DELETE /api/session`: signs out.
pub async fn logout() -> Result<(), Failure> {
    let resp = Request::delete("/api/session")
        .send()
        .await
        .map_err(unreachable)?;
    if resp.ok() || resp.status() == 401 {
        Ok(())
    } else {
        Err(Failure::SignOut(resp.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: ErrorCode, message: &str) -> Option<ErrorBody> {
        Some(ErrorBody::new(code, message))
    }

    #[test]
    fn login_errors_are_told_apart() {
        let taken = login_error(409, body(ErrorCode::NameTaken, "held"), "bob");
        assert_eq!(taken, Failure::NameTaken("bob".into()));
        assert_eq!(
            login_error(409, None, "bob"),
            Failure::NameTaken("bob".into())
        );
        let invalid = login_error(
            400,
            body(ErrorCode::Invalid, "a name may not contain ' '"),
            "a b",
        );
        assert_eq!(
            invalid,
            Failure::NameInvalid(Some("a name may not contain ' '".into()))
        );
        assert_eq!(login_error(400, None, "x"), Failure::NameInvalid(None));
        assert_eq!(
            login_error(500, body(ErrorCode::Internal, "db down"), "x"),
            Failure::ServerSaid("db down".into())
        );
        assert_eq!(login_error(502, None, "x"), Failure::SignIn(502));
        assert_eq!(login_error(503, None, "x"), Failure::Busy);
    }
}
