//! The sign-in screen: a nickname alone continues as a guest
//! (`POST /api/session`); with a password it logs in to a claimed name
//! (`POST /api/login`).

use confab_shared::{User, UserName};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Failure;
use crate::components::language_switch::LanguageSwitch;
use crate::i18n::{t, t_string, use_i18n};
use crate::{account_api, api, words};

/// Asks for a nickname, and a password for a claimed one, and signs in.
#[component]
pub fn NicknameScreen(
    /// Why the last attempt failed, shown above the form (e.g. the server
    /// could not be reached).
    notice: Option<Failure>,
    /// Called with the user once the server accepted the name.
    on_login: Callback<User>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let i18n = use_i18n();
    let error = RwSignal::new(None::<Failure>);
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
                error.set(Some(Failure::BadName(e)));
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
                api::login(&parsed).await
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
                <LanguageSwitch id="sign-in-language"/>
                {notice
                    .map(|n| {
                        view! {
                            <p class="notice" role="status">
                                {move || words::failure(i18n.get_locale(), &n)}
                            </p>
                        }
                    })}
                <label for="nickname-input">{t!(i18n, sign_in_choose_nickname)}</label>
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
                    {t!(i18n, sign_in_name_help)}
                </p>
                <label for="password-input">{t!(i18n, sign_in_password)}</label>
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
                    {t!(i18n, sign_in_password_help)}
                </p>
                <p id="nickname-error" class="error" role="alert">
                    {move || error.get().map(|e| words::failure(i18n.get_locale(), &e))}
                </p>
                <button type="submit" disabled=move || busy.get()>
                    {move || {
                        if busy.get() {
                            t_string!(i18n, sign_in_busy)
                        } else {
                            t_string!(i18n, sign_in_submit)
                        }
                    }}
                </button>
            </form>
        </main>
    }
}
