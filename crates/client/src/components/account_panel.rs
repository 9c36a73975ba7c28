//! The account panel in the sidebar: protect this name with a password (so
//! it can log in from another device), change it, the devices it is logged
//! in on (each with a button that ends it), and deleting the account.

use confab_shared::{DeviceSession, Password, User};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account_api;
use crate::api::Failure;
use crate::chat::Chat;
use crate::components::password_field::PasswordField;
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::{dom, words};

/// What a form of the panel reports under itself.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Note {
    Claimed,
    PasswordChanged,
    Failed(Failure),
}

impl Note {
    fn text(&self, locale: Locale) -> String {
        match self {
            Self::Claimed => td_string!(locale, claim_done).to_owned(),
            Self::PasswordChanged => td_string!(locale, password_changed).to_owned(),
            Self::Failed(why) => words::failure(locale, why),
        }
    }
}

/// "Account" under the user's name; opened, it loads the devices.
#[component]
pub fn AccountPanel(
    /// The signed-in user.
    user: User,
    /// Called once the account is deleted (this session ended with it).
    on_deleted: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let old_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let change_note = RwSignal::new(None::<Note>);
    let delete_password = RwSignal::new(String::new());
    let delete_note = RwSignal::new(None::<Note>);
    let password = RwSignal::new(String::new());
    let claim_note = RwSignal::new(None::<Note>);
    let devices = RwSignal::new(Vec::<DeviceSession>::new());
    let devices_note = RwSignal::new(None::<Note>);
    let name = user.name.to_string();

    let load = move || {
        spawn_local(async move {
            match account_api::devices().await {
                Ok(list) => {
                    devices.try_set(list);
                    devices_note.try_set(None);
                }
                Err(e) => {
                    devices_note.try_set(Some(Note::Failed(e)));
                }
            }
        });
    };

    let claim = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        if Password::parse(&typed).is_err() {
            claim_note.set(Some(Note::Failed(Failure::BadPassword)));
            return;
        }
        let name = name.clone();
        spawn_local(async move {
            let note = match account_api::claim(&name, &typed).await {
                Ok(_) => {
                    password.try_set(String::new());
                    Note::Claimed
                }
                Err(e) => Note::Failed(e),
            };
            claim_note.try_set(Some(note));
        });
    };

    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (old, new) = (old_password.get_untracked(), new_password.get_untracked());
        if Password::parse(&new).is_err() {
            change_note.set(Some(Note::Failed(Failure::BadPassword)));
            return;
        }
        spawn_local(async move {
            let note = match account_api::change_password(&old, &new).await {
                Ok(()) => {
                    old_password.try_set(String::new());
                    new_password.try_set(String::new());
                    load();
                    Note::PasswordChanged
                }
                Err(e) => Note::Failed(e),
            };
            change_note.try_set(Some(note));
        });
    };

    let delete = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = delete_password.get_untracked();
        let sure = dom::confirm(t_string!(i18n, delete_account_confirm));
        if !sure {
            return;
        }
        spawn_local(async move {
            match account_api::delete_account(&typed).await {
                Ok(()) => {
                    chat.stop();
                    on_deleted.run(());
                }
                Err(e) => {
                    delete_note.try_set(Some(Note::Failed(e)));
                }
            }
        });
    };

    let end = move |id: Option<String>| {
        spawn_local(async move {
            match account_api::end_sessions(id.as_deref()).await {
                Ok(()) => load(),
                Err(e) => {
                    devices_note.try_set(Some(Note::Failed(e)));
                }
            }
        });
    };

    let row = move |device: DeviceSession| {
        let ms = device.last_seen.millis();
        let agent = device.user_agent.clone().unwrap_or_default();
        let known = device.user_agent.clone().filter(|a| !a.is_empty());
        let label = move || words::device(i18n.get_locale(), known.as_deref());
        let address = device.address.clone().unwrap_or_default();
        // "last seen 3 minutes ago", as of when the list was loaded.
        let now = dom::now_ms();
        let meta = move || {
            let when = words::ago(i18n.get_locale(), ms, now, dom::tz_offset(ms));
            t_string!(i18n, device_meta, address = address.clone(), when)
        };
        let id = device.id.clone();
        view! {
            <li class="device" data-session=device.id.clone()>
                <span class="device-agent" title=agent>{label}</span>
                <span class="device-meta">{meta}</span>
                {if device.current {
                    view! { <span class="device-current">{t!(i18n, device_this)}</span> }.into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            class="link-button device-end"
                            on:click=move |_| end(Some(id.clone()))
                        >
                            {t!(i18n, device_log_out)}
                        </button>
                    }
                        .into_any()
                }}
            </li>
        }
    };

    view! {
        <details class="account" on:toggle=move |_| load()>
            <summary>{t!(i18n, account)}</summary>
            <form class="claim" on:submit=claim novalidate=true>
                <PasswordField id="claim-password" label=Signal::derive(move || t_string!(i18n, claim_label)) autocomplete="new-password" value=password/>
                <button type="submit">{t!(i18n, claim_save)}</button>
                <p class="note" role="status">{move || claim_note.get().map(|n| n.text(i18n.get_locale()))}</p>
            </form>
            <form class="claim" on:submit=change novalidate=true>
                <PasswordField id="old-password" label=Signal::derive(move || t_string!(i18n, password_current)) autocomplete="current-password" value=old_password/>
                <PasswordField id="new-password" label=Signal::derive(move || t_string!(i18n, password_new)) autocomplete="new-password" value=new_password/>
                <button type="submit">{t!(i18n, password_change)}</button>
                <p class="note" role="status">{move || change_note.get().map(|n| n.text(i18n.get_locale()))}</p>
            </form>
            <h3>{t!(i18n, devices)}</h3>
            <ul class="devices">
                <For
                    each=move || devices.get()
                    key=|d| d.id.clone()
                    children=row
                />
            </ul>
            <button type="button" class="link-button" id="end-other-sessions" on:click=move |_| end(None)>
                {t!(i18n, log_out_elsewhere)}
            </button>
            <p class="note" role="status">{move || devices_note.get().map(|n| n.text(i18n.get_locale()))}</p>
            <form class="claim delete-account" on:submit=delete novalidate=true>
                <PasswordField id="delete-password" label=Signal::derive(move || t_string!(i18n, delete_account_label)) autocomplete="current-password" value=delete_password/>
                <button type="submit" class="danger">{t!(i18n, delete_account)}</button>
                <p class="note" role="alert">{move || delete_note.get().map(|n| n.text(i18n.get_locale()))}</p>
            </form>
        </details>
    }
}
