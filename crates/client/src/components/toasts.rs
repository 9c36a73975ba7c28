//! Toasts for direct messages, mentions and errors.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::state::ToastKind;

/// The stack of toasts in a corner. A toast about a room opens it when
/// pressed; each can be dismissed. They expire by themselves.
#[component]
pub fn Toasts() -> impl IntoView {
    let chat = expect_context::<Chat>();
    view! {
        <section class="toasts" aria-label="Notifications" aria-live="polite">
            <For
                each=move || chat.toasts.get()
                key=|t| t.id
                children=move |toast| {
                    let id = toast.id;
                    let (class, heading) = match toast.kind {
                        ToastKind::Dm => ("toast dm", format!("{} wrote to you", name(&toast.from))),
                        ToastKind::Mention => {
                            (
                                "toast mention",
                                format!(
                                    "{} mentioned you{}",
                                    name(&toast.from),
                                    toast.room.as_ref().map(|r| format!(" in #{r}")).unwrap_or_default(),
                                ),
                            )
                        }
                        ToastKind::System => ("toast system", "Notice".to_owned()),
                        ToastKind::Error => ("toast error", "Problem".to_owned()),
                    };
                    let room = toast.room.clone();
                    let text = toast.text.clone();
                    let body = match room {
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
                                aria-label="Dismiss"
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

fn name(from: &Option<confab_shared::UserName>) -> String {
    from.as_ref()
        .map(|n| n.to_string())
        .unwrap_or_else(|| "Someone".to_owned())
}
