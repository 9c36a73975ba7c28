//! The wording, in both languages.

use super::*;
use chrono::NaiveDate;

// 2026-11-22T23:30:00Z, a Sunday.
const LATE: i64 = 1_795_390_200_000;

fn names(list: &[&str]) -> Vec<UserName> {
    list.iter()
        .filter_map(|n| UserName::parse(n).ok())
        .collect()
}

#[test]
fn typing_lines_in_both_languages() {
    assert_eq!(typing_line(Locale::en, &[]), None);
    let one = names(&["bob"]);
    assert_eq!(
        typing_line(Locale::en, &one).as_deref(),
        Some("bob is typing…")
    );
    assert_eq!(
        typing_line(Locale::ko, &one).as_deref(),
        Some("bob님이 입력 중…")
    );
    let four = names(&["a", "b", "c", "민수"]);
    assert_eq!(
        typing_line(Locale::en, &four).as_deref(),
        Some("a, b and 2 more are typing…")
    );
    assert_eq!(
        typing_line(Locale::ko, &four).as_deref(),
        Some("a님, b님 외 2명이 입력 중…")
    );
}

#[test]
fn days_and_times_follow_the_language() {
    let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let next = NaiveDate::from_ymd_opt(2026, 12, 1);
    assert_eq!(day(Locale::en, timefmt::day_name(d, Some(d))), "Today");
    assert_eq!(day(Locale::ko, timefmt::day_name(d, d.succ_opt())), "어제");
    assert_eq!(
        day(Locale::en, timefmt::day_name(d, next)),
        "Sunday 22 November"
    );
    assert_eq!(
        day(Locale::ko, timefmt::day_name(d, next)),
        "11월 22일 일요일"
    );
    assert_eq!(
        full_time(Locale::en, LATE, 0),
        "Sunday 22 November 2026, 23:30:00"
    );
    assert_eq!(
        full_time(Locale::ko, LATE, 0),
        "2026년 11월 22일 일요일 23:30:00"
    );
    assert_eq!(ago(Locale::en, LATE, LATE + 3 * 60_000, 0), "3 minutes ago");
    assert_eq!(ago(Locale::en, LATE, LATE + 60_000, 0), "1 minute ago");
    assert_eq!(ago(Locale::ko, LATE, LATE + 3 * 60_000, 0), "3분 전");
    assert_eq!(ago(Locale::ko, LATE, LATE + 2 * 3_600_000, 0), "2시간 전");
    assert_eq!(ago(Locale::ko, LATE, LATE, 0), "방금");
}

#[test]
fn problems_are_worded_from_their_code() {
    let refused = |code, detail: &str| Problem::Refused {
        code,
        detail: detail.into(),
    };
    let fast = refused(ErrorCode::RateLimited, "slow down");
    assert_eq!(
        problem(Locale::en, &fast),
        "Too fast: wait a moment and retry."
    );
    assert_eq!(
        problem(Locale::ko, &fast),
        "너무 빠릅니다: 잠시 후 다시 시도하세요."
    );
    let other = refused(ErrorCode::Invalid, "text is empty");
    assert_eq!(
        problem(Locale::en, &other),
        "The server said: text is empty"
    );
    assert_eq!(
        problem(Locale::en, &refused(ErrorCode::Invalid, " ")),
        "invalid"
    );
    assert_eq!(
        problem(Locale::ko, &Problem::DmToSelf),
        "자기 자신에게는 다이렉트 메시지를 보낼 수 없습니다."
    );
}

#[test]
fn failures_in_both_languages() {
    let taken = Failure::NameTaken("민수".into());
    assert!(failure(Locale::en, &taken).contains("“민수” is taken"));
    assert!(failure(Locale::ko, &taken).starts_with("“민수” 이름은 이미"));
    assert_eq!(
        failure(Locale::ko, &Failure::Status(502)),
        "서버 응답: HTTP 502."
    );
    assert_eq!(
        failure(Locale::en, &Failure::WrongCredentials),
        "Wrong name or password."
    );
}

#[test]
fn refused_names_and_texts() {
    let long = NameError::Length { max: 32, got: 40 };
    assert_eq!(
        name_error(Locale::ko, &long),
        "1~32자여야 합니다 (지금 40자)"
    );
    let space = UserName::parse("a b").unwrap_err();
    assert_eq!(
        failure(Locale::en, &Failure::BadName(space)),
        "That name cannot be used: it may not contain “ ”."
    );
    assert_eq!(
        text_error(Locale::ko, &TextError::Empty),
        "메시지가 비어 있습니다"
    );
}

#[test]
fn system_notices_are_worded_for_the_reader() {
    let notice = ToastBody::Notice(SystemNotice::ServerRestarting);
    assert_eq!(
        toast_body(Locale::ko, &notice),
        "서버가 다시 시작됩니다. 곧 다시 연결됩니다."
    );
    assert!(toast_body(Locale::en, &notice).starts_with("The server is restarting"));
    let text = ToastBody::Text("as sent".into());
    assert_eq!(toast_body(Locale::ko, &text), "as sent");
}

#[test]
fn titles_and_devices() {
    let bob = UserName::parse("bob").ok();
    let lobby = RoomId::parse("lobby").ok();
    let title = |l, k| notice_title(l, k, bob.as_ref(), lobby.as_ref());
    assert_eq!(
        title(Locale::en, ToastKind::Mention),
        "bob mentioned you in #lobby"
    );
    assert_eq!(
        title(Locale::ko, ToastKind::Dm),
        "bob님이 메시지를 보냈습니다"
    );
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    assert_eq!(device(Locale::en, Some(chrome)), "Chrome on Linux");
    assert_eq!(device(Locale::ko, Some(chrome)), "Linux의 Chrome");
    assert_eq!(device(Locale::ko, None), "알 수 없는 기기");
    assert_eq!(device(Locale::en, Some("curl/8.5.0")), "curl/8.5.0");
}

#[test]
fn moderation_lines_in_both_languages() {
    use confab_shared::moderation::ShortText;
    use confab_shared::RoomEvent;
    let (alice, bob) = (
        UserName::parse("alice").unwrap(),
        UserName::parse("bob").unwrap(),
    );
    let line = |l, e: RoomEvent| room_event(l, &alice, Some(&e));
    let spam = ShortText::parse("spam").unwrap();
    let kick = RoomEvent::Kick {
        user: bob.clone(),
        reason: spam.clone(),
    };
    assert_eq!(
        line(Locale::en, kick.clone()),
        "alice removed bob (reason: spam)"
    );
    assert_eq!(
        line(Locale::ko, kick),
        "alice님이 bob님을 내보냈습니다 (사유: spam)"
    );
    let ban = RoomEvent::Ban {
        user: bob.clone(),
        reason: ShortText::default(),
    };
    assert_eq!(line(Locale::en, ban), "alice banned bob");
    let unban = RoomEvent::Unban { user: bob.clone() };
    assert_eq!(line(Locale::en, unban), "alice lifted bob’s ban");
    let mute = |seconds| RoomEvent::Mute {
        user: bob.clone(),
        seconds,
        reason: ShortText::default(),
    };
    assert_eq!(
        line(Locale::en, mute(600)),
        "alice muted bob for 10 minutes"
    );
    assert_eq!(
        line(Locale::ko, mute(86_400)),
        "alice님이 bob님의 발언을 1일 동안 금지했습니다"
    );
    assert_eq!(line(Locale::en, mute(0)), "alice unmuted bob");
    let topic = |t| RoomEvent::Topic {
        topic: ShortText::parse(t).unwrap(),
    };
    assert_eq!(line(Locale::en, topic("Rust")), "alice set the topic: Rust");
    assert_eq!(line(Locale::ko, topic("")), "alice님이 주제를 지웠습니다");
    let appoint = RoomEvent::Moderator {
        user: bob.clone(),
        appoint: true,
    };
    assert_eq!(line(Locale::en, appoint), "alice made bob a moderator");
    let settings = RoomEvent::Settings {
        private: true,
        password: true,
        max_members: Some(20),
    };
    assert_eq!(
        line(Locale::en, settings),
        "alice changed the room settings: private, password, up to 20 members"
    );
    let open = RoomEvent::Settings {
        private: false,
        password: false,
        max_members: None,
    };
    assert_eq!(
        line(Locale::ko, open),
        "alice님이 방 설정을 바꿨습니다: 공개, 비밀번호 없음, 인원 제한 없음"
    );
    let invite = RoomEvent::Invite { user: bob.clone() };
    assert_eq!(line(Locale::ko, invite), "alice님이 bob님을 초대했습니다");
    assert_eq!(
        room_event(Locale::en, &alice, None),
        "alice changed the room"
    );
}

#[test]
fn durations_are_worded_humanly() {
    assert_eq!(duration(Locale::en, 1), "1 second");
    assert_eq!(duration(Locale::en, 45), "45 seconds");
    assert_eq!(duration(Locale::en, 60), "1 minute");
    assert_eq!(duration(Locale::en, 300), "5 minutes");
    assert_eq!(duration(Locale::en, 3_599), "1 hour");
    assert_eq!(duration(Locale::en, 7_200), "2 hours");
    assert_eq!(duration(Locale::en, 86_400), "1 day");
    assert_eq!(duration(Locale::ko, 3 * 86_400), "3일");
    assert_eq!(duration(Locale::ko, 300), "5분");
}

#[test]
fn removals_mutes_and_refused_joins_in_both_languages() {
    let rust = RoomId::parse("rust").unwrap();
    let alice = UserName::parse("alice").unwrap();
    let removed = ToastBody::Removed {
        room: rust.clone(),
        by: alice.clone(),
        banned: false,
        reason: "spam".into(),
    };
    assert_eq!(
        toast_body(Locale::en, &removed),
        "alice removed you from #rust (reason: spam)"
    );
    let banned = ToastBody::Removed {
        room: rust.clone(),
        by: alice.clone(),
        banned: true,
        reason: String::new(),
    };
    assert_eq!(
        toast_body(Locale::en, &banned),
        "alice banned you from #rust"
    );
    assert_eq!(
        toast_body(Locale::ko, &banned),
        "alice님이 #rust 방에서 나를 추방했습니다"
    );
    assert_eq!(
        problem(Locale::en, &Problem::Muted { secs: 600 }),
        "You are muted in this room for 10 minutes more."
    );
    assert_eq!(
        problem(Locale::ko, &Problem::Muted { secs: 600 }),
        "이 방에서 앞으로 10분 동안 발언이 금지되어 있습니다."
    );
    let full = Problem::JoinRefused {
        room: rust.clone(),
        code: ErrorCode::RoomFull,
    };
    assert_eq!(problem(Locale::en, &full), "#rust is full.");
    let forbidden = Problem::JoinRefused {
        room: rust.clone(),
        code: ErrorCode::Forbidden,
    };
    assert!(problem(Locale::ko, &forbidden).starts_with("#rust 방에 들어갈 수 없습니다"));
    let refused = Problem::Refused {
        code: ErrorCode::RoomFull,
        detail: "room is full".into(),
    };
    assert_eq!(problem(Locale::ko, &refused), "그 방은 정원이 찼습니다.");
    let title = notice_title(Locale::en, ToastKind::Invite, Some(&alice), Some(&rust));
    assert_eq!(title, "alice invited you to #rust");
    assert_eq!(
        notice_title(Locale::ko, ToastKind::Invite, Some(&alice), Some(&rust)),
        "alice님이 #rust 방에 초대했습니다"
    );
}
