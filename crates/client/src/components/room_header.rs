//! The header of the room pane.

use confab_shared::RoomId;
use leptos::prelude::*;

use crate::chat::Chat;
use crate::components::member_actions::MemberActions;
use crate::i18n::{t, t_string, use_i18n};

/// The room's name, topic and counts, its member list (folded, with Kick,
/// Ban and Mute for the room's staff), "Room settings" for its staff,
/// "Leave", and on phones the button that opens the sidebar.
#[component]
pub fn RoomHeader(
    /// Whether the sidebar drawer is open (phones), for `aria-expanded`.
    nav_open: RwSignal<bool>,
    /// Called when the menu button is pressed.
    on_menu: Callback<()>,
    /// Whether the room settings panel is open; its button toggles it.
    settings_open: RwSignal<bool>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let title = move || {
        chat.active
            .get()
            .map(|a| a.label)
            .unwrap_or_else(|| t_string!(i18n, no_room).to_owned())
    };
    let counts = move || {
        chat.active.get().map(|a| {
            if a.id.is_direct() {
                if a.online > 1 {
                    t_string!(i18n, peer_online).to_owned()
                } else {
                    t_string!(i18n, peer_offline).to_owned()
                }
            } else {
                t_string!(i18n, room_counts, members = a.members, online = a.online)
            }
        })
    };
    let leavable = move || {
        chat.active
            .get()
            .is_some_and(|a| a.joined && !a.id.is_direct() && a.id != RoomId::lobby())
    };
    let topic = move || chat.active.get().map(|a| a.topic).filter(|t| !t.is_empty());
    let staff = move || {
        chat.active
            .get()
            .is_some_and(|a| a.role.moderates() && !a.id.is_direct())
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
                <span class="visually-hidden">{t!(i18n, rooms_and_people)}</span>
            </button>
            <div class="room-title">
                <h1 id="room-title"><bdi>{title}</bdi></h1>
                {move || {
                    topic().map(|topic| view! { <p class="room-topic" dir="auto">{topic}</p> })
                }}
                <p class="room-counts">{counts}</p>
            </div>
            <details class="members">
                <summary>{t!(i18n, members)}</summary>
                <ul>
                    <For
                        each=move || chat.active.get().map(|a| a.member_list).unwrap_or_default()
                        key=|m| (m.name.key(), m.online, m.color.clone())
                        children=move |m| {
                            let name = m.name.clone();
                            let me = chat.me.with_untracked(|u| {
                                u.as_ref().is_some_and(|u| u.name.key() == name.key())
                            });
                            let block = (!me).then(|| {
                                let (shown, label) = (name.clone(), name.clone());
                                let blocked = Memo::new(move |_| chat.blocks(&shown));
                                view! {
                                    <button
                                        type="button"
                                        class="link-button block-user"
                                        aria-pressed=move || blocked.get().to_string()
                                        aria-label=move || {
                                            let name = label.to_string();
                                            if blocked.get() {
                                                t_string!(i18n, unblock_user, name)
                                            } else {
                                                t_string!(i18n, block_user, name)
                                            }
                                        }
                                        on:click=move |_| chat.set_block(name.clone(), !blocked.get_untracked())
                                    >
                                        {move || {
                                            if blocked.get() {
                                                t_string!(i18n, unblock)
                                            } else {
                                                t_string!(i18n, block)
                                            }
                                        }}
                                    </button>
                                }
                            });
                            view! {
                                <li class:offline=!m.online>
                                    <span
                                        class="dot"
                                        aria-hidden="true"
                                        style:background-color=m.color.clone()
                                    ></span>
                                    <bdi>{m.name.to_string()}</bdi>
                                    <span class="visually-hidden">
                                        {move || {
                                            if m.online {
                                                t_string!(i18n, member_online)
                                            } else {
                                                t_string!(i18n, member_offline)
                                            }
                                        }}
                                    </span>
                                    {block}
                                    {(!me).then(|| view! { <MemberActions name=m.name.clone()/> })}
                                </li>
                            }
                        }
                    />
                </ul>
            </details>
            <Show when=staff>
                <button
                    type="button"
                    class="link-button room-settings"
                    aria-expanded=move || settings_open.get().to_string()
                    on:click=move |_| settings_open.update(|open| *open = !*open)
                >
                    {t!(i18n, room_settings)}
                </button>
            </Show>
            <Show when=leavable>
                <button type="button" class="link-button" on:click=leave>
                    {t!(i18n, leave)}
                </button>
            </Show>
        </header>
    }
}
