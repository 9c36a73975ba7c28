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
            retry_after: Some(1),
        },
        T0,
    );
    let pending = &s.rooms[&room("rust")].pending[0];
    assert_eq!(
        pending.status,
        SendStatus::Failed(Problem::Refused {
            code: ErrorCode::RateLimited,
            detail: "slow down".into()
        })
    );
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
fn sends_without_a_connection_wait_and_go_out_once_it_is_back() {
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
    // Unconfirmed when the connection went: it waits, it has not failed.
    let status = |s: &ChatState, i: usize| s.rooms[&room("lobby")].pending[i].status.clone();
    assert_eq!(status(&s, 0), SendStatus::Waiting);
    // Sending while offline waits too; a retry offline sends nothing.
    s.act(
        Action::Send {
            room: room("lobby"),
            text: text("second"),
            client_id: cid("c10"),
        },
        T0 + 1,
    );
    assert_eq!(status(&s, 1), SendStatus::Waiting);
    let out = s.act(
        Action::Retry {
            client_id: cid("c9"),
        },
        T0 + 2,
    );
    assert!(frames(&out).is_empty());

    // The next connection sends both, oldest first, with their client ids
    // (after the joins), and they are sending again.
    let out = s.apply(welcome("alice", vec![summary("lobby", 0, 3)]), T0 + 3);
    let sent: Vec<ClientMsg> = frames(&out)
        .into_iter()
        .filter(|f| matches!(f, ClientMsg::Send { .. }))
        .collect();
    assert_eq!(
        sent,
        vec![
            ClientMsg::Send {
                room: room("lobby"),
                text: text("second"),
                client_id: Some(cid("c10")),
            },
            ClientMsg::Send {
                room: room("lobby"),
                text: text("are you there"),
                client_id: Some(cid("c9")),
            },
        ],
        "oldest first: the retry gave c9 a new time"
    );
    assert_eq!(
        (status(&s, 0), status(&s, 1)),
        (SendStatus::Sending, SendStatus::Sending)
    );
    // One is acknowledged (stored once, whatever the resends).
    s.apply(
        ServerMsg::Ack {
            client_id: Some(cid("c10")),
            message: msg("lobby", 4, "alice"),
        },
        T0 + 4,
    );
    assert_eq!(s.rooms[&room("lobby")].pending.len(), 1);

    // Two minutes without an ack: not sent, with Retry and Delete. A
    // sending message cannot be deleted; a failed one can.
    s.act(Action::Tick, T0 + 2 + PENDING_TIMEOUT_MS);
    assert_eq!(status(&s, 0), SendStatus::Sending, "not yet overdue");
    s.act(Action::Tick, T0 + 3 + PENDING_TIMEOUT_MS);
    assert!(matches!(
        status(&s, 0),
        SendStatus::Failed(Problem::Unconfirmed)
    ));
    let out = s.act(
        Action::Retry {
            client_id: cid("c9"),
        },
        T0 + 4 + PENDING_TIMEOUT_MS,
    );
    assert_eq!(frames(&out).len(), 1);
    s.act(
        Action::Discard {
            client_id: cid("c9"),
        },
        T0 + 5 + PENDING_TIMEOUT_MS,
    );
    assert_eq!(s.rooms[&room("lobby")].pending.len(), 1, "sending: kept");
    s.act(Action::Tick, T0 + 5 + 3 * PENDING_TIMEOUT_MS);
    s.act(
        Action::Discard {
            client_id: cid("c9"),
        },
        T0 + 5 + 3 * PENDING_TIMEOUT_MS,
    );
    assert!(s.rooms[&room("lobby")].pending.is_empty());
}

#[test]
fn pending_messages_kept_by_an_earlier_page_come_back_and_are_sent() {
    let mut s = connected();
    s.act(
        Action::Send {
            room: room("rust"),
            text: text("typed before the reload"),
            client_id: cid("k1"),
        },
        T0,
    );
    let kept = s.all_pending();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, SendStatus::Sending);
    // The storage holds JSON; it comes back whole.
    let json = serde_json::to_string(&kept).expect("json");
    let kept: Vec<confab_client::state::Pending> = serde_json::from_str(&json).expect("back");

    // A new page, before its connection: the message waits.
    let mut fresh = ChatState::new();
    fresh.act(Action::Restore(kept.clone()), T0 + 10);
    assert_eq!(
        fresh.rooms[&room("rust")].pending[0].status,
        SendStatus::Waiting
    );
    // Connected: sent with its client id.
    fresh.act(Action::Connecting, T0 + 11);
    let out = fresh.apply(
        welcome("alice", vec![summary("lobby", 0, 3), summary("rust", 0, 2)]),
        T0 + 12,
    );
    assert!(frames(&out).contains(&ClientMsg::Send {
        room: room("rust"),
        text: text("typed before the reload"),
        client_id: Some(cid("k1")),
    }));
    // Restored again (a second storage read): nothing doubles.
    fresh.act(Action::Restore(kept), T0 + 13);
    assert_eq!(fresh.rooms[&room("rust")].pending.len(), 1);
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
            retry_after: None,
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
