//! The sidebar: who I am, join box, rooms, direct messages, online users.

use confab_shared::{RoomId, User};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::chat::Chat;
use crate::components::account_panel::AccountPanel;
use crate::components::join_room::JoinRoom;
use crate::components::language_switch::LanguageSwitch;
use crate::components::online_users::OnlineUsers;
use crate::i18n::{t, t_string, use_i18n};
use crate::{dom, search};

/// The navigation column (a drawer on phones).
#[component]
pub fn Sidebar(
    /// The signed-in user.
    user: User,
    /// Called after the user picked a room, so a phone layout can close the drawer.
    on_navigate: Callback<()>,
    /// Called once the user signed out.
    on_signed_out: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    // What the find box holds: rooms and conversations whose name matches
    // (Korean initial consonants included, see `search`).
    let filter = RwSignal::new(String::new());
    let listed = move |direct: bool| {
        let query = filter.get();
        chat.rooms
            .get()
            .into_iter()
            .filter(|r| r.direct == direct && search::matches_query(&r.label, &query))
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let public = Memo::new(move |_| listed(false));
    let direct = Memo::new(move |_| listed(true));
    let active_id = Memo::new(move |_| chat.active.get().map(|a| a.id));

    let sign_out = move |_| {
        spawn_local(async move {
            if let Err(e) = api::logout().await {
                leptos::logging::warn!("sign-out: {e:?}");
            }
            chat.stop();
            on_signed_out.run(());
        });
    };

    // Only offered while the browser has not been asked yet.
    let can_ask = RwSignal::new(
        dom::notification_permission() == Some(web_sys::NotificationPermission::Default),
    );
    let ask = move |_| {
        can_ask.set(false);
        if let Some(promise) = dom::request_notification_permission() {
            spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            });
        }
    };

    // Rows are keyed by room only, so a focused row keeps its focus while
    // its counts change; the counts are read reactively inside.
    let room_button = move |id: RoomId| {
        let item = Memo::new({
            let id = id.clone();
            move |_| {
                chat.rooms
                    .with(|rooms| rooms.iter().find(|r| r.id == id).cloned())
            }
        });
        let is_active = {
            let id = id.clone();
            move || active_id.with(|a| a.as_ref() == Some(&id))
        };
        let label = move || item.with(|i| i.as_ref().map(|i| i.label.clone()));
        let counts = move || {
            item.with(|i| {
                i.as_ref()
                    .filter(|i| !i.direct)
                    .map(|i| t_string!(i18n, room_counts, members = i.members, online = i.online))
            })
        };
        let unread = move || item.with(|i| i.as_ref().map_or(0, |i| i.unread));
        view! {
            <li>
                <button
                    type="button"
                    class="room-link"
                    class:active=is_active.clone()
                    aria-current=move || if is_active() { Some("page") } else { None }
                    on:click=move |_| {
                        chat.select(id.clone());
                        on_navigate.run(());
                    }
                >
                    <bdi class="room-name">{label}</bdi>
                    {move || counts().map(|c| view! { <span class="room-counts">{c}</span> })}
                    {move || {
                        let n = unread();
                        (n > 0)
                            .then(|| {
                                view! {
                                    <span class="badge">
                                        <span aria-hidden="true">{n}</span>
                                        <span class="visually-hidden">
                                            {t_string!(i18n, unread, n)}
                                        </span>
                                    </span>
                                }
                            })
                    }}
                </button>
            </li>
        }
    };

    view! {
        <aside class="sidebar" id="sidebar" aria-label=move || t_string!(i18n, rooms_and_people)>
            <header class="me">
                <bdi class="me-name" style=format!("--author-color: {}", user.color.as_str())>
                    {user.name.to_string()}
                </bdi>
                <button type="button" class="link-button sign-out" on:click=sign_out>
                    {t!(i18n, sign_out)}
                </button>
                <LanguageSwitch id="language-select"/>
            </header>
            <AccountPanel user=user.clone() on_deleted=on_signed_out/>
            <JoinRoom on_joined=on_navigate/>
            <input
                id="room-filter"
                class="room-filter"
                type="search"
                placeholder=move || t_string!(i18n, find)
                aria-label=move || t_string!(i18n, find)
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            <nav aria-labelledby="rooms-heading">
                <h2 id="rooms-heading">{t!(i18n, rooms)}</h2>
                <ul class="room-list">
                    <For
                        each=move || public.get()
                        key=RoomId::clone
                        children=room_button
                    />
                </ul>
            </nav>
            <nav aria-labelledby="dms-heading">
                <h2 id="dms-heading">{t!(i18n, direct_messages)}</h2>
                <Show
                    when=move || !direct.get().is_empty()
                    fallback=move || view! { <p class="hint">{t!(i18n, dm_hint)}</p> }
                >
                    <ul class="room-list">
                        <For
                            each=move || direct.get()
                            key=RoomId::clone
                            children=room_button
                        />
                    </ul>
                </Show>
            </nav>
            <OnlineUsers on_pick=on_navigate/>
            <Show when=move || can_ask.get()>
                <button type="button" class="link-button notify-toggle" on:click=ask>
                    {t!(i18n, enable_notifications)}
                </button>
            </Show>
        </aside>
    }
}
