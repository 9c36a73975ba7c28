//! Who may join a room: its owner's settings.

use confab_shared::moderation::{RoomAdmin, RoomPassword, MAX_MEMBER_CAP};
use confab_shared::{ModAction, RoomSettings};
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};

/// What is wrong with the settings typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unusable {
    Password,
    Cap,
}

/// The member cap typed: empty is none.
fn parse_cap(raw: &str) -> Result<Option<u32>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_MEMBER_CAP).contains(&n) => Ok(Some(n)),
        _ => Err(()),
    }
}

/// Private or not, the password (a new one, kept, or removed) and the
/// member cap, saved
/// together as one `settings` action. Only for owners (and admins).
#[component]
pub fn RoomAccess(
    /// The room's settings as loaded.
    admin: RoomAdmin,
    /// Sends a moderation action for the room.
    on_action: Callback<ModAction>,
) -> impl IntoView {
    let i18n = use_i18n();
    let private = RwSignal::new(admin.private);
    let password = RwSignal::new(String::new());
    let remove = RwSignal::new(false);
    let cap = RwSignal::new(admin.max_members.map(|n| n.to_string()).unwrap_or_default());
    let error = RwSignal::new(None::<Unusable>);
    let has_password = admin.password;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        // Empty keeps the room's password; the box removes it.
        let password = if !typed.is_empty() {
            match RoomPassword::parse(&typed) {
                Ok(p) => Some(Some(p)),
                Err(_) => return error.set(Some(Unusable::Password)),
            }
        } else if remove.get_untracked() {
            Some(None)
        } else {
            None
        };
        let Ok(max_members) = parse_cap(&cap.get_untracked()) else {
            return error.set(Some(Unusable::Cap));
        };
        error.set(None);
        on_action.run(ModAction::Settings(RoomSettings {
            private: private.get_untracked(),
            password,
            max_members,
        }));
    };
    view! {
        <form class="room-access" on:submit=save>
            <h3>{t!(i18n, access)}</h3>
            <label class="check">
                <input
                    type="checkbox"
                    class="private-room"
                    prop:checked=move || private.get()
                    on:change=move |ev| private.set(event_target_checked(&ev))
                />
                <span>{t!(i18n, private_label)}</span>
            </label>
            <p class="hint">
                {move || {
                    if has_password {
                        t_string!(i18n, has_password)
                    } else {
                        t_string!(i18n, no_password)
                    }
                }}
            </p>
            <label>
                <span>{t!(i18n, new_password)}</span>
                <input
                    type="password"
                    class="room-password-input"
                    autocomplete="new-password"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            </label>
            <Show when=move || has_password>
                <label class="check">
                    <input
                        type="checkbox"
                        class="remove-password"
                        prop:checked=move || remove.get()
                        on:change=move |ev| remove.set(event_target_checked(&ev))
                    />
                    <span>{t!(i18n, remove_password)}</span>
                </label>
            </Show>
            <label>
                <span>{t!(i18n, member_cap)}</span>
                <input
                    type="number"
                    class="member-cap"
                    min="1"
                    max=MAX_MEMBER_CAP.to_string()
                    prop:value=move || cap.get()
                    on:input=move |ev| cap.set(event_target_value(&ev))
                />
            </label>
            <button type="submit" class="save-settings">{t!(i18n, save_settings)}</button>
            <p class="error" role="alert">
                {move || {
                    error
                        .get()
                        .map(|e| match e {
                            Unusable::Password => t_string!(i18n, room_password_rules),
                            Unusable::Cap => t_string!(i18n, member_cap_rules),
                        })
                }}
            </p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_checked() {
        assert_eq!(parse_cap(" "), Ok(None));
        assert_eq!(parse_cap("20"), Ok(Some(20)));
        assert_eq!(parse_cap("0"), Err(()));
        assert_eq!(parse_cap("100001"), Err(()));
        assert_eq!(parse_cap("lots"), Err(()));
    }
}
