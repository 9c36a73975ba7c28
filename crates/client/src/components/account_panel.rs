//! The account panel in the sidebar: protect this name with a password (so
//! it can log in from another device), change it, the devices it is logged
//! in on (each with a button that ends it), and deleting the account.

use confab_shared::{DeviceSession, Password, User};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account_api;
use crate::chat::Chat;
use crate::components::password_field::PasswordField;
use crate::{dom, format, timefmt};

/// "Account" under the user's name; opened, it loads the devices.
#[component]
pub fn AccountPanel(
    /// The signed-in user.
    user: User,
    /// Called once the account is deleted (this session ended with it).
    on_deleted: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let old_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let change_note = RwSignal::new(None::<String>);
    let delete_password = RwSignal::new(String::new());
    let delete_note = RwSignal::new(None::<String>);
    let password = RwSignal::new(String::new());
    let claim_note = RwSignal::new(None::<String>);
    let devices = RwSignal::new(Vec::<DeviceSession>::new());
    let devices_note = RwSignal::new(None::<String>);
    let name = user.name.to_string();

    let load = move || {
        spawn_local(async move {
            match account_api::devices().await {
                Ok(list) => {
                    devices.try_set(list);
                    devices_note.try_set(None);
                }
                Err(e) => {
                    devices_note.try_set(Some(e));
                }
            }
        });
    };

    let claim = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        if let Err(e) = Password::parse(&typed) {
            claim_note.set(Some(format!("{e}.")));
            return;
        }
        let name = name.clone();
        spawn_local(async move {
            let note = match account_api::claim(&name, &typed).await {
                Ok(_) => {
                    password.try_set(String::new());
                    "Done: log in with this name and password on any device.".to_owned()
                }
                Err(e) => e,
            };
            claim_note.try_set(Some(note));
        });
    };

    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (old, new) = (old_password.get_untracked(), new_password.get_untracked());
        if let Err(e) = Password::parse(&new) {
            change_note.set(Some(format!("{e}.")));
            return;
        }
        spawn_local(async move {
            let note = match account_api::change_password(&old, &new).await {
                Ok(()) => {
                    old_password.try_set(String::new());
                    new_password.try_set(String::new());
                    load();
                    "Password changed; your other devices are logged out.".to_owned()
                }
                Err(e) => e,
            };
            change_note.try_set(Some(note));
        });
    };

    let delete = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = delete_password.get_untracked();
        let sure = dom::confirm("Delete this account? Your messages stay, from a deleted user.");
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
                    delete_note.try_set(Some(e));
                }
            }
        });
    };

    let end = move |id: Option<String>| {
        spawn_local(async move {
            match account_api::end_sessions(id.as_deref()).await {
                Ok(()) => load(),
                Err(e) => {
                    devices_note.try_set(Some(e));
                }
            }
        });
    };

    let row = move |device: DeviceSession| {
        let ms = device.last_seen.millis();
        let seen = timefmt::full(ms, dom::tz_offset(ms));
        let agent = device.user_agent.clone().unwrap_or_default();
        let label = match agent.as_str() {
            "" => "Unknown device".to_owned(),
            agent => format::device_label(agent),
        };
        let address = device.address.clone().unwrap_or_default();
        let id = device.id.clone();
        view! {
            <li class="device" data-session=device.id.clone()>
                <span class="device-agent" title=agent>{label}</span>
                <span class="device-meta">{format!("{address} · last seen {seen}")}</span>
                {if device.current {
                    view! { <span class="device-current">"This device"</span> }.into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            class="link-button device-end"
                            on:click=move |_| end(Some(id.clone()))
                        >
                            "Log out"
                        </button>
                    }
                        .into_any()
                }}
            </li>
        }
    };

    view! {
        <details class="account" on:toggle=move |_| load()>
            <summary>"Account"</summary>
            <form class="claim" on:submit=claim novalidate=true>
                <PasswordField id="claim-password" label="Protect this name with a password" autocomplete="new-password" value=password/>
                <button type="submit">"Save password"</button>
                <p class="note" role="status">{move || claim_note.get()}</p>
            </form>
            <form class="claim" on:submit=change novalidate=true>
                <PasswordField id="old-password" label="Current password" autocomplete="current-password" value=old_password/>
                <PasswordField id="new-password" label="New password" autocomplete="new-password" value=new_password/>
                <button type="submit">"Change password"</button>
                <p class="note" role="status">{move || change_note.get()}</p>
            </form>
            <h3>"Devices"</h3>
            <ul class="devices">
                <For
                    each=move || devices.get()
                    key=|d| d.id.clone()
                    children=row
                />
            </ul>
            <button type="button" class="link-button" id="end-other-sessions" on:click=move |_| end(None)>
                "Log out everywhere else"
            </button>
            <p class="note" role="status">{move || devices_note.get()}</p>
            <form class="claim delete-account" on:submit=delete novalidate=true>
                <PasswordField id="delete-password" label="Delete this account: your password" autocomplete="current-password" value=delete_password/>
                <button type="submit" class="danger">"Delete account"</button>
                <p class="note" role="alert">{move || delete_note.get()}</p>
            </form>
        </details>
    }
}
