//! The nickname screen: `POST /api/session`.

use confab_shared::{User, UserName};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

/// Asks for a nickname and signs in with it.
#[component]
pub fn NicknameScreen(
    /// A message to show above the form (e.g. the server could not be reached).
    notice: Option<String>,
    /// Called with the user once the server accepted the name.
    on_login: Callback<User>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let parsed = match UserName::parse(&name.get_untracked()) {
            Ok(parsed) => parsed,
            Err(e) => {
                error.set(Some(format!("That name cannot be used: {e}.")));
                if let Some(el) = input.get_untracked() {
                    let _ = el.focus();
                }
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::login(&parsed).await {
                Ok(user) => on_login.run(user),
                Err(e) => {
                    busy.try_set(false);
                    error.try_set(Some(e.message().to_owned()));
                    if let Some(el) = input.get_untracked() {
                        let _ = el.focus();
                    }
                }
            }
        });
    };

    view! {
        <main class="nickname">
            <form class="nickname-card" on:submit=submit novalidate=true>
                <h1>"Confab"</h1>
                {notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
                <label for="nickname-input">"Choose a nickname"</label>
                <input
                    id="nickname-input"
                    node_ref=input
                    type="text"
                    name="name"
                    autocomplete="nickname"
                    autocapitalize="off"
                    spellcheck="false"
                    autofocus=true
                    required=true
                    aria-describedby="nickname-help nickname-error"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <p id="nickname-help" class="help">
                    "1 to 32 letters, digits, _ - or . (no spaces)."
                </p>
                <p id="nickname-error" class="error" role="alert">
                    {move || error.get()}
                </p>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Start chatting" }}
                </button>
            </form>
        </main>
    }
}
