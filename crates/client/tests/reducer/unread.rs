//! Unread counts and rooms that appear.

use super::*;

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
            since: None,
            password: None,
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
            since: None,
            password: None,
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
