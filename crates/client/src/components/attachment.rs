//! An image (or other file) attached to a message.

use confab_shared::Attachment;
use leptos::prelude::*;

use crate::format::{human_bytes, is_inline_image, safe_media_url};

/// Shows an image inline, in a box whose size is reserved before it loads
/// (so the list does not jump); a click opens it full size in a new tab.
/// Other files become a link; a URL that leaves this site is not shown.
#[component]
pub fn AttachmentView(
    /// The attachment as the message carries it.
    attachment: Attachment,
    /// Who sent it, for the image's alternative text.
    from: String,
) -> impl IntoView {
    let size = human_bytes(attachment.bytes);
    let url = safe_media_url(&attachment.url).map(str::to_owned);
    match url {
        Some(url) if is_inline_image(&attachment) => view! {
            <a class="attachment" href=url.clone() target="_blank" rel="noopener noreferrer">
                <img
                    src=url.clone()
                    alt=format!("Image from {from} ({size}); opens full size")
                    loading="lazy"
                    decoding="async"
                    width="320"
                    height="240"
                />
            </a>
        }
        .into_any(),
        Some(url) => view! {
            <a class="attachment-file" href=url target="_blank" rel="noopener noreferrer">
                {format!("Attachment ({}, {size})", attachment.mime)}
            </a>
        }
        .into_any(),
        None => view! { <span class="attachment-file">"(attachment not shown)"</span> }.into_any(),
    }
}
