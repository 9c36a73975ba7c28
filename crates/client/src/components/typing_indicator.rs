//! "bob is typing…" under the messages.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::format::typing_line;

/// Who is typing in the room on screen. Takes no props.
#[component]
pub fn TypingIndicator() -> impl IntoView {
    let chat = expect_context::<Chat>();
    view! {
        <p class="typing" aria-live="polite">
            {move || typing_line(&chat.typing.get())}
        </p>
    }
}
