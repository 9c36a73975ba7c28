//! The message box.

use confab_shared::{MessageText, RoomId};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::components::upload_button::UploadButton;
use crate::format::{char_count, counter_label};
use crate::state::ConnStatus;

/// Why sending is not possible right now, if it is not.
fn blocked_reason(conn: &ConnStatus, room: Option<&RoomId>) -> Option<String> {
    match conn {
        ConnStatus::Open if room.is_none() => Some("Pick a room to write in.".to_owned()),
        ConnStatus::Open => None,
        ConnStatus::Connecting => Some("Offline: connecting…".to_owned()),
        ConnStatus::Reconnecting { secs, .. } if *secs > 0 => Some(format!(
            "Offline: reconnecting in {secs} s. Your text is kept."
        )),
        ConnStatus::Reconnecting { .. } => Some("Offline: reconnecting…".to_owned()),
        ConnStatus::Closed => Some("Disconnected.".to_owned()),
    }
}

/// Enter sends, Shift+Enter starts a new line. Sending is disabled, with the
/// reason shown, while offline; the draft stays. The character count is
/// shown against the 4000 limit. Takes no props; writes to the room on
/// screen.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = RwSignal::new(String::new());
    let room = Memo::new(move |_| chat.active.get().map(|a| a.id));
    let reason = Memo::new(move |_| {
        chat.conn
            .with(|c| room.with(|r| blocked_reason(c, r.as_ref())))
    });
    let count = Memo::new(move |_| text.with(|t| char_count(t)));
    let too_long = move || count.get() > MessageText::MAX_CHARS;
    let near_limit = move || count.get() > MessageText::MAX_CHARS - 200;
    let can_send =
        move || reason.with(Option::is_none) && !too_long() && text.with(|t| !t.trim().is_empty());
    let placeholder = move || {
        chat.active
            .get()
            .map(|a| format!("Message {}", a.label))
            .unwrap_or_default()
    };

    let send = move || {
        if !can_send() {
            return;
        }
        let Some(room) = room.get_untracked() else {
            return;
        };
        // can_send() checked the rules; parse once more to get the type.
        if let Ok(message) = MessageText::parse(&text.get_untracked()) {
            chat.send(room, message);
            text.set(String::new());
        }
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        if let Some(room) = room.get_untracked() {
            chat.typing(room);
        }
    };

    view! {
        <form
            class="composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send();
            }
        >
            <label for="composer-input" class="visually-hidden">
                {placeholder}
            </label>
            <div class="composer-row">
                // Slot of the upload button (a later issue).
                <UploadButton
                    room=Signal::derive(move || room.get())
                    enabled=Signal::derive(move || reason.with(Option::is_none))
                />
                <textarea
                    id="composer-input"
                    rows="1"
                    placeholder=placeholder
                    aria-describedby="composer-status composer-count"
                    aria-invalid=move || if too_long() { "true" } else { "false" }
                    prop:value=move || text.get()
                    on:input=on_input
                    on:keydown=on_keydown
                ></textarea>
                <button
                    type="submit"
                    class="send"
                    disabled=move || !can_send()
                    aria-disabled=move || (!can_send()).to_string()
                >
                    "Send"
                </button>
            </div>
            <div class="composer-info">
                <p id="composer-status" class="composer-status" role="status">
                    {move || {
                        if too_long() {
                            Some(format!("Too long: at most {} characters.", MessageText::MAX_CHARS))
                        } else {
                            reason.get()
                        }
                    }}
                </p>
                <p
                    id="composer-count"
                    class="count"
                    class:near=near_limit
                    class:over=too_long
                >
                    <span class="visually-hidden">"Characters: "</span>
                    {move || text.with(|t| counter_label(t))}
                </p>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_is_blocked_with_a_reason() {
        let lobby = RoomId::lobby();
        assert_eq!(blocked_reason(&ConnStatus::Open, Some(&lobby)), None);
        assert!(blocked_reason(&ConnStatus::Open, None).is_some());
        let r = blocked_reason(
            &ConnStatus::Reconnecting {
                attempt: 1,
                secs: 3,
            },
            Some(&lobby),
        );
        assert_eq!(
            r.as_deref(),
            Some("Offline: reconnecting in 3 s. Your text is kept.")
        );
        assert!(blocked_reason(&ConnStatus::Connecting, Some(&lobby)).is_some());
    }
}
