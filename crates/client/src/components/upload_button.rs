//! The place for the upload button (a later issue).

use confab_shared::RoomId;
use leptos::prelude::*;

/// Will post an image to `POST /api/rooms/{room}/attachments` (multipart,
/// field `file`; GIF, PNG, JPEG or WebP, at most 5 MiB); the server then
/// broadcasts the message with its `attachment`, which
/// [`AttachmentView`](super::attachment::AttachmentView) already renders.
/// Until that issue is done it renders nothing; the composer already keeps
/// its slot.
#[component]
pub fn UploadButton(
    /// The room the image goes to.
    room: Signal<Option<RoomId>>,
    /// Whether uploading is possible now (socket open).
    enabled: Signal<bool>,
) -> impl IntoView {
    let _ = (room, enabled);
}
