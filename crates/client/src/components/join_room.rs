//! The box to join or create a room.

use confab_shared::moderation::RoomPassword;
use confab_shared::{NameError, RoomId, RoomName};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::format::normalize_room_input;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::Problem;
use crate::words;

/// What is wrong with what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Unusable {
    Name(NameError),
    Password,
}

/// A room name and an optional room password: Enter joins the room
/// (creating it if it does not exist yet). A join the server refuses
/// (banned, invited only, wrong password, full) is explained under it.
#[component]
pub fn JoinRoom(
    /// Called after a join was requested.
    on_joined: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let i18n = use_i18n();
    let error = RwSignal::new(None::<Unusable>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let raw = normalize_room_input(&text.get_untracked());
        let name = match RoomName::parse(&raw) {
            Ok(name) => name,
            Err(e) => return error.set(Some(Unusable::Name(e))),
        };
        let typed = password.get_untracked();
        let room = RoomId::Public(name);
        if typed.is_empty() {
            chat.join(room);
        } else {
            match RoomPassword::parse(&typed) {
                Ok(p) => chat.join_with(room, p),
                Err(_) => return error.set(Some(Unusable::Password)),
            }
        }
        error.set(None);
        text.set(String::new());
        password.set(String::new());
        on_joined.run(());
    };
    let message = move || {
        let locale = i18n.get_locale();
        match error.get() {
            Some(Unusable::Name(e)) => Some(t_string!(
                i18n,
                join_rules,
                reason = words::name_error(locale, &e)
            )),
            Some(Unusable::Password) => Some(t_string!(i18n, room_password_rules).to_owned()),
            None => chat
                .join_refused()
                .map(|(room, code)| words::problem(locale, &Problem::JoinRefused { room, code })),
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
                    aria-invalid=move || {
                        if matches!(error.get(), Some(Unusable::Name(_))) { "true" } else { "false" }
                    }
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button type="submit">{t!(i18n, join)}</button>
            </div>
            <label class="join-password">
                <span>{t!(i18n, room_password)}</span>
                <input
                    id="join-room-password"
                    type="password"
                    autocomplete="off"
                    aria-describedby="join-room-error"
                    aria-invalid=move || {
                        if error.get() == Some(Unusable::Password) { "true" } else { "false" }
                    }
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            </label>
            <p id="join-room-error" class="error" role="alert">
                {message}
            </p>
        </form>
    }
}
