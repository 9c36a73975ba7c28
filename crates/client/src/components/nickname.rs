//! The sign-in screen: a nickname alone continues as a guest
//! (`POST /api/session`); with a password it logs in to a claimed name
//! (`POST /api/login`).

use confab_shared::{User, UserName};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{account_api, api};

/// Asks for a nickname, and a password for a claimed one, and signs in.
#[component]
pub fn NicknameScreen(
    /// A message to show above the form (e.g. the server could not be reached).
    notice: Option<String>,
    /// Called with the user once the server accepted the name.
    on_login: Callback<User>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
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
        let typed = password.get_untracked();
        spawn_local(async move {
            let signed_in = if typed.is_empty() {
                api::login(&parsed).await.map_err(|e| match e {
                    api::LoginError::Taken(m) => {
                        format!("{m} If it is yours, enter its password.")
                    }
                    other => other.message().to_owned(),
                })
            } else {
                account_api::log_in(parsed.as_str(), &typed).await
            };
            match signed_in {
                Ok(user) => on_login.run(user),
                Err(e) => {
                    busy.try_set(false);
                    error.try_set(Some(e));
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
                <label for="password-input">"Password"</label>
                <input
                    id="password-input"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    aria-describedby="password-help"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <p id="password-help" class="help">
                    "Only for a name protected by a password. Leave it empty to chat as a guest."
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
