//! Presence, notifications, typing, and a closed client.

use super::*;

#[test]
fn presence_changes_members_and_counts() {
    let mut s = connected();
    let presence = |user: &str, event, members, online| ServerMsg::Presence {
        room: room("rust"),
        user: name(user),
        users: Vec::new(),
        event,
        members,
        online,
        omitted: 0,
    };
    assert_eq!(s.online_users().len(), 1); // bob; alice is me

    s.apply(presence("bob", PresenceEvent::Offline, 2, 1), T0);
    let rust = &s.rooms[&room("rust")];
    assert!(!rust.members["bob"].online);
    assert_eq!((rust.member_count, rust.online_count), (2, 1));

    s.apply(presence("carol", PresenceEvent::Joined, 3, 2), T0);
    let rust = &s.rooms[&room("rust")];
    assert!(rust.members["carol"].online);
    assert_eq!((rust.member_count, rust.online_count), (3, 2));
    let online: Vec<String> = s
        .online_users()
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    // bob is still online in lobby.
    assert_eq!(online, vec!["bob", "carol"]);

    s.apply(presence("carol", PresenceEvent::Left, 2, 1), T0);
    let rust = &s.rooms[&room("rust")];
    assert!(!rust.members.contains_key("carol"));
    assert_eq!((rust.member_count, rust.online_count), (2, 1));

    s.apply(presence("bob", PresenceEvent::Online, 2, 2), T0);
    assert!(s.rooms[&room("rust")].members["bob"].online);

    // Unknown rooms are ignored.
    s.apply(
        ServerMsg::Presence {
            room: room("elsewhere"),
            user: name("bob"),
            users: Vec::new(),
            event: PresenceEvent::Online,
            members: 9,
            online: 9,
            omitted: 0,
        },
        T0,
    );
    assert!(!s.rooms.contains_key(&room("elsewhere")));

    // Several users at once (a mass disconnect): every one of them.
    s.apply(presence("carol", PresenceEvent::Joined, 3, 3), T0);
    s.apply(
        ServerMsg::Presence {
            room: room("rust"),
            user: name("bob"),
            users: vec![name("bob"), name("carol")],
            event: PresenceEvent::Offline,
            members: 3,
            // And 40 users the frame does not name.
            online: 1,
            omitted: 40,
        },
        T0,
    );
    let rust = &s.rooms[&room("rust")];
    assert!(!rust.members["bob"].online && !rust.members["carol"].online);
    assert_eq!((rust.member_count, rust.online_count), (3, 1));

    // Leaving on another device removes the room here.
    s.act(Action::Select(room("rust")), T0);
    s.apply(presence("alice", PresenceEvent::Left, 1, 1), T0);
    assert!(!s.rooms.contains_key(&room("rust")));
    assert_eq!(s.active, Some(room("lobby")));
}

#[test]
fn notifications_become_toasts_and_browser_notifications_when_hidden() {
    let mut s = connected();
    let note = |room: Option<&str>| ServerMsg::Notification {
        kind: NotificationKind::Mention,
        room: room.map(self::room),
        from: Some(name("bob")),
        text: "@alice look".into(),
        message_id: None,
        notice: None,
    };
    // About the room being read: nothing to show.
    assert!(s.apply(note(Some("lobby")), T0).is_empty());
    assert!(s.toasts.is_empty());

    assert!(s.apply(note(Some("rust")), T0).is_empty());
    assert_eq!(s.toasts.len(), 1);
    assert_eq!(s.toasts[0].kind, ToastKind::Mention);

    s.act(Action::Visible(false), T0);
    let out = s.apply(note(Some("lobby")), T0);
    assert!(
        matches!(out.as_slice(), [Command::Notify { body: ToastBody::Text(body), .. }] if body == "@alice look")
    );
    assert_eq!(s.toasts.len(), 2);

    let system = ServerMsg::Notification {
        kind: NotificationKind::System,
        room: None,
        from: None,
        text: "restart soon".into(),
        message_id: None,
        notice: Some(SystemNotice::ServerRestarting),
    };
    s.apply(system, T0 + 1000);
    let first = s.toasts[0].id;
    s.act(Action::Dismiss(first), T0);
    assert_eq!(s.toasts.len(), 2);
    // Toasts expire.
    s.act(Action::Tick, T0 + TOAST_TTL_MS);
    assert_eq!(s.toasts.len(), 1);
    assert_eq!(s.toasts[0].kind, ToastKind::System);
    // A notice the client knows is kept as data, worded when shown.
    assert_eq!(
        s.toasts[0].body,
        ToastBody::Notice(SystemNotice::ServerRestarting)
    );
}

#[test]
fn typing_lines_expire_and_typing_frames_are_throttled() {
    let mut s = connected();
    s.apply(
        ServerMsg::Typing {
            room: room("lobby"),
            user: name("bob"),
        },
        T0,
    );
    // My own typing echoed back is not shown.
    s.apply(
        ServerMsg::Typing {
            room: room("lobby"),
            user: name("alice"),
        },
        T0,
    );
    assert_eq!(s.rooms[&room("lobby")].typing_at(T0), vec![name("bob")]);
    s.act(Action::Tick, T0 + TYPING_TTL_MS - 1);
    assert_eq!(s.rooms[&room("lobby")].typing.len(), 1);
    s.act(Action::Tick, T0 + TYPING_TTL_MS);
    assert!(s.rooms[&room("lobby")].typing.is_empty());

    // A message from the typist ends the line.
    s.apply(
        ServerMsg::Typing {
            room: room("lobby"),
            user: name("bob"),
        },
        T0,
    );
    s.apply(
        ServerMsg::Message {
            message: msg("lobby", 4, "bob"),
        },
        T0,
    );
    assert!(s.rooms[&room("lobby")].typing.is_empty());

    let typing = |s: &mut ChatState, at| frames(&s.act(Action::Typing(room("lobby")), at)).len();
    assert_eq!(typing(&mut s, T0), 1);
    assert_eq!(typing(&mut s, T0 + 1000), 0);
    assert_eq!(typing(&mut s, T0 + 3000), 1);
}

#[test]
fn closed_stays_closed() {
    let mut s = connected();
    s.act(Action::Closed, T0);
    s.act(Action::Connecting, T0);
    assert_eq!(s.conn, ConnStatus::Closed);
    assert!(s.rooms.values().all(|r| !r.joined));
}

#[test]
fn a_blocked_users_messages_are_not_unread_notified_or_typing() {
    let mut s = connected();
    s.act(Action::Visible(false), T0);
    s.act(Action::Blocked(vec![name("Bob")]), T0);
    assert!(s.is_blocked(&name("bob")), "by name key, whatever the case");

    // In a room not on screen: bob's message is kept, not counted; carol's is.
    let before = s.rooms[&room("rust")].unread;
    s.apply(
        ServerMsg::Message {
            message: msg("rust", 3, "bob"),
        },
        T0,
    );
    s.apply(
        ServerMsg::Message {
            message: msg("rust", 4, "carol"),
        },
        T0,
    );
    assert_eq!(s.rooms[&room("rust")].unread, before + 1);
    assert_eq!(seqs(&s, "rust").len(), 4, "the log stays whole");

    // No toast, no desktop notification, no typing line from bob.
    let note = ServerMsg::Notification {
        kind: NotificationKind::Mention,
        room: Some(room("rust")),
        from: Some(name("bob")),
        text: "@alice look".into(),
        message_id: None,
        notice: None,
    };
    assert!(s.apply(note, T0).is_empty());
    assert!(s.toasts.is_empty());
    s.apply(
        ServerMsg::Typing {
            room: room("lobby"),
            user: name("bob"),
        },
        T0,
    );
    assert!(s.rooms[&room("lobby")].typing.is_empty());

    // Unblocked, bob counts again.
    s.act(Action::Blocked(Vec::new()), T0);
    s.apply(
        ServerMsg::Message {
            message: msg("rust", 5, "bob"),
        },
        T0,
    );
    assert_eq!(s.rooms[&room("rust")].unread, before + 2);
}
