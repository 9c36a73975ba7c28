//! Moderation: topic and role, log lines, removal, staff deletions,
//! moderation requests, joins with a password and their refusals.

use confab_shared::moderation::{RoomPassword, ShortText};
use confab_shared::{EntryKind, ModAction, RoomEvent, RoomRole};

use super::*;

fn entry(r: &str, seq: u64, from: &str, event: RoomEvent) -> Message {
    Message {
        kind: EntryKind::Moderation,
        text: String::new(),
        event: Some(event),
        ..msg(r, seq, from)
    }
}

fn frame(message: Message) -> ServerMsg {
    ServerMsg::Message { message }
}

fn topic(text: &str) -> RoomEvent {
    RoomEvent::Topic {
        topic: ShortText::parse(text).expect("topic"),
    }
}

fn joined_as(r: &str, role: RoomRole, topic: &str) -> ServerMsg {
    let ServerMsg::Joined {
        room,
        members,
        members_total,
        messages,
        more,
        latest_seq,
        ..
    } = joined(r, msgs(r, 1..=2, "bob"), false, 2)
    else {
        unreachable!("joined() builds a joined frame");
    };
    ServerMsg::Joined {
        room,
        members,
        members_total,
        messages,
        more,
        latest_seq,
        topic: topic.into(),
        role,
    }
}

#[test]
fn joined_gives_topic_and_role_and_live_events_change_them() {
    let mut s = connected();
    s.apply(joined_as("rust", RoomRole::Member, "Rust talk"), T0);
    let rust = &s.rooms[&room("rust")];
    assert_eq!(
        (rust.topic.as_str(), rust.role),
        ("Rust talk", RoomRole::Member)
    );

    // bob (the owner) appoints alice, then sets a topic: shown as lines,
    // never unread.
    let appoint = RoomEvent::Moderator {
        user: name("alice"),
        appoint: true,
    };
    s.apply(frame(entry("rust", 3, "bob", appoint)), T0);
    s.apply(frame(entry("rust", 4, "bob", topic("new topic"))), T0);
    let rust = &s.rooms[&room("rust")];
    assert_eq!(rust.role, RoomRole::Moderator);
    assert_eq!(rust.topic, "new topic");
    assert_eq!(rust.unread, 0);
    assert_eq!(rust.last_event, 4);
    assert_eq!(rust.messages[&4].kind, EntryKind::Moderation);
    assert!(s.toasts.is_empty());

    // An older entry from a page changes nothing that `joined` said.
    s.apply(
        ServerMsg::History {
            room: room("rust"),
            messages: vec![entry("rust", 0, "bob", topic("ancient"))],
            more: false,
        },
        T0,
    );
    assert_eq!(s.rooms[&room("rust")].topic, "new topic");

    // Dismissed: back to a member. An owner stays an owner.
    let dismiss = RoomEvent::Moderator {
        user: name("alice"),
        appoint: false,
    };
    s.apply(frame(entry("rust", 5, "bob", dismiss.clone())), T0);
    assert_eq!(s.rooms[&room("rust")].role, RoomRole::Member);
    s.apply(joined_as("lobby", RoomRole::Owner, ""), T0);
    s.apply(frame(entry("lobby", 6, "root", dismiss)), T0);
    assert_eq!(s.rooms[&room("lobby")].role, RoomRole::Owner);
}

#[test]
fn being_kicked_tells_the_user_and_drops_the_room() {
    let mut s = connected();
    let kick = RoomEvent::Kick {
        user: name("alice"),
        reason: ShortText::parse("spam").expect("reason"),
    };
    // alice is reading the room: no read cursor goes out for it any more.
    s.act(Action::Select(room("rust")), T0);
    let out = s.apply(frame(entry("rust", 3, "bob", kick)), T0);
    assert!(frames(&out).is_empty(), "nothing for a room left: {out:?}");
    assert!(!s.rooms.contains_key(&room("rust")));
    assert_eq!(s.active, Some(room("lobby")));
    assert_eq!(s.toasts.len(), 1);
    assert_eq!(
        s.toasts[0].body,
        ToastBody::Removed {
            room: room("rust"),
            by: name("bob"),
            banned: false,
            reason: "spam".into(),
        }
    );
    let left = ServerMsg::Presence {
        room: room("rust"),
        user: name("alice"),
        users: Vec::new(),
        event: PresenceEvent::Left,
        members: 1,
        online: 1,
        omitted: 0,
    };
    let out = s.apply(left, T0);
    assert!(!s.rooms.contains_key(&room("rust")));
    assert!(frames(&out).is_empty(), "no join again: {out:?}");

    // Someone else's ban is a line, not a toast; hidden tab: no notice.
    s.act(Action::Visible(false), T0);
    let ban = RoomEvent::Ban {
        user: name("carol"),
        reason: ShortText::default(),
    };
    let out = s.apply(frame(entry("lobby", 4, "bob", ban)), T0);
    assert_eq!(s.toasts.len(), 1);
    assert!(out.iter().all(|c| !matches!(c, Command::Notify { .. })));
}

#[test]
fn staff_delete_others_messages_and_a_moderators_deletion_applies() {
    let mut s = connected();
    let delete = Action::Delete {
        room: room("lobby"),
        seq: 2,
    };
    // A member cannot delete bob's message.
    assert!(frames(&s.act(delete.clone(), T0)).is_empty());
    s.apply(joined_as("lobby", RoomRole::Moderator, ""), T0);
    assert_eq!(
        frames(&s.act(delete, T0)),
        vec![ClientMsg::Delete {
            room: room("lobby"),
            seq: 2,
            client_id: None,
        }]
    );
    // Nor edit it.
    let edit = Action::Edit {
        room: room("lobby"),
        seq: 2,
        text: text("mine now"),
    };
    assert!(frames(&s.act(edit, T0)).is_empty());

    // The deletion, by carol (a moderator), empties bob's message.
    let mut deletion = msg("lobby", 9, "carol");
    deletion.kind = EntryKind::Delete;
    deletion.target = Some(2);
    deletion.text.clear();
    s.apply(frame(deletion), T0);
    let m = &s.rooms[&room("lobby")].messages[&2];
    assert!(m.deleted && m.text.is_empty());
}

#[test]
fn moderation_requests_go_out_only_when_connected() {
    let mut s = connected();
    let kick = ModAction::Kick {
        user: name("bob"),
        reason: ShortText::default(),
    };
    let act = |kick: &ModAction| Action::Moderate {
        room: room("lobby"),
        action: kick.clone(),
    };
    assert_eq!(
        frames(&s.act(act(&kick), T0)),
        vec![ClientMsg::Moderate {
            room: room("lobby"),
            action: kick.clone(),
            client_id: None,
        }]
    );
    s.act(
        Action::Lost {
            attempt: 1,
            secs: 1,
        },
        T0,
    );
    assert!(frames(&s.act(act(&kick), T0)).is_empty());
    assert_eq!(s.toasts[0].body, ToastBody::Problem(Problem::NotConnected));
}

#[test]
fn a_refused_join_is_told_and_no_longer_awaited() {
    let mut s = connected();
    let password = RoomPassword::parse("open sesame").expect("password");
    let out = s.act(
        Action::JoinWith {
            room: room("secret"),
            password: password.clone(),
        },
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Join {
            room: room("secret"),
            since: None,
            password: Some(password),
        }]
    );
    s.apply(
        ServerMsg::Error {
            code: ErrorCode::Forbidden,
            message: "wrong password".into(),
            client_id: None,
            retry_after: None,
        },
        T0,
    );
    let refused = Problem::JoinRefused {
        room: room("secret"),
        code: ErrorCode::Forbidden,
    };
    assert_eq!(s.toasts[0].body, ToastBody::Problem(refused));
    assert_eq!(s.join_refused, Some((room("secret"), ErrorCode::Forbidden)));
    // A later joined reply nobody awaits does not switch rooms; a new try
    // clears the refusal.
    s.act(Action::Join(room("secret")), T0);
    assert_eq!(s.join_refused, None);
    s.apply(
        ServerMsg::Error {
            code: ErrorCode::RoomFull,
            message: "full".into(),
            client_id: None,
            retry_after: None,
        },
        T0,
    );
    assert_eq!(s.join_refused, Some((room("secret"), ErrorCode::RoomFull)));
    assert_eq!(s.active, Some(room("lobby")));
}

#[test]
fn a_muted_send_fails_with_the_time_left() {
    let mut s = connected();
    s.act(
        Action::Send {
            room: room("lobby"),
            text: text("hello?"),
            client_id: cid("c-1"),
        },
        T0,
    );
    s.apply(
        ServerMsg::Error {
            code: ErrorCode::Muted,
            message: "you are muted in this room for 600 more seconds".into(),
            client_id: Some("c-1".into()),
            retry_after: Some(600),
        },
        T0,
    );
    assert_eq!(
        s.rooms[&room("lobby")].pending[0].status,
        SendStatus::Failed(Problem::Muted { secs: 600 })
    );
}

#[test]
fn an_invitation_is_a_toast_to_join() {
    let mut s = connected();
    s.apply(
        ServerMsg::Notification {
            kind: NotificationKind::Invite,
            room: Some(room("secret")),
            from: Some(name("bob")),
            text: "bob invited you to #secret".into(),
            message_id: None,
            notice: None,
        },
        T0,
    );
    let toast = &s.toasts[0];
    assert_eq!(toast.kind, ToastKind::Invite);
    assert_eq!(toast.body, ToastBody::Invite);
    assert_eq!(toast.room, Some(room("secret")));
}
