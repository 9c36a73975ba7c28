//! Edits and deletions (protocol v2): entries that change the message they
//! target, take a seq (so resume sees no gap) and never count as unread.

use confab_shared::EntryKind;

use super::*;

/// An `edit` (`Some` text) or `delete` entry of `target` at `seq`.
fn change(r: &str, seq: u64, from: &str, target: u64, text: Option<&str>) -> Message {
    let mut m = msg(r, seq, from);
    m.kind = if text.is_some() {
        EntryKind::Edit
    } else {
        EntryKind::Delete
    };
    m.target = Some(target);
    m.text = text.unwrap_or_default().to_owned();
    m
}

fn message_frame(message: Message) -> ServerMsg {
    ServerMsg::Message { message }
}

#[test]
fn an_edit_changes_the_message_it_targets_and_a_deletion_empties_it() {
    let mut s = connected();
    s.apply(
        message_frame(change("lobby", 4, "bob", 2, Some("fixed"))),
        T0,
    );
    let lobby = &s.rooms[&room("lobby")];
    assert_eq!(lobby.messages[&2].text, "fixed");
    assert_eq!(
        lobby.messages[&2].edited,
        Some(Timestamp::from_millis(T0 + 4_000))
    );
    // The entry holds its seq, so the room's log has no gap to resume.
    assert_eq!(lobby.resume_seq(), Some(4));

    let mut with_image = msg("lobby", 5, "bob");
    with_image.attachment = Some(confab_shared::Attachment {
        url: "/uploads/a.gif".into(),
        mime: "image/gif".into(),
        bytes: 10,
        width: None,
        height: None,
    });
    s.apply(message_frame(with_image), T0);
    s.apply(message_frame(change("lobby", 6, "bob", 5, None)), T0);
    let gone = &s.rooms[&room("lobby")].messages[&5];
    assert!(gone.deleted && gone.text.is_empty() && gone.attachment.is_none());
    // Nothing brings a deleted message back, not even a late edit entry.
    s.apply(
        message_frame(change("lobby", 7, "bob", 5, Some("back"))),
        T0,
    );
    assert!(s.rooms[&room("lobby")].messages[&5].text.is_empty());
    // An edit of a message not held changes nothing (the message shows its
    // current text when it is loaded).
    s.apply(
        message_frame(change("lobby", 8, "bob", 1_000, Some("x"))),
        T0,
    );
    assert_eq!(seqs(&s, "lobby"), (1..=8).collect::<Vec<_>>());
}

#[test]
fn edits_and_deletions_are_never_unread() {
    let mut s = connected();
    // rust is not on screen: bob's message counts, his edit and deletion
    // of it do not.
    s.apply(message_frame(msg("rust", 3, "bob")), T0);
    s.apply(
        message_frame(change("rust", 4, "bob", 3, Some("edited"))),
        T0,
    );
    s.apply(message_frame(change("rust", 5, "bob", 1, None)), T0);
    assert_eq!(s.rooms[&room("rust")].unread, 1);
    // The same in a resumed page.
    let out = s.act(
        Action::Lost {
            attempt: 1,
            secs: 1,
        },
        T0,
    );
    assert!(frames(&out).is_empty());
    let mut page = vec![msg("rust", 6, "bob")];
    page.push(change("rust", 7, "bob", 6, Some("x")));
    s.apply(
        welcome("alice", vec![summary("lobby", 0, 3), summary("rust", 1, 5)]),
        T0,
    );
    s.apply(joined("rust", page, false, 7), T0);
    assert_eq!(s.rooms[&room("rust")].unread, 2);
}

#[test]
fn only_own_stored_messages_can_be_changed_and_only_when_connected() {
    let mut s = connected();
    s.apply(message_frame(msg("lobby", 4, "alice")), T0);
    // Someone else's message: nothing is sent.
    let out = s.act(
        Action::Edit {
            room: room("lobby"),
            seq: 3,
            text: text("mine"),
        },
        T0,
    );
    assert!(frames(&out).is_empty());
    // The same text: nothing to send either.
    let same = msg("lobby", 4, "alice").text;
    let out = s.act(
        Action::Edit {
            room: room("lobby"),
            seq: 4,
            text: text(&same),
        },
        T0,
    );
    assert!(frames(&out).is_empty());
    let out = s.act(
        Action::Edit {
            room: room("lobby"),
            seq: 4,
            text: text("better"),
        },
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Edit {
            room: room("lobby"),
            seq: 4,
            text: text("better"),
            client_id: None
        }]
    );
    // Not shown until the server stored it.
    assert_ne!(s.rooms[&room("lobby")].messages[&4].text, "better");
    let out = s.act(
        Action::Delete {
            room: room("lobby"),
            seq: 4,
        },
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![ClientMsg::Delete {
            room: room("lobby"),
            seq: 4,
            client_id: None
        }]
    );
    // Offline: the user is told, nothing is sent.
    s.act(
        Action::Lost {
            attempt: 1,
            secs: 1,
        },
        T0,
    );
    let out = s.act(
        Action::Delete {
            room: room("lobby"),
            seq: 4,
        },
        T0,
    );
    assert!(frames(&out).is_empty());
    assert!(s.toasts.iter().any(|t| t.kind == ToastKind::Error));
}
