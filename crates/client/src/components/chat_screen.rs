//! The signed-in layout: sidebar, room pane, composer, toasts.

use std::time::Duration;

use confab_shared::User;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::chat::Chat;
use crate::components::composer::Composer;
use crate::components::connection_banner::ConnectionBanner;
use crate::components::message_list::MessageList;
use crate::components::room_header::RoomHeader;
use crate::components::room_settings::RoomSettings;
use crate::components::sidebar::Sidebar;
use crate::components::toasts::Toasts;
use crate::components::typing_indicator::TypingIndicator;
use crate::dom;
use crate::i18n::{t, use_i18n};
use crate::socket;
use crate::state::ConnStatus;

/// The chat once signed in. Owns the tab's [`Chat`] (and so its socket) and
/// provides it as context to everything below.
#[component]
pub fn ChatScreen(
    /// The signed-in user, as `GET`/`POST /api/session` returned it.
    user: User,
    /// Called after sign-out, or when the server no longer knows the session.
    on_signed_out: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let chat = Chat::new(Signal::derive(move || i18n.get_locale()));
    provide_context(chat);
    chat.keep_pending(user.id.clone());
    // On phones the sidebar is a drawer.
    let nav_open = RwSignal::new(false);
    let settings_open = RwSignal::new(false);

    // Effects run only in the browser, after mounting.
    Effect::new(move |_| {
        chat.set_visible(!dom::is_hidden());
        chat.load_blocks();
        socket::start(chat);
    });
    let ticker = set_interval_with_handle(move || chat.tick(), Duration::from_secs(1)).ok();
    let visibility = window_event_listener_untyped("visibilitychange", move |_| {
        chat.set_visible(!dom::is_hidden())
    });
    let online = window_event_listener(leptos::ev::online, move |_| chat.reconnect_now());
    on_cleanup(move || {
        chat.stop();
        if let Some(ticker) = ticker {
            ticker.clear();
        }
        visibility.remove();
        online.remove();
    });
    Effect::new(move |_| {
        if chat.conn.get() == ConnStatus::Closed {
            on_signed_out.run(());
        }
    });

    let title = move || match chat.total_unread.get() {
        0 => "Confab".to_owned(),
        n => format!("({n}) Confab"),
    };
    let close_nav = Callback::new(move |()| nav_open.set(false));
    let toggle_nav = Callback::new(move |()| nav_open.update(|open| *open = !*open));

    view! {
        <Title text=title/>
        <div
            class="app"
            class:nav-open=move || nav_open.get()
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" && nav_open.get_untracked() {
                    nav_open.set(false);
                }
            }
        >
            <a class="skip-link" href="#composer-input">{t!(i18n, skip_link)}</a>
            <ConnectionBanner/>
            <Sidebar user=user on_navigate=close_nav on_signed_out=on_signed_out/>
            <div class="scrim" aria-hidden="true" on:click=move |_| nav_open.set(false)></div>
            <main class="room" aria-labelledby="room-title">
                <RoomHeader nav_open=nav_open on_menu=toggle_nav settings_open=settings_open/>
                <RoomSettings open=settings_open/>
                <MessageList/>
                <TypingIndicator/>
                <Composer/>
            </main>
            <Toasts/>
        </div>
    }
}
