//! The box to join or create a room.

use confab_shared::{NameError, RoomId, RoomName};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::format::normalize_room_input;
use crate::i18n::{t, t_string, use_i18n};
use crate::words;

/// A one-field form: type a room name, Enter joins it (creating it if it
/// does not exist yet).
#[component]
pub fn JoinRoom(
    /// Called after a join was requested.
    on_joined: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = RwSignal::new(String::new());
    let i18n = use_i18n();
    let error = RwSignal::new(None::<NameError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let raw = normalize_room_input(&text.get_untracked());
        match RoomName::parse(&raw) {
            Ok(name) => {
                error.set(None);
                text.set(String::new());
                chat.join(RoomId::Public(name));
                on_joined.run(());
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <form class="join-room" on:submit=submit>
            <label for="join-room-input">{t!(i18n, join_label)}</label>
            <div class="join-row">
                <input
                    id="join-room-input"
                    type="text"
                    placeholder=move || t_string!(i18n, join_placeholder)
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    aria-describedby="join-room-error"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button type="submit">{t!(i18n, join)}</button>
            </div>
            <p id="join-room-error" class="error" role="alert">
                {move || {
                    error
                        .get()
                        .map(|e| {
                            let locale = i18n.get_locale();
                            t_string!(i18n, join_rules, reason = words::name_error(locale, &e))
                        })
                }}
            </p>
        </form>
    }
}
