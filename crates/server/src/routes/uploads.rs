//! Images: `POST /api/rooms/{room}/attachments` (multipart field `file`,
//! optional `text` caption and `client_id`) stores an image under a
//! server-chosen name and posts it as a message; `GET /uploads/{file}`
//! serves it back (a direct conversation's images only to its two
//! participants). Quota, pixel caps and metadata removal: docs/PROTOCOL.md,
//! "Images".

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use confab_shared::{Attachment, ClientId, MessageText, RoomId, Timestamp};
use futures_util::TryStreamExt as _;

use super::created;
use crate::auth::{hash_token, token_from_request, CurrentUser};
use crate::chat::{Post, Target};
use crate::configuration::Settings;
use crate::error::AppError;
use crate::history::check_member;
use crate::image_kind::ImageKind;
use crate::image_meta;
use crate::state::AppState;
use crate::upload_files;
use confab_engine::store::{Blob, UploadQuota, UploadRecord};

/// Largest image accepted.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Room for the multipart framing and the small text fields.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// The upload quota's rolling window: a day.
const QUOTA_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
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
    let quota = quota_window(&state.settings);
    if let Some(q) = quota {
        // Refuse before reading the body when it cannot fit what is left.
        let used = state.store.uploaded_since(&me.user.id, q.since).await?;
        let left = q.bytes.saturating_sub(used);
        let over = declared.is_some_and(|len| len as u64 > left + MULTIPART_OVERHEAD as u64);
        if left == 0 || over {
            return Err(quota_exceeded(q.bytes));
        }
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
    let Inspected {
        kind,
        data: image,
        width,
        height,
    } = inspect(&image)?;

    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.extension());
    let record = UploadRecord {
        name: name.clone(),
        uploader_id: me.user.id.clone(),
        room: room.clone(),
        bytes: image.len() as u64,
        width,
        height,
        created_at: Timestamp::now().millis(),
    };
    // Recorded first: the quota counts it, and should anything below fail
    // the sweep finds the record without a message.
    if !state.store.record_upload(&record, quota).await? {
        return Err(quota_exceeded(state.settings.upload_quota_bytes));
    }
    let dir = state.settings.uploads_dir();
    let stored = match &dir {
        Some(dir) => upload_files::store_file(dir, &name, &image)
            .await
            .map_err(|e| AppError::Internal(format!("cannot store the upload: {e}"))),
        // PostgreSQL without a shared directory: every node serves it.
        None => {
            let blob = Blob {
                mime: kind.mime().to_owned(),
                data: image.clone(),
            };
            state
                .store
                .put_blob(&name, &blob)
                .await
                .map_err(AppError::from)
        }
    };
    if let Err(e) = stored {
        upload_files::discard(state.store.as_ref(), dir.as_deref(), &name).await;
        return Err(e);
    }
    let attachment = Attachment {
        url: format!("/uploads/{name}"),
        mime: kind.mime().to_owned(),
        bytes: image.len() as u64,
        width: Some(width),
        height: Some(height),
    };
    let action = Post {
        target: Target::Room(room),
        text: caption.into(),
        client_id,
        attachment: Some(attachment),
    };
    let url = action.attachment.as_ref().map(|a| a.url.clone());
    let posted = state.chat.post(&me.user, action, None).await;
    let keep = match &posted {
        // A repeated client_id returns the original message, which points
        // at the original image: this copy is unused.
        Ok(Some(message)) => message.attachment.as_ref().map(|a| &a.url) == url.as_ref(),
        Ok(None) => false,
        // After an internal or unavailable error the message may still have
        // been committed; the sweep decides by the stored messages later.
        Err(AppError::Internal(_) | AppError::Unavailable(_)) => true,
        // A refused post stored nothing: its image goes at once.
        Err(_) => false,
    };
    if !keep {
        upload_files::discard(state.store.as_ref(), dir.as_deref(), &name).await;
    }
    match posted? {
        Some(message) => Ok(created(&message)),
        None => Err(AppError::Internal("a post without its message".into())),
    }
}

/// An accepted image: its kind, its bytes as stored, its width and height.
struct Inspected {
    kind: ImageKind,
    data: Vec<u8>,
    width: u32,
    height: u32,
}

/// Checks an image by its content and header (type, size claimed) before
/// anything is stored, and returns it without its location and camera
/// metadata.
fn inspect(image: &[u8]) -> Result<Inspected, AppError> {
    let kind = ImageKind::sniff(image).ok_or_else(|| {
        AppError::UnsupportedMediaType("only GIF, PNG, JPEG and WebP images are accepted".into())
    })?;
    let (width, height) = image_meta::dimensions(kind, image).ok_or_else(|| {
        AppError::UnsupportedMediaType("the image's header is malformed: no size found".into())
    })?;
    if image_meta::too_big(width, height) {
        return Err(AppError::PayloadTooLarge(format!(
            "an image is at most {} pixels a side and {} megapixels; this one is {width}x{height}",
            image_meta::MAX_SIDE,
            image_meta::MAX_PIXELS / 1_000_000
        )));
    }
    let stripped = image_meta::strip_metadata(kind, image).ok_or_else(|| {
        AppError::UnsupportedMediaType("the image's structure is malformed".into())
    })?;
    Ok(Inspected {
        kind,
        data: stripped,
        width,
        height,
    })
}

fn quota_exceeded(quota: u64) -> AppError {
    AppError::QuotaExceeded(format!(
        "you may upload at most {} KiB per 24 hours: try again later",
        quota / 1024
    ))
}

/// The uploader's allowance over the rolling day, `None` when unlimited.
fn quota_window(settings: &Settings) -> Option<UploadQuota> {
    (settings.upload_quota_bytes > 0).then(|| UploadQuota {
        bytes: settings.upload_quota_bytes,
        since: Timestamp::now().millis() - QUOTA_WINDOW_MS,
    })
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
    let kind = upload_files::upload_name(&name).ok_or_else(not_found)?;
    let room = state
        .store
        .upload_room(&name)
        .await?
        .ok_or_else(not_found)?;
    // A direct conversation's images go only to its two participants;
    // anyone else learns nothing, not even that the image exists.
    let private = room.is_direct();
    if private {
        let token = token_from_request(&req).ok_or_else(not_found)?;
        let viewer = state.store.user_by_token(&hash_token(&token)).await?;
        if !viewer.is_some_and(|u| room.admits(&u.name)) {
            return Err(not_found());
        }
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
    // Names are never reused, so the bytes never change; a DM image must
    // not sit in a shared cache.
    let cache = if private {
        "private, max-age=31536000, immutable"
    } else {
        "public, max-age=31536000, immutable"
    };
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(cache),
    );
    Ok(res)
}
