//! One error type for everything a request can run into, mapped both to a
//! WebSocket `error` frame code and to an HTTP status with a JSON body.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use confab_shared::{ErrorBody, ErrorCode, RoomId, ServerMsg, Timestamp, UserName};

use confab_engine::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadJson(String),
    #[error("{0}")]
    Invalid(String),
    #[error("no valid session: log in with POST /api/session")]
    Unauthorized,
    /// A login or password check failed: one answer whether the name or
    /// the password was wrong, so it cannot tell who has an account.
    #[error("wrong name or password")]
    WrongPassword,
    #[error("the name {0} is taken")]
    NameTaken(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("you are not a member of {0}: join it first")]
    NotMember(RoomId),
    #[error("no user is called {0}")]
    UnknownUser(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    /// Too many requests; `retry_after` seconds go in `Retry-After`.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("{0}")]
    TooManyConnections(String),
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("{0}")]
    TooManyRooms(String),
    /// A moderator muted the user in a room: sends are refused for
    /// `retry_after` more seconds (`Retry-After` over HTTP).
    #[error("{message}")]
    Muted { message: String, retry_after: u64 },
    #[error("{0}")]
    RoomFull(String),
    /// The details go to the log, not to the client.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// Someone tried to use a direct conversation they are not part of.
    pub fn foreign_direct(room: &RoomId) -> Self {
        Self::Forbidden(format!(
            "{room} is a direct conversation between two other users"
        ))
    }

    /// The error a write the store refused answers with: one wording for
    /// posts, edits, joins and moderations.
    pub fn refused(refusal: Refusal, room: Option<&RoomId>) -> Self {
        let room_name = room.map_or_else(|| "the room".to_owned(), |r| r.to_string());
        match refusal {
            Refusal::Forbidden(why) => Self::Forbidden(match room {
                Some(room) => why.explain(room),
                None => "you are not allowed to do that".into(),
            }),
            Refusal::RoomFull => {
                Self::RoomFull(format!("{room_name} has as many members as it may"))
            }
            Refusal::Muted { until_ms } => {
                let retry_after =
                    confab_engine::store::seconds_left(until_ms, Timestamp::now().millis());
                Self::Muted {
                    message: format!("you are muted in {room_name} for {retry_after} more seconds"),
                    retry_after,
                }
            }
            Refusal::TargetNotMember => {
                Self::NotFound(format!("that user is not a member of {room_name}"))
            }
            Refusal::NotBanned => {
                Self::NotFound(format!("that user is not banned from {room_name}"))
            }
            Refusal::TooManyRooms => {
                Self::TooManyRooms("you created as many rooms as you may".into())
            }
            Refusal::NotMember | Refusal::NoSuchRoom => match room {
                Some(room) => Self::NotMember(room.clone()),
                None => Self::Invalid("join the room first".into()),
            },
            Refusal::NoSuchMessage => Self::NotFound(format!(
                "{room_name} has no such message, or it was deleted"
            )),
            Refusal::NotAuthor => Self::Forbidden(
                "only its author can edit a message; only its author or a moderator can delete it"
                    .into(),
            ),
        }
    }

    /// A direct message to someone who blocks the sender.
    pub fn blocked_by(peer: &UserName) -> Self {
        Self::Forbidden(format!("{peer} does not accept your direct messages"))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadJson(_) => ErrorCode::BadJson,
            Self::Invalid(_) => ErrorCode::Invalid,
            Self::Unauthorized | Self::WrongPassword => ErrorCode::Unauthorized,
            Self::NameTaken(_) => ErrorCode::NameTaken,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotMember(_) => ErrorCode::NotMember,
            Self::UnknownUser(_) => ErrorCode::UnknownUser,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::TooManyConnections(_) => ErrorCode::TooManyConnections,
            Self::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            Self::TooManyRooms(_) => ErrorCode::TooManyRooms,
            Self::Muted { .. } => ErrorCode::Muted,
            Self::RoomFull(_) => ErrorCode::RoomFull,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The JSON body of an HTTP error; an internal error's cause is not
    /// in it (see [`AppError::log`]).
    pub fn body(&self, request_id: Option<&str>) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.to_string(),
            request_id: request_id.map(str::to_owned),
        }
    }

    /// Logs an internal error's cause, in the span of the request or
    /// connection it happened to (which carries its id). Called once,
    /// where the error is answered: the client only learns "internal
    /// error" and the id.
    pub fn log(&self) {
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
    }

    /// The HTTP response, with the request id in the body when known.
    /// The `error` frame a socket gets for this error (`retry_after` for
    /// `rate_limited`).
    pub fn frame(&self, client_id: Option<String>) -> ServerMsg {
        match self {
            Self::RateLimited {
                message,
                retry_after,
            } => ServerMsg::rate_limited(message.clone(), client_id, *retry_after),
            Self::Muted {
                message,
                retry_after,
            } => ServerMsg::Error {
                code: ErrorCode::Muted,
                message: message.clone(),
                client_id,
                retry_after: Some(*retry_after),
            },
            other => ServerMsg::error(other.code(), other.to_string(), client_id),
        }
    }

    pub fn response(&self, request_id: Option<&str>) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let Self::RateLimited { retry_after, .. } | Self::Muted { retry_after, .. } = self {
            res.insert_header((
                actix_web::http::header::RETRY_AFTER,
                retry_after.to_string(),
            ));
        }
        res.json(self.body(request_id))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NameTaken => Self::NameTaken(String::from("you asked for")),
            // Logged where it is answered (`AppError::log`), with the id.
            other => Self::Internal(format!("store failure: {other}")),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadJson(_) | Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::WrongPassword => StatusCode::UNAUTHORIZED,
            Self::NameTaken(_) => StatusCode::CONFLICT,
            Self::Forbidden(_)
            | Self::NotMember(_)
            | Self::TooManyRooms(_)
            | Self::Muted { .. }
            | Self::RoomFull(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } | Self::TooManyConnections(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::QuotaExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnknownUser(_) | Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Without the request id: `request_id::middleware` renders the
    /// error again with it.
    fn error_response(&self) -> HttpResponse {
        self.response(None)
    }
}
