//! `/api/rooms`: list rooms, read and post messages without a socket.

use actix_web::{web, HttpResponse};
use confab_shared::{ClientId, HistoryLimit, MessageText, PublicRoom, RoomId};
use serde::{Deserialize, Serialize};

use super::created;
use crate::auth::CurrentUser;
use crate::chat::{Post, Target};
use crate::error::AppError;
use crate::history::{mark_read, read_history, HistoryQuery};
use crate::state::AppState;

fn parse_room(raw: &str) -> Result<RoomId, AppError> {
    RoomId::parse(raw).map_err(|e| AppError::Invalid(e.to_string()))
}

/// `GET /api/rooms`: public rooms with member and online counts.
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rooms = state.store.public_rooms().await?;
    let online = state
        .hub
        .online_counts(rooms.iter().map(|r| r.room.clone()).collect())
        .await?;
    let body: Vec<PublicRoom> = rooms
        .into_iter()
        .zip(online)
        .map(|(r, online)| PublicRoom {
            name: r.room,
            members: r.members,
            online,
            latest_seq: r.latest_seq,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct HistoryParams {
    after: Option<u64>,
    before: Option<u64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct HistoryBody {
    room: RoomId,
    messages: Vec<confab_shared::Message>,
    more: bool,
}

/// `GET /api/rooms/{room}/messages?after=&before=&limit=` (members only).
pub async fn history(
    me: CurrentUser,
    path: web::Path<String>,
    params: web::Query<HistoryParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(&path)?;
    let limit = match params.limit {
        Some(raw) => HistoryLimit::parse(raw).map_err(|e| AppError::Invalid(e.to_string()))?,
        None => HistoryLimit::default(),
    };
    let query = HistoryQuery {
        after: params.after,
        before: params.before,
        limit,
    };
    let page = read_history(state.store.as_ref(), &me.user, &room, query).await?;
    Ok(HttpResponse::Ok().json(HistoryBody {
        room,
        messages: page.messages,
        more: page.more,
    }))
}

/// Body of the HTTP send routes.
#[derive(Deserialize)]
pub struct PostBody {
    pub text: String,
    pub client_id: Option<String>,
}

impl PostBody {
    /// Validates the body into the parts of a post.
    pub fn parse(&self) -> Result<(MessageText, Option<ClientId>), AppError> {
        let text = MessageText::parse(&self.text).map_err(|e| AppError::Invalid(e.to_string()))?;
        let client_id = self
            .client_id
            .as_deref()
            .map(ClientId::parse)
            .transpose()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok((text, client_id))
    }
}

/// Runs a post through the hub (like a socket's) and answers 201 with the
/// stored message.
pub async fn run_post(
    state: &AppState,
    me: CurrentUser,
    post: Post,
) -> Result<HttpResponse, AppError> {
    match state.chat.post(&me.user, post, None).await? {
        Some(message) => Ok(created(&message)),
        None => Err(AppError::Internal("a post without its message".into())),
    }
}

/// A text post from an HTTP body.
pub async fn post_to(
    state: &AppState,
    me: CurrentUser,
    target: Target,
    body: &PostBody,
) -> Result<HttpResponse, AppError> {
    let (text, client_id) = body.parse()?;
    run_post(state, me, Post::text(target, text, client_id)).await
}

/// `POST /api/rooms/{room}/messages {"text","client_id"?}`.
pub async fn post(
    me: CurrentUser,
    path: web::Path<String>,
    body: web::Json<PostBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(&path)?;
    post_to(&state, me, Target::Room(room), &body).await
}

/// `POST /api/rooms/{room}/join`: the `joined` frame, for bots without a socket.
pub async fn join(
    me: CurrentUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(&path)?;
    let reply = state.chat.join(&me.user, room, None, None).await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// `POST /api/rooms/{room}/leave`.
pub async fn leave(
    me: CurrentUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(&path)?;
    let reply = state.chat.leave(&me.user, room).await?;
    Ok(HttpResponse::Ok().json(reply))
}

#[derive(Deserialize)]
pub struct ReadBody {
    seq: u64,
}

/// `POST /api/rooms/{room}/read {"seq"}`: moves the read cursor.
pub async fn read(
    me: CurrentUser,
    path: web::Path<String>,
    body: web::Json<ReadBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(&path)?;
    mark_read(state.store.as_ref(), &me.user, &room, body.seq).await?;
    Ok(HttpResponse::NoContent().finish())
}
