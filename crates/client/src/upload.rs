//! Sending an image to `POST /api/rooms/{room}/attachments` with upload
//! progress (XMLHttpRequest: `fetch` reports no upload progress).
//!
//! The server checks the content itself; the checks here only spare the
//! user a pointless upload.

use confab_shared::{ErrorBody, RoomId};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Largest image the server accepts.
pub const MAX_BYTES: f64 = 5.0 * 1024.0 * 1024.0;
/// Types the server accepts (it checks the bytes, not this).
pub const ACCEPT: &str = "image/gif,image/png,image/jpeg,image/webp";

/// Why an image was not sent; `crate::words::upload_error` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    /// This file is not an image the server takes.
    NotImage(String),
    /// This file is over [`MAX_BYTES`].
    TooBig(String),
    /// The request did not reach the server.
    Unreachable,
    /// 413 from the server.
    TooLarge,
    /// 415 from the server.
    WrongType,
    /// The server refused it and said why.
    ServerSaid(String),
    /// Another status, with nothing said.
    Status(u16),
    /// The browser could not start the request.
    Browser(String),
}

/// Why an image is not worth sending, found before sending it.
pub fn precheck(file: &web_sys::File) -> Result<(), UploadError> {
    if !ACCEPT.split(',').any(|t| t == file.type_()) {
        return Err(UploadError::NotImage(file.name()));
    }
    if file.size() > MAX_BYTES {
        return Err(UploadError::TooBig(file.name()));
    }
    Ok(())
}

/// Starts the upload; `progress` gets 0..=100, `done` the outcome.
pub fn send(
    room: &RoomId,
    file: &web_sys::File,
    progress: impl Fn(u32) + 'static,
    done: impl FnOnce(Result<(), UploadError>) + 'static,
) -> Result<(), UploadError> {
    let js = |e: wasm_bindgen::JsValue| UploadError::Browser(format!("{e:?}"));
    let form = web_sys::FormData::new().map_err(js)?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(js)?;
    let xhr = web_sys::XmlHttpRequest::new().map_err(js)?;
    let room = String::from(js_sys::encode_uri_component(&room.to_string()));
    xhr.open("POST", &format!("/api/rooms/{room}/attachments"))
        .map_err(js)?;

    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress(((e.loaded() / e.total()) * 100.0).round().clamp(0.0, 100.0) as u32);
            }
        });
    xhr.upload()
        .map_err(js)?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));

    let finished = xhr.clone();
    let mut done = Some(done);
    let on_end = Closure::<dyn FnMut()>::new(move || {
        let Some(done) = done.take() else { return };
        let status = finished.status().unwrap_or(0);
        if status == 201 {
            done(Ok(()));
            return;
        }
        let body = finished.response_text().ok().flatten().unwrap_or_default();
        let said = serde_json::from_str::<ErrorBody>(&body)
            .map(|e| e.message)
            .ok()
            .filter(|m| !m.trim().is_empty());
        done(Err(match (status, said) {
            (0, _) => UploadError::Unreachable,
            (413, _) => UploadError::TooLarge,
            (415, _) => UploadError::WrongType,
            (_, Some(said)) => UploadError::ServerSaid(said),
            (other, None) => UploadError::Status(other),
        }));
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    xhr.send_with_opt_form_data(Some(&form)).map_err(js)?;
    // The request owns its callbacks until it ends; they are small and run once.
    on_progress.forget();
    on_end.forget();
    Ok(())
}

/// The image files among a list (from an input, a paste or a drop).
pub fn images(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .filter(|f| f.type_().starts_with("image/"))
        .collect()
}
