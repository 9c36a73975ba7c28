//! Resume after a reconnect, frames out of order, older history.

use super::*;

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
                since: Some(3),
                password: None,
            },
            ClientMsg::Join {
                room: room("rust"),
                since: Some(2),
                password: None,
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
        since: Some(2),
        password: None,
    }));
    s.apply(joined("rust", msgs("rust", 3..=7, "bob"), false, 7), T0);
    assert_eq!(seqs(&s, "rust"), vec![1, 2, 3, 4, 5, 6, 7]);
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
            since: Some(503),
            password: None,
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
