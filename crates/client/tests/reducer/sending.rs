//! Sending: pending until the ack, refused, lost with the connection; direct messages.

use super::*;

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
