//! Sentences built from state values, in the reader's language.
//!
//! The chat state keeps what happened as data (a [`Problem`], a
//! [`DayName`], a toast's kind and sender); these functions word it for a
//! [`Locale`] from the tables in [`crate::i18n`]. They are plain functions
//! of their arguments, so they are tested on the host in both languages.

use confab_shared::text::TextError;
use confab_shared::{ErrorCode, NameError, RoomId, SystemNotice, UserName};

use crate::api::Failure;
use crate::i18n::{td_string, Locale};
use crate::state::{Problem, ToastBody, ToastKind};
use crate::timefmt::{self, Ago, DayName};
use crate::upload::UploadError;

mod moderation;
pub use self::moderation::{duration, removed_you, room_event};

/// A sentence for why something failed.
pub fn problem(locale: Locale, problem: &Problem) -> String {
    let (code, detail) = match problem {
        Problem::NotConnected => return td_string!(locale, err_not_connected).to_owned(),
        Problem::DmToSelf => return td_string!(locale, err_dm_self).to_owned(),
        Problem::Unconfirmed => return td_string!(locale, err_unconfirmed).to_owned(),
        Problem::Muted { secs: 0 } => return td_string!(locale, err_muted_now).to_owned(),
        Problem::Muted { secs } => {
            return td_string!(locale, err_muted, duration = duration(locale, *secs))
        }
        Problem::JoinRefused {
            room,
            code: ErrorCode::RoomFull,
        } => return td_string!(locale, join_full, room),
        Problem::JoinRefused { room, .. } => return td_string!(locale, join_forbidden, room),
        Problem::Refused { code, detail } => (*code, detail.trim()),
    };
    let known = match code {
        ErrorCode::NotMember => td_string!(locale, err_not_member),
        ErrorCode::Forbidden => td_string!(locale, err_forbidden),
        ErrorCode::UnknownUser => td_string!(locale, err_unknown_user),
        ErrorCode::RateLimited => td_string!(locale, err_rate_limited),
        ErrorCode::Internal => td_string!(locale, err_internal),
        ErrorCode::RoomFull => td_string!(locale, err_room_full),
        ErrorCode::Muted => td_string!(locale, err_muted_now),
        ErrorCode::NotFound => td_string!(locale, err_not_found),
        _ => "",
    };
    match (known, detail) {
        ("", "") => code.as_str().replace('_', " "),
        // The server's own words: only it knows what was wrong.
        ("", detail) => td_string!(locale, server_said, detail),
        (known, _) => known.to_owned(),
    }
}

/// Why a user or room name was refused, as a clause ("it may not contain
/// “ ”").
pub fn name_error(locale: Locale, error: &NameError) -> String {
    match error {
        NameError::Length { max, got } => td_string!(locale, name_length, max, got),
        NameError::BadChar { ch, .. } => td_string!(locale, name_bad_char, ch),
        NameError::Invisible { ch, .. } => {
            td_string!(locale, name_invisible, code = format!("{:04X}", *ch as u32))
        }
        NameError::BadDirect => td_string!(locale, name_bad_direct).to_owned(),
    }
}

/// Why a message text was refused, as a clause.
pub fn text_error(locale: Locale, error: &TextError) -> String {
    match error {
        TextError::Empty => td_string!(locale, text_empty).to_owned(),
        TextError::TooLong { max, got } => td_string!(locale, text_too_long, max, got),
        // Not something the message box can cause.
        other => other.to_string(),
    }
}

/// A sentence for a failed HTTP call.
pub fn failure(locale: Locale, failure: &Failure) -> String {
    match failure {
        Failure::Unreachable(detail) => td_string!(locale, unreachable, detail),
        Failure::BadReply(detail) => td_string!(locale, bad_reply, detail),
        Failure::Status(status) => td_string!(locale, http_status, status),
        Failure::SignIn(status) => td_string!(locale, sign_in_failed, status),
        Failure::SignOut(status) => td_string!(locale, sign_out_failed, status),
        Failure::NameTaken(name) => td_string!(locale, name_taken_claimed, name),
        Failure::NameInvalid(Some(reason)) => td_string!(locale, name_unusable, reason),
        Failure::NameInvalid(None) => td_string!(locale, name_unusable_rules).to_owned(),
        Failure::BadName(error) => {
            td_string!(locale, name_unusable, reason = name_error(locale, error))
        }
        Failure::Busy => td_string!(locale, server_busy).to_owned(),
        Failure::WrongCredentials => td_string!(locale, wrong_credentials).to_owned(),
        Failure::TooManyAttempts => td_string!(locale, too_many_attempts).to_owned(),
        Failure::AlreadyClaimed => td_string!(locale, already_claimed).to_owned(),
        Failure::BadPassword => td_string!(locale, password_rules).to_owned(),
        Failure::ServerSaid(detail) => td_string!(locale, server_said, detail),
        Failure::NotStaff => td_string!(locale, settings_forbidden).to_owned(),
    }
}

/// Why an image was not shared.
pub fn upload_error(locale: Locale, error: &UploadError) -> String {
    match error {
        UploadError::NotImage(name) => td_string!(locale, upload_not_image, name),
        UploadError::TooBig(name) => td_string!(locale, upload_too_big, name),
        UploadError::Unreachable => td_string!(locale, upload_unreachable).to_owned(),
        UploadError::TooLarge => td_string!(locale, upload_too_large).to_owned(),
        UploadError::WrongType => td_string!(locale, upload_wrong_type).to_owned(),
        UploadError::ServerSaid(detail) => td_string!(locale, server_said, detail),
        UploadError::Status(status) => td_string!(locale, upload_failed, status),
        UploadError::Browser(detail) => detail.clone(),
    }
}

/// What a toast (or a desktop notification) says.
pub fn toast_body(locale: Locale, body: &ToastBody) -> String {
    match body {
        ToastBody::Text(text) => text.clone(),
        ToastBody::Problem(p) => problem(locale, p),
        ToastBody::Notice(SystemNotice::ServerRestarting) => {
            td_string!(locale, server_restarting).to_owned()
        }
        ToastBody::Removed {
            room,
            by,
            banned,
            reason,
        } => removed_you(locale, room, by, *banned, reason),
        ToastBody::Invite => td_string!(locale, invite_body).to_owned(),
    }
}

/// Who is typing, as one line ("bob is typing…"), or `None`.
pub fn typing_line(locale: Locale, names: &[UserName]) -> Option<String> {
    Some(match names {
        [] => return None,
        [a] => td_string!(locale, typing_one, a),
        [a, b] => td_string!(locale, typing_two, a, b),
        [a, b, rest @ ..] => td_string!(locale, typing_more, a, b, n = rest.len()),
    })
}

/// A device as people name it ("Firefox on Windows"), from its user agent.
pub fn device(locale: Locale, user_agent: Option<&str>) -> String {
    match user_agent.map(crate::format::device_parts) {
        None => td_string!(locale, device_unknown).to_owned(),
        Some((browser, None)) => browser,
        Some((browser, Some(system))) => td_string!(locale, device_label, browser, system),
    }
}

/// The title of a toast or a desktop notification.
pub fn notice_title(
    locale: Locale,
    kind: ToastKind,
    from: Option<&UserName>,
    room: Option<&RoomId>,
) -> String {
    let name = match from {
        Some(name) => name.to_string(),
        None => td_string!(locale, someone).to_owned(),
    };
    match (kind, room) {
        (ToastKind::Dm, _) => td_string!(locale, toast_dm, name),
        (ToastKind::Mention, Some(room)) => td_string!(locale, toast_mention_in, name, room),
        (ToastKind::Mention, None) => td_string!(locale, toast_mention, name),
        (ToastKind::Invite, Some(room)) => td_string!(locale, invite_title, name, room),
        (ToastKind::System | ToastKind::Invite, _) => td_string!(locale, notice).to_owned(),
        (ToastKind::Error, _) => td_string!(locale, problem).to_owned(),
    }
}

fn weekday(locale: Locale, n: u32) -> &'static str {
    match n {
        0 => td_string!(locale, weekday_0),
        1 => td_string!(locale, weekday_1),
        2 => td_string!(locale, weekday_2),
        3 => td_string!(locale, weekday_3),
        4 => td_string!(locale, weekday_4),
        5 => td_string!(locale, weekday_5),
        _ => td_string!(locale, weekday_6),
    }
}

fn month(locale: Locale, n: u32) -> &'static str {
    match n {
        1 => td_string!(locale, month_1),
        2 => td_string!(locale, month_2),
        3 => td_string!(locale, month_3),
        4 => td_string!(locale, month_4),
        5 => td_string!(locale, month_5),
        6 => td_string!(locale, month_6),
        7 => td_string!(locale, month_7),
        8 => td_string!(locale, month_8),
        9 => td_string!(locale, month_9),
        10 => td_string!(locale, month_10),
        11 => td_string!(locale, month_11),
        _ => td_string!(locale, month_12),
    }
}

/// The heading of a day separator: "Today", "Yesterday", "Sunday 22
/// November", "11월 22일 일요일".
pub fn day(locale: Locale, name: DayName) -> String {
    match name {
        DayName::Today => td_string!(locale, today).to_owned(),
        DayName::Yesterday => td_string!(locale, yesterday).to_owned(),
        DayName::ThisYear {
            weekday: w,
            day,
            month: m,
        } => td_string!(
            locale,
            day_this_year,
            weekday = weekday(locale, w),
            day,
            month = month(locale, m)
        ),
        DayName::OtherYear {
            weekday: w,
            day,
            month: m,
            year,
        } => td_string!(
            locale,
            day_other_year,
            weekday = weekday(locale, w),
            day,
            month = month(locale, m),
            year
        ),
    }
}

/// A full date and time where the reader is, for a tooltip.
pub fn full_time(locale: Locale, ms: i64, offset_min: i32) -> String {
    let Some(date) = timefmt::day(ms, offset_min) else {
        return String::new();
    };
    let date = day(locale, timefmt::day_name(date, None));
    let time = timefmt::clock_seconds(ms, offset_min);
    td_string!(locale, date_time, date, time)
}

/// "just now", "3 minutes ago", "2 hours ago", then the full date.
pub fn ago(locale: Locale, then_ms: i64, now_ms: i64, offset_min: i32) -> String {
    match timefmt::ago(then_ms, now_ms) {
        Ago::JustNow => td_string!(locale, just_now).to_owned(),
        Ago::Minutes(1) => td_string!(locale, minute_ago).to_owned(),
        Ago::Minutes(n) => td_string!(locale, minutes_ago, n),
        Ago::Hours(1) => td_string!(locale, hour_ago).to_owned(),
        Ago::Hours(n) => td_string!(locale, hours_ago, n),
        Ago::Long => full_time(locale, then_ms, offset_min),
    }
}

#[cfg(test)]
mod tests;
