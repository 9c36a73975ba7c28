//! The account panel in the sidebar: protect this name with a password (so
//! it can log in from another device) and the devices it is logged in on,
//! each with a button that ends it.

use confab_shared::{DeviceSession, Password, User};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account_api;
use crate::{dom, format, timefmt};

/// "Account" under the user's name; opened, it loads the devices.
#[component]
pub fn AccountPanel(
    /// The signed-in user.
    user: User,
) -> impl IntoView {
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
                <label for="claim-password">"Protect this name with a password"</label>
                <input
                    id="claim-password"
                    type="password"
                    autocomplete="new-password"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <button type="submit">"Save password"</button>
                <p class="note" role="status">{move || claim_note.get()}</p>
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
        </details>
    }
}
