use std::time::Duration;

use confab_shared::{ClientMsg, PresenceEvent, ServerMsg};
use serde_json::json;

use confab_testkit::*;

#[tokio::test]
async fn a_post_reaches_every_member_and_the_senders_other_tabs_but_the_sender_gets_an_ack() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut tab1 = app.connect(&alice).await;
    let mut tab2 = app.connect(&alice).await;
    let mut bob_ws = app.connect(&bob).await;

    tab1.send_json(json!({"type":"send","room":"lobby","text":"hello","client_id":"c1"}))
        .await;

    match tab1.recv_significant().await {
        ServerMsg::Ack { client_id, message } => {
            assert_eq!(client_id.map(|c| c.as_str().to_owned()), Some("c1".into()));
            assert_eq!(
                (message.seq, message.from.as_str(), message.text.as_str()),
                (1, "alice", "hello")
            );
        }
        other => panic!("expected ack, got {other:?}"),
    }
    for ws in [&mut tab2, &mut bob_ws] {
        match ws.recv_significant().await {
            ServerMsg::Message { message } => {
                assert_eq!(
                    (message.seq, message.from.as_str(), message.text.as_str()),
                    (1, "alice", "hello")
                );
            }
            other => panic!("expected message, got {other:?}"),
        }
    }
    // The sending tab never gets its own message a second time.
    tab1.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn seqs_are_gap_free_per_room_and_joining_creates_a_room() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;

    match a.join("rust", None).await {
        ServerMsg::Joined {
            room,
            members,
            messages,
            latest_seq,
            ..
        } => {
            assert_eq!(room.to_string(), "rust");
            assert_eq!(members.len(), 1);
            assert!(messages.is_empty());
            assert_eq!(latest_seq, 0);
        }
        other => panic!("{other:?}"),
    }
    b.join("rust", None).await;
    match a.recv().await {
        ServerMsg::Presence {
            room,
            user,
            event,
            members,
            online,
            ..
        } => {
            assert_eq!(
                (room.to_string(), user.as_str(), event),
                ("rust".into(), "bob", PresenceEvent::Joined)
            );
            assert_eq!((members, online), (2, 2));
        }
        other => panic!("{other:?}"),
    }
    let mut seqs = Vec::new();
    for i in 0..5 {
        seqs.push(a.say("rust", &format!("r{i}"), &format!("r{i}")).await);
    }
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    // The lobby has its own counter.
    assert_eq!(a.say("lobby", "l0", "l0").await, 1);
    let mut got = Vec::new();
    while got.len() < 5 {
        if let ServerMsg::Message { message } = b.recv().await {
            if message.room.to_string() == "rust" {
                got.push(message.seq);
            }
        }
    }
    assert_eq!(got, vec![1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn leaving_stops_delivery_and_posting() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    b.send(&ClientMsg::Leave {
        room: "lobby".parse().unwrap(),
    })
    .await;
    assert!(matches!(b.recv_significant().await, ServerMsg::Left { .. }));
    let left = a
        .recv_until(|m| {
            matches!(
                m,
                ServerMsg::Presence {
                    event: PresenceEvent::Left,
                    ..
                }
            )
        })
        .await;
    assert!(
        matches!(left, ServerMsg::Presence { members: 1, .. }),
        "{left:?}"
    );

    a.say("lobby", "anyone?", "q").await;
    b.expect_silence(Duration::from_millis(300)).await;
    b.send_json(json!({"type":"send","room":"lobby","text":"x","client_id":"z"}))
        .await;
    match b.recv_significant().await {
        ServerMsg::Error {
            code, client_id, ..
        } => {
            assert_eq!(code, confab_shared::ErrorCode::NotMember);
            assert_eq!(client_id.as_deref(), Some("z"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn typing_reaches_the_other_members_only() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    a.send(&ClientMsg::Typing {
        room: "lobby".parse().unwrap(),
    })
    .await;
    match b
        .recv_until(|m| matches!(m, ServerMsg::Typing { .. }))
        .await
    {
        ServerMsg::Typing { room, user } => {
            assert_eq!((room.to_string(), user.as_str()), ("lobby".into(), "alice"))
        }
        other => panic!("{other:?}"),
    }
    let quiet = tokio::time::timeout(
        Duration::from_millis(300),
        a.recv_until(|m| matches!(m, ServerMsg::Typing { .. })),
    )
    .await;
    assert!(quiet.is_err(), "the typist got their own typing event");
}

#[tokio::test]
async fn history_pages_backwards_newest_last() {
    // 30 messages from one user: more than a burst of the allowance.
    let app = spawn_app_with(|s| s.send_rate = 0).await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    for i in 1..=30 {
        a.say("lobby", &format!("m{i}"), &format!("c{i}")).await;
    }
    a.send_json(json!({"type":"history","room":"lobby","before":21,"limit":10}))
        .await;
    let page = a.recv_significant().await;
    assert_eq!(
        texts(&page),
        (11..=20).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    assert!(matches!(page, ServerMsg::History { more: true, .. }));
    a.send_json(json!({"type":"history","room":"lobby","before":3}))
        .await;
    let page = a.recv_significant().await;
    assert_eq!(texts(&page), vec!["m1", "m2"]);
    assert!(matches!(page, ServerMsg::History { more: false, .. }));
}

#[tokio::test]
async fn read_cursors_drive_unread_counts_for_every_device() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    for i in 1..=4 {
        a.say("lobby", &format!("m{i}"), &format!("c{i}")).await;
    }
    let unread_of = |welcome: ServerMsg| match welcome {
        ServerMsg::Welcome { rooms, .. } => rooms
            .iter()
            .find(|r| r.name.to_string() == "lobby")
            .map(|r| (r.unread, r.latest_seq)),
        other => panic!("{other:?}"),
    };
    let mut b = app.connect_raw(&bob).await;
    assert_eq!(unread_of(b.recv().await), Some((4, 4)));
    b.send_json(json!({"type":"read","room":"lobby","seq":3}))
        .await;
    // Reading is confirmed by the next device's welcome.
    b.send(&ClientMsg::Typing {
        room: "lobby".parse().unwrap(),
    })
    .await;
    a.recv_until(|m| matches!(m, ServerMsg::Typing { .. }))
        .await;
    let mut phone = app.connect_raw(&bob).await;
    assert_eq!(unread_of(phone.recv().await), Some((1, 4)));
    // Own messages never count as unread.
    let mut a2 = app.connect_raw(&alice).await;
    assert_eq!(unread_of(a2.recv().await), Some((0, 4)));
}
