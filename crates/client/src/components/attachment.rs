//! An image (or other file) attached to a message.

use confab_shared::Attachment;
use leptos::prelude::*;

use crate::components::image_viewer::ImageViewer;
use crate::dom;
use crate::format::{human_bytes, is_inline_image, safe_media_url};
use crate::i18n::{t, t_string, use_i18n};

/// The box an image takes before it loads: its own proportions when the
/// message says its size (never wider than the image itself, so a small
/// one is not blown up), 4:3 otherwise.
fn box_style(attachment: &Attachment) -> String {
    match (attachment.width, attachment.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => {
            format!("aspect-ratio: {w} / {h}; max-width: min(20rem, 100%, {w}px)")
        }
        _ => "aspect-ratio: 4 / 3".to_owned(),
    }
}

/// Shows an image inline, in a box whose size is reserved before it loads
/// (so the list does not jump); a click opens it full size in a viewer
/// (Escape closes it). An animated GIF waits for that click when the
/// system asks for reduced motion. Other files become a link; a URL that
/// leaves this site is not shown.
#[component]
pub fn AttachmentView(
    /// The attachment as the message carries it.
    attachment: Attachment,
    /// Who sent it, for the image's alternative text.
    from: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let size = human_bytes(attachment.bytes);
    let url = safe_media_url(&attachment.url).map(str::to_owned);
    match url {
        Some(url) if is_inline_image(&attachment) => {
            let open = RwSignal::new(false);
            let alt = Signal::derive(move || t_string!(i18n, image_alt, from = from.clone(), size = size.clone()));
            let still = attachment.mime == "image/gif" && dom::prefers_reduced_motion();
            let style = box_style(&attachment);
            let (width, height) = (attachment.width, attachment.height);
            let inline = if still {
                view! { <span class="gif-still">{t!(i18n, gif_still)}</span> }.into_any()
            } else {
                view! {
                    <img
                        src=url.clone()
                        alt=move || alt.get()
                        loading="lazy"
                        decoding="async"
                        width=width.map(|w| w.to_string())
                        height=height.map(|h| h.to_string())
                    />
                }
                .into_any()
            };
            view! {
                <a
                    class="attachment"
                    class:still=still
                    href=url.clone()
                    style=style
                    aria-label=move || t_string!(i18n, image_open, alt = alt.get())
                    on:click=move |ev: leptos::ev::MouseEvent| {
                        // A plain click opens the viewer; with a modifier
                        // the browser opens the link (a new tab, a download).
                        if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
                            ev.prevent_default();
                            open.set(true);
                        }
                    }
                >
                    {inline}
                </a>
                <ImageViewer url=url alt=alt open=open/>
            }
            .into_any()
        }
        Some(url) => view! {
            <a class="attachment-file" href=url target="_blank" rel="noopener noreferrer">
                {move || t_string!(i18n, attachment_file, mime = attachment.mime.clone(), size = size.clone())}
            </a>
        }
        .into_any(),
        None => view! { <span class="attachment-file">{t!(i18n, attachment_hidden)}</span> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_takes_the_images_proportions_when_known() {
        let mut a = Attachment {
            url: "/uploads/a.png".into(),
            mime: "image/png".into(),
            bytes: 1,
            width: Some(640),
            height: Some(480),
        };
        assert_eq!(
            box_style(&a),
            "aspect-ratio: 640 / 480; max-width: min(20rem, 100%, 640px)"
        );
        a.height = Some(0);
        assert_eq!(box_style(&a), "aspect-ratio: 4 / 3");
        a.width = None;
        assert_eq!(box_style(&a), "aspect-ratio: 4 / 3");
    }
}
