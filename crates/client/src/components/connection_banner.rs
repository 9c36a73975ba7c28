//! The banner shown while the socket is not open.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::ConnStatus;

/// Says when the chat is connecting or waiting to reconnect (with the
/// countdown and a "Reconnect now" button). Screen readers hear the state
/// once, not every tick of the countdown. Takes no props; reads the
/// [`Chat`] context.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let visible_text = move || match chat.conn.get() {
        ConnStatus::Open => String::new(),
        ConnStatus::Connecting => t_string!(i18n, banner_connecting).to_owned(),
        ConnStatus::Reconnecting { secs: 0, .. } => t_string!(i18n, banner_lost).to_owned(),
        ConnStatus::Reconnecting { secs, attempt } if attempt > 1 => {
            t_string!(i18n, banner_still_offline, secs, attempt)
        }
        ConnStatus::Reconnecting { secs, .. } => t_string!(i18n, banner_lost_in, secs),
        ConnStatus::Closed => t_string!(i18n, disconnected).to_owned(),
    };
    // Changes only when the kind of state (or the language) changes.
    let spoken = Memo::new(move |_| match chat.conn.get() {
        ConnStatus::Open => "",
        ConnStatus::Connecting => t_string!(i18n, live_connecting),
        ConnStatus::Reconnecting { .. } => t_string!(i18n, live_lost),
        ConnStatus::Closed => t_string!(i18n, disconnected),
    });
    let shown = move || !chat.conn.get().is_open();
    let can_retry = move || matches!(chat.conn.get(), ConnStatus::Reconnecting { .. });
    view! {
        <p class="visually-hidden" role="status" aria-live="polite">
            {move || spoken.get()}
        </p>
        <Show when=shown>
            <div class="banner">
                <span aria-hidden="true">{visible_text}</span>
                <Show when=can_retry>
                    <button type="button" on:click=move |_| chat.reconnect_now()>
                        {t!(i18n, reconnect_now)}
                    </button>
                </Show>
            </div>
        </Show>
    }
}
