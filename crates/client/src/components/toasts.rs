//! Toasts for direct messages, mentions, invitations and errors.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::ToastKind;
use crate::words;

/// The stack of toasts in a corner. A toast about a room opens it when
/// pressed; each can be dismissed. They expire by themselves.
#[component]
pub fn Toasts() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    view! {
        <section class="toasts" aria-label=move || t_string!(i18n, notifications) aria-live="polite">
            <For
                each=move || chat.toasts.get()
                key=|t| t.id
                children=move |toast| {
                    let id = toast.id;
                    let class = match toast.kind {
                        ToastKind::Dm => "toast dm",
                        ToastKind::Mention => "toast mention",
                        ToastKind::System => "toast system",
                        ToastKind::Error => "toast error",
                        ToastKind::Invite => "toast invite",
                    };
                    let (kind, from, room) = (toast.kind, toast.from.clone(), toast.room.clone());
                    let heading = move || {
                        words::notice_title(i18n.get_locale(), kind, from.as_ref(), room.as_ref())
                    };
                    let body = toast.body.clone();
                    let text = move || words::toast_body(i18n.get_locale(), &body);
                    let room = toast.room.clone();
                    let body = match room {
                        // An invitation: its own Join button.
                        Some(room) if kind == ToastKind::Invite => view! {
                            <div class="toast-body">
                                <strong>{heading}</strong>
                                <span>{text}</span>
                                <button
                                    type="button"
                                    class="join-invite"
                                    on:click=move |_| {
                                        chat.join(room.clone());
                                        chat.dismiss(id);
                                    }
                                >
                                    {t!(i18n, join)}
                                </button>
                            </div>
                        }
                        .into_any(),
                        Some(room) => view! {
                            <button
                                type="button"
                                class="toast-body"
                                on:click=move |_| {
                                    chat.select(room.clone());
                                    chat.dismiss(id);
                                }
                            >
                                <strong>{heading}</strong>
                                <span>{text}</span>
                            </button>
                        }
                        .into_any(),
                        None => view! {
                            <div class="toast-body">
                                <strong>{heading}</strong>
                                <span>{text}</span>
                            </div>
                        }
                        .into_any(),
                    };
                    view! {
                        <div class=class>
                            {body}
                            <button
                                type="button"
                                class="toast-close"
                                aria-label=move || t_string!(i18n, dismiss)
                                on:click=move |_| chat.dismiss(id)
                            >
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </section>
    }
}
