//! Images: `POST /api/rooms/{room}/attachments` (multipart field `file`,
//! optional `text` caption and `client_id`) stores an image under a
//! server-chosen name and posts it as a message; `GET /uploads/{file}`
//! serves it back.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use confab_shared::{Attachment, ClientId, MessageText, RoomId};
use futures_util::TryStreamExt as _;
use tokio::io::AsyncWriteExt as _;

use super::rooms::run_post;
use crate::auth::CurrentUser;
use crate::chat::{Post, Target};
use crate::error::AppError;
use crate::history::check_member;
use crate::image_kind::ImageKind;
use crate::state::AppState;
use confab_engine::store::Blob;

/// Largest image accepted.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Room for the multipart framing and the small text fields.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// Largest caption or client_id field read.
const MAX_TEXT_FIELD: usize = 16 * 1024;

fn too_large() -> AppError {
    AppError::PayloadTooLarge(format!(
        "an image is at most {} MiB",
        MAX_UPLOAD_BYTES / 1024 / 1024
    ))
}

fn bad_multipart(e: impl std::fmt::Display) -> AppError {
    AppError::Invalid(format!("send multipart/form-data with a `file` field: {e}"))
}

/// Reads a whole field, refusing more than `limit` bytes.
async fn read_field(field: &mut actix_multipart::Field, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut data = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(bad_multipart)? {
        if data.len() + chunk.len() > limit {
            return Err(if limit == MAX_UPLOAD_BYTES {
                too_large()
            } else {
                AppError::Invalid("a text field is too long".into())
            });
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

pub async fn upload(
    req: HttpRequest,
    me: CurrentUser,
    path: web::Path<String>,
    mut form: Multipart,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let room = RoomId::parse(&path).map_err(|e| AppError::Invalid(e.to_string()))?;
    // Refuse before reading a byte of the body when we already can.
    check_member(state.store.as_ref(), &me.user, &room).await?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD) {
        return Err(too_large());
    }

    let (mut image, mut caption, mut client_id) = (None, String::new(), None);
    while let Some(mut field) = form.try_next().await.map_err(bad_multipart)? {
        match field.name().unwrap_or_default() {
            "file" => image = Some(read_field(&mut field, MAX_UPLOAD_BYTES).await?),
            "text" => {
                let raw = read_field(&mut field, MAX_TEXT_FIELD).await?;
                caption = String::from_utf8(raw)
                    .map_err(|_| AppError::Invalid("text is not UTF-8".into()))?;
            }
            "client_id" => {
                let raw = read_field(&mut field, MAX_TEXT_FIELD).await?;
                let raw = String::from_utf8(raw)
                    .map_err(|_| AppError::Invalid("client_id is not UTF-8".into()))?;
                client_id =
                    Some(ClientId::parse(&raw).map_err(|e| AppError::Invalid(e.to_string()))?);
            }
            // Unknown fields are drained and ignored.
            _ => {
                read_field(&mut field, MAX_UPLOAD_BYTES).await?;
            }
        }
    }
    let image = image.ok_or_else(|| AppError::Invalid("the form has no `file` field".into()))?;
    let caption = MessageText::caption(&caption).map_err(|e| AppError::Invalid(e.to_string()))?;
    let kind = ImageKind::sniff(&image).ok_or_else(|| {
        AppError::UnsupportedMediaType("only GIF, PNG, JPEG and WebP images are accepted".into())
    })?;

    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.extension());
    match state.settings.uploads_dir() {
        Some(dir) => store_file(&dir, &name, &image).await?,
        // PostgreSQL without a shared directory: every node serves it.
        None => {
            let blob = Blob {
                mime: kind.mime().to_owned(),
                data: image.clone(),
            };
            state.store.put_blob(&name, &blob).await?;
        }
    }
    let attachment = Attachment {
        url: format!("/uploads/{name}"),
        mime: kind.mime().to_owned(),
        bytes: image.len() as u64,
    };
    let action = Post {
        target: Target::Room(room),
        text: caption.into(),
        client_id,
        attachment: Some(attachment),
    };
    run_post(&state, me, action).await
}

/// Writes the file durably (temp name, fsync, rename) before the message
/// that points at it can be acknowledged.
async fn store_file(dir: &std::path::Path, name: &str, data: &[u8]) -> Result<(), AppError> {
    let io = |e: std::io::Error| AppError::Internal(format!("cannot store the upload: {e}"));
    let tmp = dir.join(format!(".{name}.part"));
    let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
    file.write_all(data).await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    drop(file);
    tokio::fs::rename(&tmp, dir.join(name)).await.map_err(io)?;
    Ok(())
}

/// `GET /uploads/{file}`: only names the server itself chose are served,
/// so no path can reach outside the uploads directory.
pub async fn serve(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let not_found = || AppError::NotFound("no such upload".into());
    let name = path.into_inner();
    let (stem, ext) = name.split_once('.').ok_or_else(not_found)?;
    let kind = ImageKind::from_extension(ext).ok_or_else(not_found)?;
    if stem.len() != 32
        || !stem
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(not_found());
    }
    let mut res = match state.settings.uploads_dir() {
        Some(dir) => actix_files::NamedFile::open_async(dir.join(&name))
            .await
            .map_err(|_| not_found())?
            .set_content_type(kind.mime().parse().map_err(|_| not_found())?)
            .disable_content_disposition()
            .into_response(&req),
        None => {
            let blob = state.store.get_blob(&name).await?.ok_or_else(not_found)?;
            HttpResponse::Ok().content_type(kind.mime()).body(blob.data)
        }
    };
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(res)
}
