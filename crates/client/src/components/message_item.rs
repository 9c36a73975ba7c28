//! One message of the list.

use confab_shared::mention::mentions_of;
use leptos::prelude::*;

use crate::chat::{Chat, Entry};
use crate::components::attachment::AttachmentView;
use crate::components::message_editor::MessageEditor;
use crate::dom;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::{fallback_color, SendStatus};
use crate::{timefmt, words};

/// A message: author (in their colour) and time when it starts a group,
/// the text (always as text, never HTML), its image, and for a message of
/// ours not yet confirmed its state, with "Retry" when it failed.
///
/// Text and names are isolated (`dir="auto"`, `<bdi>`): bidi controls stay
/// in message text, and this keeps a stray right-to-left override inside
/// one message or name from reordering anything around it.
#[component]
pub fn MessageItem(
    /// The message, stored or still pending.
    entry: Entry,
    /// Show the author line (first message of a group).
    show_author: bool,
    /// Sent by the signed-in user: set apart.
    own: bool,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let me = chat.me.get_untracked();
    // Where a stored message is, and what happened to it since.
    let mut stored = None;
    let (from, text, ts, attachment, status, client_id) = match entry {
        Entry::Stored(m) => {
            stored = Some((m.room.clone(), m.seq, m.edited, m.deleted));
            (
                m.from.clone(),
                m.text.clone(),
                m.ts.millis(),
                m.attachment.clone(),
                None,
                None,
            )
        }
        Entry::Pending(p) => match me.as_ref() {
            Some(me) => (
                me.name.clone(),
                p.text.as_str().to_owned(),
                p.ts_ms,
                None,
                Some(p.status.clone()),
                Some(p.client_id.clone()),
            ),
            None => return ().into_any(),
        },
    };
    let color = chat
        .color_of(&from)
        .unwrap_or_else(|| fallback_color(&from));
    let offset = dom::tz_offset(ts);
    let clock = timefmt::clock(ts, offset);
    let full = move || words::full_time(i18n.get_locale(), ts, offset);
    let iso = confab_shared::Timestamp::from_millis(ts).to_string();
    let sending = status == Some(SendStatus::Sending);
    let waiting = status == Some(SendStatus::Waiting);
    let failed = match &status {
        Some(SendStatus::Failed(reason)) => Some(reason.clone()),
        _ => None,
    };
    let author = from.to_string();
    // Someone else's message that mentions the reader (the server's rule:
    // the longest name after `@`, so `@민수님` is 민수) stands out.
    let mentions_me = !own
        && me.as_ref().is_some_and(|me| {
            let mine = me.name.key();
            !mentions_of(&text, |key| key == mine).is_empty()
        });
    let failed_class = failed.is_some();
    let status_view = match (failed, client_id) {
        (Some(reason), Some(id)) => {
            let retry_id = id.clone();
            Some(
                view! {
                    <p class="send-status failed" role="alert">
                        <span>
                            {move || {
                                let reason = words::problem(i18n.get_locale(), &reason);
                                t_string!(i18n, not_sent, reason)
                            }}
                        </span>
                        <button type="button" on:click=move |_| chat.retry(retry_id.clone())>
                            {t!(i18n, retry)}
                        </button>
                        <button type="button" on:click=move |_| chat.discard(id.clone())>
                            {t!(i18n, delete)}
                        </button>
                    </p>
                }
                .into_any(),
            )
        }
        _ if sending => Some(view! { <p class="send-status">{t!(i18n, sending)}</p> }.into_any()),
        _ if waiting => {
            Some(view! { <p class="send-status waiting">{t!(i18n, waiting)}</p> }.into_any())
        }
        _ => None,
    };
    let deleted = stored.as_ref().is_some_and(|s| s.3);
    let edited = stored
        .as_ref()
        .filter(|_| !deleted)
        .and_then(|s| s.2)
        .map(|at| {
            let ms = at.millis();
            let title = move || {
                let when = words::full_time(i18n.get_locale(), ms, dom::tz_offset(ms));
                t_string!(i18n, edited_at, when)
            };
            view! { <span class="edited" title=title>{t!(i18n, edited)}</span> }
        });
    // Our own stored message can be edited in place or deleted.
    let editing = RwSignal::new(false);
    let changeable = stored
        .clone()
        .filter(|_| own && !deleted)
        .map(|(room, seq, ..)| (room, seq));
    // Up in the empty composer asks for this one.
    if let Some(seq) = changeable.as_ref().map(|(_, seq)| *seq) {
        Effect::new(move |_| {
            if chat.edit_request.get() == Some(seq) {
                chat.edit_request.set(None);
                editing.set(true);
            }
        });
    }
    let body = match (deleted, changeable.clone()) {
        (true, _) => view! { <p class="text deleted">{t!(i18n, deleted)}</p> }.into_any(),
        (false, Some((room, seq))) => {
            let shown = text.clone();
            view! {
                <Show
                    when=move || editing.get()
                    fallback=move || {
                        (!shown.is_empty())
                            .then(|| view! { <p class="text" dir="auto">{shown.clone()}</p> })
                    }
                >
                    <MessageEditor room=room.clone() seq=seq text=text.clone() editing=editing/>
                </Show>
            }
            .into_any()
        }
        (false, None) => (!text.is_empty())
            .then(|| view! { <p class="text" dir="auto">{text.clone()}</p> })
            .into_any(),
    };
    // Anyone else's message, for the room's staff: Delete only.
    let staff_delete = stored
        .clone()
        .filter(|_| !own && !deleted)
        .map(|(room, seq, ..)| {
            let name = author.clone();
            let delete = move |_| {
                let name = name.clone();
                if dom::confirm(&t_string!(i18n, delete_any_confirm, name)) {
                    chat.delete(room.clone(), seq);
                }
            };
            view! {
                <Show when=move || chat.active_role().moderates()>
                    <div class="message-actions">
                        <button
                            type="button"
                            class="delete-message"
                            aria-label=move || t_string!(i18n, delete_message)
                            on:click=delete.clone()
                        >
                            {t!(i18n, delete)}
                        </button>
                    </div>
                </Show>
            }
        });
    let actions = changeable.map(|(room, seq)| {
        view! {
            <div class="message-actions">
                <button
                    type="button"
                    class="edit-message"
                    aria-label=move || t_string!(i18n, edit_message)
                    on:click=move |_| editing.set(true)
                >
                    {t!(i18n, edit)}
                </button>
                <button
                    type="button"
                    class="delete-message"
                    aria-label=move || t_string!(i18n, delete_message)
                    on:click=move |_| {
                        if dom::confirm(t_string!(i18n, delete_message_confirm)) {
                            chat.delete(room.clone(), seq);
                        }
                    }
                >
                    {t!(i18n, delete)}
                </button>
            </div>
        }
    });
    view! {
        <li
            class="message"
            class:deleted=deleted
            class:own=own
            class:grouped=!show_author
            class:pending=sending || waiting
            class:failed=failed_class
            class:mention=mentions_me
            style=format!("--author-color: {color}")
        >
            {show_author
                .then(|| {
                    view! {
                        <p class="meta">
                            <bdi class="author">{author.clone()}</bdi>
                            <time datetime=iso.clone() title=full>{clock.clone()}</time>
                        </p>
                    }
                })}
            {(!show_author)
                .then(|| {
                    view! {
                        <bdi class="visually-hidden">{author.clone()}</bdi>
                        <time class="side-time" datetime=iso title=full>
                            {clock}
                        </time>
                    }
                })}
            {body}
            {edited}
            {attachment
                .filter(|_| !deleted)
                .map(|a| view! { <AttachmentView attachment=a from=author/> })}
            {status_view}
            {actions}
            {staff_delete}
        </li>
    }
    .into_any()
}
