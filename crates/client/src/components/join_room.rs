//! The box to join or create a room.

use confab_shared::{RoomId, RoomName};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::format::normalize_room_input;

/// A one-field form: type a room name, Enter joins it (creating it if it
/// does not exist yet).
#[component]
pub fn JoinRoom(
    /// Called after a join was requested.
    on_joined: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
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
            Err(e) => error.set(Some(format!(
                "{e}. Room names use letters of any script, digits, - and _."
            ))),
        }
    };
    view! {
        <form class="join-room" on:submit=submit>
            <label for="join-room-input">"Join or create a room"</label>
            <div class="join-row">
                <input
                    id="join-room-input"
                    type="text"
                    placeholder="room-name"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    aria-describedby="join-room-error"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button type="submit">"Join"</button>
            </div>
            <p id="join-room-error" class="error" role="alert">
                {move || error.get()}
            </p>
        </form>
    }
}
