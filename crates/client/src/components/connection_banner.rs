//! The banner shown while the socket is not open.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::state::ConnStatus;

/// Says when the chat is connecting or waiting to reconnect (with the
/// countdown and a "Reconnect now" button). Screen readers hear the state
/// once, not every tick of the countdown. Takes no props; reads the
/// [`Chat`] context.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let visible_text = move || match chat.conn.get() {
        ConnStatus::Open => String::new(),
        ConnStatus::Connecting => "Connecting…".to_owned(),
        ConnStatus::Reconnecting { secs: 0, .. } => "Connection lost. Reconnecting…".to_owned(),
        ConnStatus::Reconnecting { secs, attempt } if attempt > 1 => {
            format!("Still offline. Reconnecting in {secs} s (attempt {attempt})…")
        }
        ConnStatus::Reconnecting { secs, .. } => {
            format!("Connection lost. Reconnecting in {secs} s…")
        }
        ConnStatus::Closed => "Disconnected.".to_owned(),
    };
    // Changes only when the kind of state changes.
    let spoken = Memo::new(move |_| match chat.conn.get() {
        ConnStatus::Open => "",
        ConnStatus::Connecting => "Connecting.",
        ConnStatus::Reconnecting { .. } => "Connection lost. Reconnecting.",
        ConnStatus::Closed => "Disconnected.",
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
                        "Reconnect now"
                    </button>
                </Show>
            </div>
        </Show>
    }
}
