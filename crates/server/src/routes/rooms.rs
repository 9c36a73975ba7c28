//! `/api/rooms`: list rooms, read and post messages without a socket.

use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use confab_shared::moderation::JoinRequest;
use confab_shared::{ClientId, HistoryLimit, MessageText, PublicRoom, RoomId, RoomList};
use serde::{Deserialize, Serialize};

use super::created;
use crate::auth::CurrentUser;
use crate::chat::{Post, Target};
use crate::error::AppError;
use crate::history::{mark_read, read_history, HistoryQuery};
use crate::state::AppState;

pub(super) fn parse_room(raw: &str) -> Result<RoomId, AppError> {
    RoomId::parse(raw).map_err(|e| AppError::Invalid(e.to_string()))
}

/// Rooms per page of `GET /api/rooms`, by default and at most.
pub const ROOMS_PAGE: u32 = 100;

#[derive(Deserialize)]
pub struct ListParams {
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page cursor: the last room name of the page, base64url. Clients pass
/// it back as they got it (it may change shape; they must not build one).
fn encode_cursor(room: &RoomId) -> String {
    URL_SAFE_NO_PAD.encode(room.to_string())
}

fn decode_cursor(raw: &str) -> Result<RoomId, AppError> {
    let bad = || AppError::Invalid(format!("{raw:?} is not a cursor of GET /api/rooms"));
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let name = String::from_utf8(bytes).map_err(|_| bad())?;
    match RoomId::parse(&name) {
        Ok(room) if !room.is_direct() => Ok(room),
        _ => Err(bad()),
    }
}

/// `GET /api/rooms?limit=&cursor=`: public rooms by name, a page at a time,
/// with member counts (store) and online counts (the shared presence
/// record, see [`crate::online`]). Needs no session, so it puts no work
/// on the hub.
pub async fn list(
    params: web::Query<ListParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let limit = params.limit.unwrap_or(ROOMS_PAGE).clamp(1, ROOMS_PAGE);
    let after = params.cursor.as_deref().map(decode_cursor).transpose()?;
    // One more than the page tells whether there is a next one.
    let mut rooms = state.store.public_rooms(after.as_ref(), limit + 1).await?;
    let more = rooms.len() > limit as usize;
    rooms.truncate(limit as usize);
    let next_cursor = more
        .then(|| rooms.last().map(|r| encode_cursor(&r.room)))
        .flatten();
    let online = state.online.counts();
    let rooms = rooms
        .into_iter()
        .map(|r| PublicRoom {
            online: online.get(&r.room).copied().unwrap_or(0),
            name: r.room,
            members: r.members,
            latest_seq: r.latest_seq,
        })
        .collect();
    Ok(HttpResponse::Ok().json(RoomList { rooms, next_cursor }))
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

/// `POST /api/rooms/{room}/join`: the `joined` frame, for bots without a
/// socket. An optional body `{"password"}` carries the room password.
pub async fn join(
    me: CurrentUser,
    path: web::Path<String>,
    body: Option<web::Json<JoinRequest>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = parse_room(&path)?;
    let password = body.and_then(|b| b.into_inner().password);
    let reply = state
        .chat
        .join(&me.user, room, None, password, None)
        .await?;
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
