//! Moderation worded for the reader: the lines of a room's log that
//! record a moderator's action, durations, and being removed from a room.

use confab_shared::{RoomEvent, RoomId, UserName};

use crate::i18n::{td_string, Locale};

/// A length of time as people say it: "45 seconds", "10 minutes",
/// "1 hour", "3 days" (rounded to the largest unit that fits).
pub fn duration(locale: Locale, secs: u64) -> String {
    const MIN: u64 = 60;
    const HOUR: u64 = 3_600;
    const DAY: u64 = 86_400;
    let round = |unit: u64| (secs + unit / 2) / unit;
    match secs {
        1 => td_string!(locale, dur_second).to_owned(),
        n if n < MIN => td_string!(locale, dur_seconds, n),
        n if round(MIN) == 1 && n < HOUR => td_string!(locale, dur_minute).to_owned(),
        n if round(MIN) < 60 && n < HOUR => td_string!(locale, dur_minutes, n = round(MIN)),
        _ if round(HOUR) == 1 => td_string!(locale, dur_hour).to_owned(),
        _ if round(HOUR) < 24 => td_string!(locale, dur_hours, n = round(HOUR)),
        _ if round(DAY) == 1 => td_string!(locale, dur_day).to_owned(),
        _ => td_string!(locale, dur_days, n = round(DAY)),
    }
}

/// " (reason: spam)", or nothing without a reason.
fn reason_suffix(locale: Locale, reason: &str) -> String {
    let reason = reason.trim();
    if reason.is_empty() {
        String::new()
    } else {
        td_string!(locale, ev_reason, reason)
    }
}

/// What the room settings are now: "private, password, up to 20 members".
fn settings(locale: Locale, private: bool, password: bool, max_members: Option<u32>) -> String {
    let parts = [
        if private {
            td_string!(locale, set_private).to_owned()
        } else {
            td_string!(locale, set_public).to_owned()
        },
        if password {
            td_string!(locale, set_password).to_owned()
        } else {
            td_string!(locale, set_no_password).to_owned()
        },
        match max_members {
            Some(n) => td_string!(locale, set_cap, n),
            None => td_string!(locale, set_no_cap).to_owned(),
        },
    ];
    parts.join(td_string!(locale, list_separator))
}

/// The log line of a moderation entry by `by` ("alice removed bob
/// (reason: spam)"); `event` is `None` for an entry this client cannot
/// read (a newer server's).
pub fn room_event(locale: Locale, by: &UserName, event: Option<&RoomEvent>) -> String {
    let Some(event) = event else {
        return td_string!(locale, ev_unknown, by);
    };
    match event {
        RoomEvent::Kick { user, reason } => {
            td_string!(locale, ev_kick, by, user) + &reason_suffix(locale, reason.as_str())
        }
        RoomEvent::Ban { user, reason } => {
            td_string!(locale, ev_ban, by, user) + &reason_suffix(locale, reason.as_str())
        }
        RoomEvent::Unban { user } => td_string!(locale, ev_unban, by, user),
        RoomEvent::Mute {
            user,
            seconds: 0,
            reason: _,
        } => td_string!(locale, ev_unmute, by, user),
        RoomEvent::Mute {
            user,
            seconds,
            reason,
        } => {
            let duration = duration(locale, u64::from(*seconds));
            td_string!(locale, ev_mute, by, user, duration)
                + &reason_suffix(locale, reason.as_str())
        }
        RoomEvent::Topic { topic } if topic.is_empty() => {
            td_string!(locale, ev_topic_cleared, by)
        }
        RoomEvent::Topic { topic } => td_string!(locale, ev_topic, by, topic = topic.as_str()),
        RoomEvent::Moderator {
            user,
            appoint: true,
        } => td_string!(locale, ev_mod_appoint, by, user),
        RoomEvent::Moderator {
            user,
            appoint: false,
        } => td_string!(locale, ev_mod_dismiss, by, user),
        RoomEvent::Settings {
            private,
            password,
            max_members,
        } => {
            let settings = settings(locale, *private, *password, *max_members);
            td_string!(locale, ev_settings, by, settings)
        }
        RoomEvent::Invite { user } => td_string!(locale, ev_invite, by, user),
    }
}

/// The notice of being removed from a room: "alice removed you from
/// #rust (reason: spam)" or "alice banned you from #rust".
pub fn removed_you(
    locale: Locale,
    room: &RoomId,
    by: &UserName,
    banned: bool,
    reason: &str,
) -> String {
    let line = if banned {
        td_string!(locale, banned_you, by, room)
    } else {
        td_string!(locale, removed_you, by, room)
    };
    line + &reason_suffix(locale, reason)
}
