//! The attach button: pick, paste or drop an image to share it.

use confab_shared::RoomId;
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use crate::upload::{self, UploadError};
use crate::words;

/// What the upload area shows.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Idle,
    Sending {
        name: String,
        percent: u32,
    },
    /// Which file (if the failure is about one) and why.
    Failed(Option<String>, UploadError),
}

/// Posts images to `POST /api/rooms/{room}/attachments` (multipart, field
/// `file`) with a progress bar. Besides the button, an image pasted
/// anywhere on the page or dropped on it goes to the same room. The server
/// broadcasts the message with its `attachment` to every tab, this one
/// included, where [`AttachmentView`](super::attachment::AttachmentView)
/// shows it inline.
#[component]
pub fn UploadButton(
    /// The room the image goes to.
    room: Signal<Option<RoomId>>,
    /// Whether uploading is possible now (socket open).
    enabled: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let status = RwSignal::new(Status::Idle);
    let input = NodeRef::<leptos::html::Input>::new();

    let start = move |file: web_sys::File| {
        let Some(room) = room.get_untracked() else {
            return;
        };
        if !enabled.get_untracked() || matches!(status.get_untracked(), Status::Sending { .. }) {
            return;
        }
        if let Err(why) = upload::precheck(&file) {
            status.set(Status::Failed(None, why));
            return;
        }
        let name = file.name();
        status.set(Status::Sending {
            name: name.clone(),
            percent: 0,
        });
        let progress_name = name.clone();
        let started = upload::send(
            &room,
            &file,
            move |percent| {
                status.set(Status::Sending {
                    name: progress_name.clone(),
                    percent,
                })
            },
            move |outcome| match outcome {
                Ok(()) => status.set(Status::Idle),
                Err(why) => status.set(Status::Failed(Some(name), why)),
            },
        );
        if let Err(why) = started {
            status.set(Status::Failed(None, why));
        }
    };

    // Paste and drag-and-drop anywhere on the page (browser only).
    Effect::new(move |_| {
        let on_paste = window_event_listener(leptos::ev::paste, move |e| {
            let files = e.clipboard_data().and_then(|d| d.files());
            if let Some(file) = upload::images(files).into_iter().next() {
                e.prevent_default();
                start(file);
            }
        });
        let on_over = window_event_listener(leptos::ev::dragover, move |e| {
            // Without this the browser would open the file instead.
            e.prevent_default();
        });
        let on_drop = window_event_listener(leptos::ev::drop, move |e| {
            e.prevent_default();
            let files = e.data_transfer().and_then(|d| d.files());
            if let Some(file) = upload::images(files).into_iter().next() {
                start(file);
            }
        });
        on_cleanup(move || {
            on_paste.remove();
            on_over.remove();
            on_drop.remove();
        });
    });

    let on_change = move |_| {
        let Some(el) = input.get() else { return };
        if let Some(file) = upload::images(el.files()).into_iter().next() {
            start(file);
        }
        // Picking the same file again must fire `change` again.
        el.set_value("");
    };

    view! {
        <div class="upload">
            <label
                class="attach"
                class:disabled=move || !enabled.get()
                title=move || t_string!(i18n, upload_title)
            >
                <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none"
                    stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    <path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/>
                </svg>
                <span class="visually-hidden">{t!(i18n, attach_image)}</span>
                <input
                    node_ref=input
                    id="upload-input"
                    class="visually-hidden"
                    type="file"
                    accept=upload::ACCEPT
                    disabled=move || !enabled.get()
                    on:change=on_change
                />
            </label>
            <div class="upload-status" role="status" aria-live="polite">
                {move || match status.get() {
                    Status::Idle => None,
                    Status::Sending { name, percent } => Some(view! {
                        <span class="upload-progress">
                            <progress max="100" value=percent></progress>
                            " "
                            {t_string!(i18n, uploading, name, percent)}
                        </span>
                    }.into_any()),
                    Status::Failed(file, why) => Some(view! {
                        <span class="upload-error" role="alert">
                            {
                                let locale = i18n.get_locale();
                                let reason = words::upload_error(locale, &why);
                                match file {
                                    Some(name) => crate::i18n::td_string!(locale, upload_failed_named, name, reason),
                                    None => reason,
                                }
                            }
                            <button type="button" class="link-button" on:click=move |_| status.set(Status::Idle)>
                                {t!(i18n, dismiss)}
                            </button>
                        </span>
                    }.into_any()),
                }}
            </div>
        </div>
    }
}
