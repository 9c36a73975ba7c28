//! What the staff of a room may do to one of its members.

use confab_shared::moderation::ShortText;
use confab_shared::{ModAction, UserName};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::dom;
use crate::i18n::{t, t_string, use_i18n};
use crate::words;

/// The mute lengths offered, in seconds: 5 minutes, 1 hour, 1 day.
pub const MUTE_CHOICES: [u32; 3] = [300, 3_600, 86_400];

/// A reason as typed, cut to what the server takes (at most
/// [`ShortText::MAX_CHARS`] characters, no control characters).
pub fn reason_of(raw: &str) -> ShortText {
    let clean: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(ShortText::MAX_CHARS)
        .collect();
    ShortText::parse(&clean).unwrap_or_default()
}

/// Sends `action` for the room on screen.
fn in_active_room(chat: Chat, action: ModAction) {
    if let Some(room) = chat.active.get_untracked().map(|a| a.id) {
        chat.moderate(room, action);
    }
}

/// Kick, Ban (each asks to confirm, with an optional reason) and a Mute
/// length choice for `name` in the room on screen. Shown only while the
/// user's role there moderates; the server checks it again.
#[component]
pub fn MemberActions(
    /// The member acted on (never the user).
    name: UserName,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let kick = {
        let name = name.clone();
        move |_| {
            let question = t_string!(i18n, kick_prompt, name = name.to_string());
            // Cancel: nothing happens; OK, with or without a reason: it does.
            if let Some(reason) = dom::prompt(&question) {
                let (user, reason) = (name.clone(), reason_of(&reason));
                in_active_room(chat, ModAction::Kick { user, reason });
            }
        }
    };
    let ban = {
        let name = name.clone();
        move |_| {
            let question = t_string!(i18n, ban_prompt, name = name.to_string());
            if let Some(reason) = dom::prompt(&question) {
                let (user, reason) = (name.clone(), reason_of(&reason));
                in_active_room(chat, ModAction::Ban { user, reason });
            }
        }
    };
    let (kick_label, ban_label, mute_label) =
        (name.to_string(), name.to_string(), name.to_string());
    let mute = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let Ok(seconds) = value.parse::<u32>() else {
            return;
        };
        let user = name.clone();
        in_active_room(
            chat,
            ModAction::Mute {
                user,
                seconds,
                reason: ShortText::default(),
            },
        );
    };
    view! {
        <Show when=move || chat.active_role().moderates()>
            <span class="member-actions">
                <button
                    type="button"
                    class="link-button kick-user"
                    aria-label={
                        let name = kick_label.clone();
                        move || t_string!(i18n, kick_user, name = name.clone())
                    }
                    on:click=kick.clone()
                >
                    {t!(i18n, kick)}
                </button>
                <button
                    type="button"
                    class="link-button ban-user"
                    aria-label={
                        let name = ban_label.clone();
                        move || t_string!(i18n, ban_user, name = name.clone())
                    }
                    on:click=ban.clone()
                >
                    {t!(i18n, ban)}
                </button>
                <select
                    class="mute-user"
                    aria-label={
                        let name = mute_label.clone();
                        move || t_string!(i18n, mute_user, name = name.clone())
                    }
                    prop:value=""
                    on:change=mute.clone()
                >
                    <option value="">{t!(i18n, mute_choose)}</option>
                    {MUTE_CHOICES
                        .iter()
                        .map(|secs| {
                            let secs = *secs;
                            view! {
                                <option value=secs.to_string()>
                                    {move || words::duration(i18n.get_locale(), u64::from(secs))}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </span>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_cut_to_what_the_server_takes() {
        assert_eq!(reason_of("  spam \u{7}").as_str(), "spam");
        assert_eq!(reason_of(&"x".repeat(500)).as_str().chars().count(), 300);
        assert!(reason_of("").is_empty());
    }
}
