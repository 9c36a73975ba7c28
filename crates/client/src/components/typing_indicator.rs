//! "bob is typing…" under the messages.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::i18n::use_i18n;
use crate::words::typing_line;

/// Who is typing in the room on screen. Takes no props.
#[component]
pub fn TypingIndicator() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    view! {
        <p class="typing" aria-live="polite">
            {move || typing_line(i18n.get_locale(), &chat.typing.get())}
        </p>
    }
}
