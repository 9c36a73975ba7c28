//! The chat reducer, frame by frame, on the host.

use confab_client::state::{
    Action, ChatState, Command, ConnStatus, SendStatus, ToastKind, TOAST_TTL_MS, TYPING_TTL_MS,
};
use confab_shared::{
    ClientId, ClientMsg, Color, ErrorCode, Member, Message, MessageText, NotificationKind,
    PresenceEvent, RoomId, RoomSummary, ServerMsg, Timestamp, User, UserName,
};

const T0: i64 = 1_795_390_200_000;

fn name(n: &str) -> UserName {
    UserName::parse(n).expect("test name")
}

fn room(r: &str) -> RoomId {
    RoomId::parse(r).expect("test room")
}

fn user(n: &str) -> User {
    User {
        id: format!("u-{n}"),
        name: name(n),
        color: Color::parse("#336699").expect("colour"),
    }
}

fn member(n: &str, online: bool) -> Member {
    Member {
        name: name(n),
        color: Color::parse("#aa0000").expect("colour"),
        online,
    }
}

fn msg(r: &str, seq: u64, from: &str) -> Message {
    Message {
        id: format!("{r}-{seq}"),
        room: room(r),
        seq,
        from: name(from),
        text: format!("message {seq} from {from}"),
        ts: Timestamp::from_millis(T0 + seq as i64 * 1000),
        attachment: None,
    }
}

fn msgs(r: &str, seqs: std::ops::RangeInclusive<u64>, from: &str) -> Vec<Message> {
    seqs.map(|s| msg(r, s, from)).collect()
}

fn cid(s: &str) -> ClientId {
    ClientId::parse(s).expect("client id")
}

fn text(s: &str) -> MessageText {
    MessageText::parse(s).expect("text")
}

fn summary(r: &str, unread: u64, latest_seq: u64) -> RoomSummary {
    RoomSummary {
        name: room(r),
        members: 2,
        online: 2,
        unread,
        latest_seq,
    }
}

fn welcome(me: &str, rooms: Vec<RoomSummary>) -> ServerMsg {
    ServerMsg::Welcome {
        user: user(me),
        rooms,
    }
}

fn joined(r: &str, messages: Vec<Message>, more: bool, latest_seq: u64) -> ServerMsg {
    ServerMsg::Joined {
        room: room(r),
        members: vec![member("alice", true), member("bob", true)],
        members_total: 2,
        messages,
        more,
        latest_seq,
    }
}

fn frames(commands: &[Command]) -> Vec<ClientMsg> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Send(f) => Some(f.clone()),
            Command::Notify { .. } => None,
        })
        .collect()
}

fn seqs(state: &ChatState, r: &str) -> Vec<u64> {
    state.rooms[&room(r)].messages.keys().copied().collect()
}

/// alice, connected, in `lobby` (messages 1..=3, active) and `rust` (1..=2).
fn connected() -> ChatState {
    let mut s = ChatState::new();
    s.act(Action::Connecting, T0);
    let out = s.apply(
        welcome("alice", vec![summary("lobby", 0, 3), summary("rust", 0, 2)]),
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![
            ClientMsg::Join {
                room: room("lobby"),
                since: None
            },
            ClientMsg::Join {
                room: room("rust"),
                since: None
            },
        ]
    );
    s.apply(joined("lobby", msgs("lobby", 1..=3, "bob"), false, 3), T0);
    s.apply(joined("rust", msgs("rust", 1..=2, "bob"), false, 2), T0);
    assert_eq!(s.conn, ConnStatus::Open);
    assert_eq!(s.active, Some(room("lobby")));
    s
}

#[test]
fn resume_after_reconnect_stores_each_message_once_in_seq_order() {
    let mut s = connected();
    s.act(
        Action::Lost {
            attempt: 1,
            secs: 2,
        },
        T0,
    );
    assert_eq!(
        s.conn,
        ConnStatus::Reconnecting {
            attempt: 1,
            secs: 2
        }
    );
    assert!(!s.rooms[&room("lobby")].joined);

    let out = s.apply(
        welcome("alice", vec![summary("lobby", 2, 5), summary("rust", 0, 2)]),
        T0,
    );
    // Every room resumes after the last seq held.
    assert_eq!(
        frames(&out),
        vec![
            ClientMsg::Join {
                room: room("lobby"),
                since: Some(3)
            },
            ClientMsg::Join {
                room: room("rust"),
                since: Some(2)
            },
        ]
    );
    // A live frame races the join reply, which repeats it.
    s.apply(
        ServerMsg::Message {
            message: msg("lobby", 5, "bob"),
        },
        T0,
    );
    s.apply(joined("lobby", msgs("lobby", 4..=5, "bob"), false, 5), T0);
    s.apply(
        ServerMsg::Message {
            message: msg("lobby", 5, "bob"),
        },
        T0,
    );
    assert_eq!(seqs(&s, "lobby"), vec![1, 2, 3, 4, 5]);
    let lobby = &s.rooms[&room("lobby")];
    assert_eq!(lobby.messages[&4].text, "message 4 from bob");
    assert_eq!(lobby.latest_seq, 5);
    assert!(lobby.joined);
}

#[test]
fn frames_out_of_order_are_kept_in_seq_order_and_gaps_are_refetched() {
    let mut s = connected();
    for seq in [7, 5, 4, 6] {
        s.apply(
            ServerMsg::Message {
                message: msg("rust", seq, "bob"),
            },
            T0,
        );
    }
    // 3 never arrived.
    assert_eq!(seqs(&s, "rust"), vec![1, 2, 4, 5, 6, 7]);
    let rust = &s.rooms[&room("rust")];
    assert_eq!(rust.resume_seq(), Some(2));
    assert_eq!(rust.last_seq(), Some(7));

    s.act(
        Action::Lost {
            attempt: 1,
            secs: 1,
        },
        T0,
    );
    let out = s.apply(
        welcome("alice", vec![summary("lobby", 0, 3), summary("rust", 0, 7)]),
        T0,
    );
    assert!(frames(&out).contains(&ClientMsg::Join {
        room: room("rust"),
        since: Some(2)
    }));
    s.apply(joined("rust", msgs("rust", 3..=7, "bob"), false, 7), T0);
    assert_eq!(seqs(&s, "rust"), vec![1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_sent_message_is_pending_until_its_ack() {
    let mut s = connected();
    let out = s.act(
        Action::Send {
            room: room("lobby"),
            text: text("hi all"),
            client_id: cid("c1"),
        },
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Send {
            room: room("lobby"),
            text: text("hi all"),
            client_id: Some(cid("c1")),
        }]
    );
    let lobby = &s.rooms[&room("lobby")];
    assert_eq!(lobby.pending.len(), 1);
    assert_eq!(lobby.pending[0].status, SendStatus::Sending);
    assert_eq!(seqs(&s, "lobby"), vec![1, 2, 3]);

    // An ack for someone else's id changes no pending entry.
    s.apply(
        ServerMsg::Ack {
            client_id: Some(cid("other")),
            message: msg("lobby", 4, "alice"),
        },
        T0,
    );
    assert_eq!(s.rooms[&room("lobby")].pending.len(), 1);

    let mut mine = msg("lobby", 5, "alice");
    mine.text = "hi all".into();
    s.apply(
        ServerMsg::Ack {
            client_id: Some(cid("c1")),
            message: mine.clone(),
        },
        T0,
    );
    let lobby = &s.rooms[&room("lobby")];
    assert!(lobby.pending.is_empty());
    assert_eq!(lobby.messages[&5].as_ref(), &mine);
    assert_eq!(lobby.unread, 0);
}

#[test]
fn a_refused_send_is_marked_failed_and_retried_with_the_same_client_id() {
    let mut s = connected();
    s.act(
        Action::Send {
            room: room("rust"),
            text: text("too fast"),
            client_id: cid("c7"),
        },
        T0,
    );
    s.apply(
        ServerMsg::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
            client_id: Some("c7".into()),
        },
        T0,
    );
    let pending = &s.rooms[&room("rust")].pending[0];
    assert!(matches!(&pending.status, SendStatus::Failed(reason) if reason.contains("Too fast")));
    // The error is shown on the message, not as a toast.
    assert!(s.toasts.is_empty());

    let out = s.act(
        Action::Retry {
            client_id: cid("c7"),
        },
        T0 + 5_000,
    );
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Send {
            room: room("rust"),
            text: text("too fast"),
            client_id: Some(cid("c7")),
        }]
    );
    assert_eq!(
        s.rooms[&room("rust")].pending[0].status,
        SendStatus::Sending
    );

    s.apply(
        ServerMsg::Ack {
            client_id: Some(cid("c7")),
            message: msg("rust", 3, "alice"),
        },
        T0,
    );
    assert!(s.rooms[&room("rust")].pending.is_empty());
    assert_eq!(seqs(&s, "rust"), vec![1, 2, 3]);
}

#[test]
fn a_send_lost_with_the_connection_fails_and_retries_after_reconnect() {
    let mut s = connected();
    s.act(
        Action::Send {
            room: room("lobby"),
            text: text("are you there"),
            client_id: cid("c9"),
        },
        T0,
    );
    s.act(
        Action::Lost {
            attempt: 1,
            secs: 1,
        },
        T0,
    );
    assert!(matches!(
        s.rooms[&room("lobby")].pending[0].status,
        SendStatus::Failed(_)
    ));
    // Retrying while offline sends nothing and stays failed.
    let out = s.act(
        Action::Retry {
            client_id: cid("c9"),
        },
        T0,
    );
    assert!(frames(&out).is_empty());
    assert!(matches!(
        s.rooms[&room("lobby")].pending[0].status,
        SendStatus::Failed(_)
    ));
    // Sending while offline fails at once.
    s.act(
        Action::Send {
            room: room("lobby"),
            text: text("second"),
            client_id: cid("c10"),
        },
        T0,
    );
    assert!(matches!(
        s.rooms[&room("lobby")].pending[1].status,
        SendStatus::Failed(_)
    ));

    s.apply(welcome("alice", vec![summary("lobby", 0, 3)]), T0);
    let out = s.act(
        Action::Retry {
            client_id: cid("c9"),
        },
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Send {
            room: room("lobby"),
            text: text("are you there"),
            client_id: Some(cid("c9")),
        }]
    );
    // A failed message can be dropped; a sending one cannot.
    s.act(
        Action::Discard {
            client_id: cid("c10"),
        },
        T0,
    );
    s.act(
        Action::Discard {
            client_id: cid("c9"),
        },
        T0,
    );
    let pending = &s.rooms[&room("lobby")].pending;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].client_id, cid("c9"));
}

#[test]
fn unread_counts_messages_of_others_in_rooms_not_on_screen() {
    let mut s = connected();
    // lobby is on screen: read at once, and the server is told.
    let out = s.apply(
        ServerMsg::Message {
            message: msg("lobby", 4, "bob"),
        },
        T0,
    );
    assert_eq!(s.rooms[&room("lobby")].unread, 0);
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Read {
            room: room("lobby"),
            seq: 4
        }]
    );

    for seq in 3..=4 {
        s.apply(
            ServerMsg::Message {
                message: msg("rust", seq, "bob"),
            },
            T0,
        );
    }
    // The same frame twice counts once.
    s.apply(
        ServerMsg::Message {
            message: msg("rust", 4, "bob"),
        },
        T0,
    );
    // Own messages never count, from this or another device.
    s.apply(
        ServerMsg::Message {
            message: msg("rust", 5, "alice"),
        },
        T0,
    );
    s.apply(
        ServerMsg::Ack {
            client_id: None,
            message: msg("rust", 6, "alice"),
        },
        T0,
    );
    assert_eq!(s.rooms[&room("rust")].unread, 2);
    assert_eq!(s.total_unread(), 2);

    let out = s.act(Action::MarkRead(room("rust")), T0);
    assert_eq!(s.rooms[&room("rust")].unread, 0);
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Read {
            room: room("rust"),
            seq: 6
        }]
    );
    // Nothing new: no second `read`.
    assert!(frames(&s.act(Action::MarkRead(room("rust")), T0)).is_empty());

    // Opening a room reads it.
    s.apply(
        ServerMsg::Message {
            message: msg("rust", 7, "bob"),
        },
        T0,
    );
    assert_eq!(s.rooms[&room("rust")].unread, 1);
    let out = s.act(Action::Select(room("rust")), T0);
    assert_eq!(s.rooms[&room("rust")].unread, 0);
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Read {
            room: room("rust"),
            seq: 7
        }]
    );
}

#[test]
fn unread_from_welcome_is_not_counted_again_on_resume() {
    let mut s = connected();
    s.act(
        Action::Lost {
            attempt: 1,
            secs: 1,
        },
        T0,
    );
    // While away, bob wrote 3 and 4 in rust.
    s.apply(
        welcome("alice", vec![summary("lobby", 0, 3), summary("rust", 2, 4)]),
        T0,
    );
    assert_eq!(s.rooms[&room("rust")].unread, 2);
    s.apply(joined("rust", msgs("rust", 3..=4, "bob"), false, 4), T0);
    assert_eq!(s.rooms[&room("rust")].unread, 2);
    // One more after the welcome counts.
    s.apply(joined("rust", msgs("rust", 3..=5, "bob"), false, 5), T0);
    assert_eq!(s.rooms[&room("rust")].unread, 3);
}

#[test]
fn a_hidden_tab_counts_the_room_on_screen_until_it_is_seen() {
    let mut s = connected();
    s.act(Action::Visible(false), T0);
    let out = s.apply(
        ServerMsg::Message {
            message: msg("lobby", 4, "bob"),
        },
        T0,
    );
    assert!(frames(&out).is_empty());
    assert_eq!(s.rooms[&room("lobby")].unread, 1);
    let out = s.act(Action::Visible(true), T0);
    assert_eq!(s.rooms[&room("lobby")].unread, 0);
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Read {
            room: room("lobby"),
            seq: 4
        }]
    );
}

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
fn load_older_asks_for_history_before_the_first_message() {
    let mut s = ChatState::new();
    s.apply(welcome("alice", vec![summary("lobby", 0, 60)]), T0);
    s.apply(joined("lobby", msgs("lobby", 11..=60, "bob"), true, 60), T0);
    assert!(s.rooms[&room("lobby")].more_before);
    let out = s.act(Action::LoadOlder(room("lobby")), T0);
    match frames(&out).as_slice() {
        [ClientMsg::History {
            room: r,
            before: Some(11),
            limit: Some(limit),
        }] => {
            assert_eq!(r, &room("lobby"));
            assert_eq!(limit.get(), 50);
        }
        other => panic!("unexpected frames {other:?}"),
    }
    // Only one request at a time.
    assert!(frames(&s.act(Action::LoadOlder(room("lobby")), T0)).is_empty());
    s.apply(
        ServerMsg::History {
            room: room("lobby"),
            messages: msgs("lobby", 1..=10, "bob"),
            more: false,
        },
        T0,
    );
    let lobby = &s.rooms[&room("lobby")];
    assert_eq!(lobby.messages.len(), 60);
    assert_eq!(lobby.first_seq(), Some(1));
    assert!(!lobby.more_before && !lobby.loading_older);
    assert_eq!(lobby.unread, 0);
    assert!(frames(&s.act(Action::LoadOlder(room("lobby")), T0)).is_empty());
}

#[test]
fn a_resume_with_more_keeps_pulling_or_drops_a_hole() {
    let mut s = connected();
    s.act(
        Action::Lost {
            attempt: 1,
            secs: 1,
        },
        T0,
    );
    s.apply(
        welcome(
            "alice",
            vec![summary("lobby", 0, 2000), summary("rust", 0, 2000)],
        ),
        T0,
    );
    // The reply starts right after `since`: ask for the rest.
    let out = s.apply(
        joined("lobby", msgs("lobby", 4..=503, "bob"), true, 2000),
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Join {
            room: room("lobby"),
            since: Some(503)
        }]
    );
    // The reply holds only the newest ones: the hole is dropped, not shown.
    s.apply(
        joined("rust", msgs("rust", 1501..=2000, "bob"), true, 2000),
        T0,
    );
    let rust = &s.rooms[&room("rust")];
    assert_eq!(rust.first_seq(), Some(1501));
    assert_eq!(rust.messages.len(), 500);
    assert!(rust.more_before);
}

#[test]
fn direct_messages_use_the_dm_frame_and_the_canonical_room() {
    let mut s = connected();
    let out = s.act(
        Action::Dm {
            to: name("bob"),
            text: text("psst"),
            client_id: cid("d1"),
        },
        T0,
    );
    let dm = room("dm:alice:bob");
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Dm {
            to: name("bob"),
            text: text("psst"),
            client_id: Some(cid("d1")),
        }]
    );
    assert_eq!(s.active, Some(dm.clone()));
    assert_eq!(s.rooms[&dm].pending.len(), 1);

    // A retry of a DM is a `dm` frame again.
    s.apply(
        ServerMsg::Error {
            code: ErrorCode::Internal,
            message: String::new(),
            client_id: Some("d1".into()),
        },
        T0,
    );
    let out = s.act(
        Action::Retry {
            client_id: cid("d1"),
        },
        T0,
    );
    assert!(matches!(frames(&out).as_slice(), [ClientMsg::Dm { .. }]));

    s.apply(
        ServerMsg::Ack {
            client_id: Some(cid("d1")),
            message: msg("dm:alice:bob", 1, "alice"),
        },
        T0,
    );
    assert!(s.rooms[&dm].pending.is_empty());
    assert_eq!(seqs(&s, "dm:alice:bob"), vec![1]);

    // No DM to oneself.
    let out = s.act(
        Action::Dm {
            to: name("ALICE"),
            text: text("me"),
            client_id: cid("d2"),
        },
        T0,
    );
    assert!(frames(&out).is_empty());
    assert_eq!(s.toasts.last().map(|t| t.kind), Some(ToastKind::Error));
}

#[test]
fn a_message_in_an_unknown_room_creates_it_and_counts_once() {
    let mut s = connected();
    let out = s.apply(
        ServerMsg::Message {
            message: msg("dm:alice:carol", 4, "carol"),
        },
        T0,
    );
    let dm = room("dm:alice:carol");
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Join {
            room: dm.clone(),
            since: None
        }]
    );
    assert_eq!(s.rooms[&dm].unread, 1);
    // Its history arrives with the join reply: old messages are not unread.
    s.apply(
        joined(
            "dm:alice:carol",
            msgs("dm:alice:carol", 1..=4, "carol"),
            false,
            4,
        ),
        T0,
    );
    assert_eq!(s.rooms[&dm].unread, 1);
    assert_eq!(seqs(&s, "dm:alice:carol"), vec![1, 2, 3, 4]);
}

#[test]
fn joining_a_new_room_shows_it_without_unread() {
    let mut s = connected();
    let out = s.act(Action::Join(room("help")), T0);
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Join {
            room: room("help"),
            since: None
        }]
    );
    assert_eq!(s.active, Some(room("lobby")));
    s.apply(joined("help", msgs("help", 1..=9, "bob"), false, 9), T0);
    assert_eq!(s.active, Some(room("help")));
    assert_eq!(s.rooms[&room("help")].unread, 0);

    // `left` removes it and falls back to the lobby.
    s.apply(ServerMsg::Left { room: room("help") }, T0);
    assert!(!s.rooms.contains_key(&room("help")));
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
    };
    // About the room being read: nothing to show.
    assert!(s.apply(note(Some("lobby")), T0).is_empty());
    assert!(s.toasts.is_empty());

    assert!(s.apply(note(Some("rust")), T0).is_empty());
    assert_eq!(s.toasts.len(), 1);
    assert_eq!(s.toasts[0].kind, ToastKind::Mention);

    s.act(Action::Visible(false), T0);
    let out = s.apply(note(Some("lobby")), T0);
    assert!(matches!(out.as_slice(), [Command::Notify { body, .. }] if body == "@alice look"));
    assert_eq!(s.toasts.len(), 2);

    let system = ServerMsg::Notification {
        kind: NotificationKind::System,
        room: None,
        from: None,
        text: "restart soon".into(),
        message_id: None,
    };
    s.apply(system, T0 + 1000);
    let first = s.toasts[0].id;
    s.act(Action::Dismiss(first), T0);
    assert_eq!(s.toasts.len(), 2);
    // Toasts expire.
    s.act(Action::Tick, T0 + TOAST_TTL_MS);
    assert_eq!(s.toasts.len(), 1);
    assert_eq!(s.toasts[0].kind, ToastKind::System);
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
