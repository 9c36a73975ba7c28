//! `/api/dm/{user}/messages`: a direct message without a socket.

use actix_web::{web, HttpResponse};
use confab_shared::UserName;

use super::rooms::{post_to, PostBody};
use crate::auth::CurrentUser;
use crate::chat::Target;
use crate::error::AppError;
use crate::state::AppState;

pub async fn post(
    me: CurrentUser,
    path: web::Path<String>,
    body: web::Json<PostBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let to = UserName::parse(&path).map_err(|e| AppError::Invalid(e.to_string()))?;
    post_to(&state, me, Target::User(to), &body).await
}
