//! Editing one's own message in place.

use confab_shared::{MessageText, RoomId};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::dom;
use crate::i18n::{t, use_i18n};
use crate::words;

/// A text box over a message of ours, holding its text: Enter (outside an
/// IME composition) or "Save" sends the edit, Escape or "Cancel" puts the
/// message back as it was. The new text shows once the server stored it.
#[component]
pub fn MessageEditor(
    /// The message's room.
    room: RoomId,
    /// The message's seq.
    seq: u64,
    /// Its text now, which the box starts with.
    text: String,
    /// Set to false when editing ends (saved or cancelled).
    editing: RwSignal<bool>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let room = StoredValue::new(room);
    let draft = RwSignal::new(text);
    let i18n = use_i18n();
    let problem = RwSignal::new(None::<confab_shared::text::TextError>);
    let input = NodeRef::<leptos::html::Textarea>::new();
    // The box takes the focus as it appears, so typing edits at once.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let save = move || match MessageText::parse(&draft.get_untracked()) {
        Ok(text) => {
            chat.edit(room.get_value(), seq, text);
            editing.set(false);
        }
        Err(e) => problem.set(Some(e)),
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let composing = dom::is_ime_key(&ev);
        match ev.key().as_str() {
            "Enter" if !ev.shift_key() && !composing => {
                ev.prevent_default();
                save();
            }
            "Escape" if !composing => {
                ev.prevent_default();
                editing.set(false);
            }
            _ => {}
        }
    };
    let id = format!("edit-{seq}");
    view! {
        <form
            class="message-editor"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save();
            }
        >
            <label class="visually-hidden" for=id.clone()>
                {t!(i18n, edit_label)}
            </label>
            <textarea
                id=id
                class="edit-input"
                node_ref=input
                rows="2"
                prop:value=move || draft.get()
                on:input=move |ev| {
                    problem.set(None);
                    draft.set(event_target_value(&ev));
                }
                on:keydown=on_keydown
            ></textarea>
            <div class="editor-actions">
                <button type="submit" class="save-edit">
                    {t!(i18n, save)}
                </button>
                <button type="button" class="cancel-edit" on:click=move |_| editing.set(false)>
                    {t!(i18n, cancel)}
                </button>
                <span class="hint">{t!(i18n, edit_hint)}</span>
            </div>
            {move || {
                problem
                    .get()
                    .map(|p| {
                        let locale = i18n.get_locale();
                        let reason = words::text_error(locale, &p);
                        view! {
                            <p class="error" role="alert">
                                {crate::i18n::td_string!(locale, cannot_save, reason)}
                            </p>
                        }
                    })
            }}
        </form>
    }
}
