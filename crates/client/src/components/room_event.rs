//! A line of the room's log that records a moderator's action.

use std::sync::Arc;

use confab_shared::{Message, RoomEvent};
use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::{dom, timefmt, words};

/// The `action` name of an event, for `data-action`.
pub fn action_name(event: Option<&RoomEvent>) -> &'static str {
    match event {
        Some(RoomEvent::Kick { .. }) => "kick",
        Some(RoomEvent::Ban { .. }) => "ban",
        Some(RoomEvent::Unban { .. }) => "unban",
        Some(RoomEvent::Mute { .. }) => "mute",
        Some(RoomEvent::Topic { .. }) => "topic",
        Some(RoomEvent::Moderator { .. }) => "moderator",
        Some(RoomEvent::Settings { .. }) => "settings",
        Some(RoomEvent::Invite { .. }) => "invite",
        None => "unknown",
    }
}

/// A compact line ("alice removed bob (reason: spam)") worded in the
/// reader's language, with its time; `data-action` names the action.
#[component]
pub fn RoomEventLine(
    /// The `moderation` entry: `from` is who acted, `event` what they did.
    message: Arc<Message>,
) -> impl IntoView {
    let i18n = use_i18n();
    let action = action_name(message.event.as_ref());
    let ts = message.ts.millis();
    let offset = dom::tz_offset(ts);
    let clock = timefmt::clock(ts, offset);
    let iso = message.ts.to_string();
    let full = move || words::full_time(i18n.get_locale(), ts, offset);
    let text = move || words::room_event(i18n.get_locale(), &message.from, message.event.as_ref());
    view! {
        <li class="room-event" data-action=action>
            <time datetime=iso title=full>
                {clock}
            </time>
            <span class="room-event-text" dir="auto">
                {text}
            </span>
        </li>
    }
}
