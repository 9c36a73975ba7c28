//! `/api/rooms/{room}/messages/{seq}`: editing and deleting one's own
//! message over HTTP (protocol version 2), for bots and scripts. Both run
//! the socket's path ([`Chat::change`](crate::chat::Chat::change)) and
//! answer 200 with the new log entry.

use actix_web::{web, HttpResponse};
use confab_shared::RoomId;

use super::rooms::PostBody;
use crate::auth::CurrentUser;
use crate::chat::Change;
use crate::error::AppError;
use crate::state::AppState;

/// The room and seq of the path, each checked (a bad seq is a 400 with the
/// usual error body, not actix's plain 404).
fn parse_path(path: &(String, String)) -> Result<(RoomId, u64), AppError> {
    let room = RoomId::parse(&path.0).map_err(|e| AppError::Invalid(e.to_string()))?;
    let seq = path
        .1
        .parse::<u64>()
        .ok()
        .filter(|seq| *seq > 0)
        .ok_or_else(|| AppError::Invalid(format!("{:?} is not a message seq", path.1)))?;
    Ok((room, seq))
}

async fn run(
    state: &AppState,
    me: &CurrentUser,
    path: &(String, String),
    change: Change,
    client_id: Option<confab_shared::ClientId>,
) -> Result<HttpResponse, AppError> {
    let (room, seq) = parse_path(path)?;
    match state
        .chat
        .change(&me.user, room, seq, change, client_id, None)
        .await?
    {
        Some(entry) => Ok(HttpResponse::Ok().json(entry)),
        None => Err(AppError::Internal("a change without its entry".into())),
    }
}

/// `PATCH /api/rooms/{room}/messages/{seq} {"text","client_id"?}`.
pub async fn edit(
    me: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Json<PostBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (text, client_id) = body.parse()?;
    run(&state, &me, &path, Change::Edit(text), client_id).await
}

/// `DELETE /api/rooms/{room}/messages/{seq}`.
pub async fn delete(
    me: CurrentUser,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    run(&state, &me, &path, Change::Delete, None).await
}
