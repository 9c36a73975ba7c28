//! The REST calls the UI makes: the session (`/api/session`).

use confab_shared::{ErrorBody, ErrorCode, SessionReply, User, UserName};
use gloo_net::http::{Request, Response};

/// Why signing in did not work, as a sentence for the nickname screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// 409: someone else holds the name.
    Taken(String),
    /// 400: the name breaks the rules.
    Invalid(String),
    /// Anything else: the server could not be reached or failed.
    Other(String),
}

impl LoginError {
    pub fn message(&self) -> &str {
        match self {
            Self::Taken(m) | Self::Invalid(m) | Self::Other(m) => m,
        }
    }
}

/// Turns a failed `POST /api/session` reply into a [`LoginError`].
pub fn login_error(status: u16, body: Option<ErrorBody>, name: &str) -> LoginError {
    match (status, body) {
        (409, _)
        | (
            _,
            Some(ErrorBody {
                code: ErrorCode::NameTaken,
                ..
            }),
        ) => LoginError::Taken(format!("The name “{name}” is taken. Choose another one.")),
        (400, body)
        | (
            _,
            body @ Some(ErrorBody {
                code: ErrorCode::Invalid,
                ..
            }),
        ) => {
            let detail = body.map(|b| b.message).filter(|m| !m.trim().is_empty());
            LoginError::Invalid(match detail {
                Some(m) => format!("That name cannot be used: {m}."),
                None => "That name cannot be used: 1 to 32 letters, digits, _ - or ., no spaces."
                    .to_owned(),
            })
        }
        (503, _) => LoginError::Other("The server is busy. Try again in a moment.".into()),
        (status, Some(body)) if !body.message.is_empty() => {
            LoginError::Other(format!("Sign-in failed ({status}): {}", body.message))
        }
        (status, _) => LoginError::Other(format!("Sign-in failed (HTTP {status}).")),
    }
}

async fn error_body(resp: &Response) -> Option<ErrorBody> {
    resp.json::<ErrorBody>().await.ok()
}

/// `GET /api/session`: the signed-in user, `None` without a session.
pub async fn current_user() -> Result<Option<User>, String> {
    let resp = Request::get("/api/session")
        .send()
        .await
        .map_err(|e| format!("Cannot reach the server: {e}"))?;
    match resp.status() {
        200 => resp
            .json::<User>()
            .await
            .map(Some)
            .map_err(|e| format!("Unexpected reply from the server: {e}")),
        401 | 403 => Ok(None),
        status => Err(format!("The server answered HTTP {status}.")),
    }
}

/// `POST /api/session` with `name`: signs in (or resumes) and returns the user.
pub async fn login(name: &UserName) -> Result<User, LoginError> {
    let body = serde_json::json!({ "name": name.as_str() });
    let resp = Request::post("/api/session")
        .json(&body)
        .map_err(|e| LoginError::Other(e.to_string()))?
        .send()
        .await
        .map_err(|e| LoginError::Other(format!("Cannot reach the server: {e}")))?;
    if resp.ok() {
        return resp
            .json::<SessionReply>()
            .await
            .map(|reply| reply.user)
            .map_err(|e| LoginError::Other(format!("Unexpected reply from the server: {e}")));
    }
    Err(login_error(
        resp.status(),
        error_body(&resp).await,
        name.as_str(),
    ))
}

/// `DELETE /api/session`: signs out.
pub async fn logout() -> Result<(), String> {
    let resp = Request::delete("/api/session")
        .send()
        .await
        .map_err(|e| format!("Cannot reach the server: {e}"))?;
    if resp.ok() || resp.status() == 401 {
        Ok(())
    } else {
        Err(format!("Sign-out failed (HTTP {}).", resp.status()))
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
        assert!(matches!(&taken, LoginError::Taken(m) if m.contains("“bob” is taken")));
        assert!(matches!(
            login_error(409, None, "bob"),
            LoginError::Taken(_)
        ));
        let invalid = login_error(
            400,
            body(ErrorCode::Invalid, "a name may not contain ' '"),
            "a b",
        );
        assert!(matches!(&invalid, LoginError::Invalid(m) if m.contains("may not contain")));
        assert!(
            matches!(login_error(400, None, "x"), LoginError::Invalid(m) if m.contains("1 to 32"))
        );
        assert!(
            matches!(login_error(500, body(ErrorCode::Internal, "db down"), "x"), LoginError::Other(m) if m.contains("db down"))
        );
        assert!(matches!(login_error(502, None, "x"), LoginError::Other(m) if m.contains("502")));
    }
}
