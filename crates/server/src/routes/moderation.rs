//! `/api/rooms/{room}/...` moderation routes for bots and scripts: the
//! same actions as the WebSocket `moderate` frame, through the same
//! [`Chat::moderate`](crate::chat::Chat). Each answers 200 with the new
//! `moderation` log entry; without the role, 403 `forbidden` and nothing
//! changes.
//!
//! - `POST kick`, `ban`, `unban`, `invites` with `{user, reason?}`
//! - `POST mute` with `{user, seconds, reason?}` (0 seconds lifts it)
//! - `PUT topic` with `{topic}`
//! - `PUT` / `DELETE moderators/{user}` (owners)
//! - `PUT settings` with `{private, password, max_members}` (owners)
//! - `GET settings`: the room as its staff see it (staff only)

use actix_web::{web, HttpResponse};
use confab_shared::moderation::{ModAction, MuteRequest, RoomSettings, TopicRequest, UserTarget};
use confab_shared::UserName;

use super::rooms::parse_room;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

async fn run(
    state: &AppState,
    me: &CurrentUser,
    room: &str,
    action: ModAction,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(room)?;
    let entry = state
        .chat
        .moderate(&me.user, room, action, None, None)
        .await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// `POST /api/rooms/{room}/kick`.
pub async fn kick(
    me: CurrentUser,
    room: web::Path<String>,
    body: web::Json<UserTarget>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let UserTarget { user, reason } = body.into_inner();
    run(&state, &me, &room, ModAction::Kick { user, reason }).await
}

/// `POST /api/rooms/{room}/ban`.
pub async fn ban(
    me: CurrentUser,
    room: web::Path<String>,
    body: web::Json<UserTarget>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let UserTarget { user, reason } = body.into_inner();
    run(&state, &me, &room, ModAction::Ban { user, reason }).await
}

/// `POST /api/rooms/{room}/unban`.
pub async fn unban(
    me: CurrentUser,
    room: web::Path<String>,
    body: web::Json<UserTarget>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = body.into_inner().user;
    run(&state, &me, &room, ModAction::Unban { user }).await
}

/// `POST /api/rooms/{room}/invites`.
pub async fn invite(
    me: CurrentUser,
    room: web::Path<String>,
    body: web::Json<UserTarget>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = body.into_inner().user;
    run(&state, &me, &room, ModAction::Invite { user }).await
}

/// `POST /api/rooms/{room}/mute`.
pub async fn mute(
    me: CurrentUser,
    room: web::Path<String>,
    body: web::Json<MuteRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let MuteRequest {
        user,
        seconds,
        reason,
    } = body.into_inner();
    let action = ModAction::Mute {
        user,
        seconds,
        reason,
    };
    run(&state, &me, &room, action).await
}

/// `PUT /api/rooms/{room}/topic`.
pub async fn topic(
    me: CurrentUser,
    room: web::Path<String>,
    body: web::Json<TopicRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let topic = body.into_inner().topic;
    run(&state, &me, &room, ModAction::Topic { topic }).await
}

/// `PUT /api/rooms/{room}/moderators/{user}`.
pub async fn appoint(
    me: CurrentUser,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    moderator(me, path, state, true).await
}

/// `DELETE /api/rooms/{room}/moderators/{user}`.
pub async fn dismiss(
    me: CurrentUser,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    moderator(me, path, state, false).await
}

async fn moderator(
    me: CurrentUser,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    appoint: bool,
) -> Result<HttpResponse, AppError> {
    let (room, user) = path.into_inner();
    let user = UserName::parse(&user).map_err(|e| AppError::Invalid(e.to_string()))?;
    run(&state, &me, &room, ModAction::Moderator { user, appoint }).await
}

/// `PUT /api/rooms/{room}/settings`.
pub async fn settings(
    me: CurrentUser,
    room: web::Path<String>,
    body: web::Json<RoomSettings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    run(&state, &me, &room, ModAction::Settings(body.into_inner())).await
}

/// `GET /api/rooms/{room}/settings`.
pub async fn show_settings(
    me: CurrentUser,
    room: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(&room)?;
    Ok(HttpResponse::Ok().json(state.chat.room_admin(&me.user, &room).await?))
}
