//! The header of the room pane.

use confab_shared::RoomId;
use leptos::prelude::*;

use crate::chat::Chat;

/// The room's name and counts, its member list (folded), "Leave", and on
/// phones the button that opens the sidebar.
#[component]
pub fn RoomHeader(
    /// Whether the sidebar drawer is open (phones), for `aria-expanded`.
    nav_open: RwSignal<bool>,
    /// Called when the menu button is pressed.
    on_menu: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let title = move || {
        chat.active
            .get()
            .map(|a| a.label)
            .unwrap_or_else(|| "No room".to_owned())
    };
    let counts = move || {
        chat.active.get().map(|a| {
            if a.id.is_direct() {
                if a.online > 1 { "online" } else { "offline" }.to_owned()
            } else {
                format!("{} members · {} online", a.members, a.online)
            }
        })
    };
    let leavable = move || {
        chat.active
            .get()
            .is_some_and(|a| a.joined && !a.id.is_direct() && a.id != RoomId::lobby())
    };
    let leave = move |_| {
        if let Some(active) = chat.active.get_untracked() {
            chat.leave(active.id);
        }
    };
    view! {
        <header class="room-header">
            <button
                type="button"
                class="menu-button"
                aria-controls="sidebar"
                aria-expanded=move || nav_open.get().to_string()
                on:click=move |_| on_menu.run(())
            >
                <span aria-hidden="true">"☰"</span>
                <span class="visually-hidden">"Rooms and people"</span>
            </button>
            <div class="room-title">
                <h1 id="room-title"><bdi>{title}</bdi></h1>
                <p class="room-counts">{counts}</p>
            </div>
            <details class="members">
                <summary>"Members"</summary>
                <ul>
                    <For
                        each=move || chat.active.get().map(|a| a.member_list).unwrap_or_default()
                        key=|m| (m.name.key(), m.online, m.color.clone())
                        children=|m| {
                            view! {
                                <li class:offline=!m.online>
                                    <span
                                        class="dot"
                                        aria-hidden="true"
                                        style:background-color=m.color.clone()
                                    ></span>
                                    <bdi>{m.name.to_string()}</bdi>
                                    <span class="visually-hidden">
                                        {if m.online { ", online" } else { ", offline" }}
                                    </span>
                                </li>
                            }
                        }
                    />
                </ul>
            </details>
            <Show when=leavable>
                <button type="button" class="link-button" on:click=leave>
                    "Leave"
                </button>
            </Show>
        </header>
    }
}
