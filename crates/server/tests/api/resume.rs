use std::time::Duration;

use confab_shared::{NotificationKind, ServerMsg};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use confab_testkit::*;

#[tokio::test]
async fn a_client_that_reconnects_gets_exactly_what_it_missed_in_order() {
    // More messages than a burst of one user's allowance.
    let app = spawn_app_with(|s| s.send_rate = 0).await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    for i in 1..=3 {
        a.say("lobby", &format!("before{i}"), &format!("b{i}"))
            .await;
    }
    let mut last_seen = 0;
    while last_seen < 3 {
        if let ServerMsg::Message { message } = b.recv().await {
            assert_eq!(message.seq, last_seen + 1);
            last_seen = message.seq;
        }
    }
    drop(b);
    for i in 1..=20 {
        a.say("lobby", &format!("missed{i}"), &format!("m{i}"))
            .await;
    }
    let mut b = app.connect(&bob).await;
    let joined = b.join("lobby", Some(last_seen)).await;
    assert_eq!(
        texts(&joined),
        (1..=20).map(|i| format!("missed{i}")).collect::<Vec<_>>()
    );
    match &joined {
        ServerMsg::Joined {
            messages,
            more,
            latest_seq,
            ..
        } => {
            let seqs: Vec<u64> = messages.iter().map(|m| m.seq).collect();
            assert_eq!(seqs, (4..=23).collect::<Vec<_>>());
            assert!(!more);
            assert_eq!(*latest_seq, 23);
        }
        other => panic!("{other:?}"),
    }
    // Live delivery continues right after, once each.
    a.say("lobby", "live", "live").await;
    assert!(
        matches!(b.recv_significant().await, ServerMsg::Message { message } if message.seq == 24)
    );
    b.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn resending_a_client_id_stores_nothing_new() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let first = a.say("lobby", "once", "same-id").await;
    // Re-sent after a reconnect, say.
    drop(a);
    let mut a = app.connect(&alice).await;
    a.send_json(json!({"type":"send","room":"lobby","text":"once","client_id":"same-id"}))
        .await;
    match a.recv_significant().await {
        ServerMsg::Ack { message, .. } => assert_eq!(message.seq, first),
        other => panic!("{other:?}"),
    }
    // Over HTTP too.
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &alice,
            json!({"text":"once","client_id":"same-id"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let again: confab_shared::Message = res.json().await.unwrap();
    assert_eq!(again.seq, first);

    assert!(
        matches!(b.recv_significant().await, ServerMsg::Message { message } if message.seq == first)
    );
    b.expect_silence(Duration::from_millis(300)).await;
    let res = app.get("/api/rooms/lobby/messages", &bob).await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["messages"].as_array().map(|m| m.len()), Some(1));
}

#[tokio::test]
async fn resume_is_capped_at_500_and_says_there_is_more() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    // Pipelined sends share commits, so 510 of them are quick.
    for i in 1..=510 {
        a.send_json(json!({"type":"send","room":"lobby","text":format!("n{i}"),"client_id":format!("n{i}")})).await;
    }
    let mut acked = 0;
    while acked < 510 {
        if let ServerMsg::Ack { .. } = a.recv().await {
            acked += 1;
        }
    }
    let first = a.join("lobby", Some(0)).await;
    assert!(
        matches!(&first, ServerMsg::Joined { messages, more: true, .. } if messages.len() == 500)
    );
    let rest = a.join("lobby", Some(500)).await;
    assert_eq!(
        texts(&rest),
        (501..=510).map(|i| format!("n{i}")).collect::<Vec<_>>()
    );
    assert!(matches!(rest, ServerMsg::Joined { more: false, .. }));
}

#[tokio::test]
async fn a_restart_keeps_history_memberships_and_read_cursors_and_seq_continues() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    a.join("rust", None).await;
    b.join("rust", None).await;
    for i in 1..=3 {
        a.say("rust", &format!("r{i}"), &format!("r{i}")).await;
    }
    b.send_json(json!({"type":"read","room":"rust","seq":2}))
        .await;
    b.send_json(json!({"type":"history","room":"rust"})).await;
    b.recv_until(|m| matches!(m, ServerMsg::History { .. }))
        .await;

    // Graceful shutdown: a system notice, then close code 1001.
    let stopping = tokio::spawn(async move {
        let notice = a
            .recv_until(|m| matches!(m, ServerMsg::Notification { .. }))
            .await;
        assert!(matches!(
            notice,
            ServerMsg::Notification {
                kind: NotificationKind::System,
                notice: Some(confab_shared::SystemNotice::ServerRestarting),
                ..
            }
        ));
        a.closed().await
    });
    let app = app.restart().await;
    assert_eq!(stopping.await.unwrap(), Some(CloseCode::Away));

    let mut b = app.connect_raw(&bob).await;
    match b.recv().await {
        ServerMsg::Welcome { rooms, .. } => {
            let rust = rooms
                .iter()
                .find(|r| r.name.to_string() == "rust")
                .expect("membership kept");
            assert_eq!((rust.unread, rust.latest_seq), (1, 3));
        }
        other => panic!("{other:?}"),
    }
    let mut a = app.connect(&alice).await;
    assert_eq!(a.say("rust", "after", "after").await, 4);
    let joined = b.join("rust", Some(0)).await;
    assert_eq!(texts(&joined), vec!["r1", "r2", "r3", "after"]);
}

#[tokio::test]
async fn a_tab_that_left_mid_resume_gets_live_messages_after_rejoining() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    a.join("busy", None).await;
    for i in 1..=510 {
        a.send_json(
            json!({"type":"send","room":"busy","text":format!("n{i}"),"client_id":format!("n{i}")}),
        )
        .await;
    }
    let mut acked = 0;
    while acked < 510 {
        if let ServerMsg::Ack { .. } = a.recv().await {
            acked += 1;
        }
    }
    let bob = app.login("bob").await;
    let mut tab1 = app.connect(&bob).await;
    let mut tab2 = app.connect(&bob).await;
    tab1.join("busy", None).await;
    // A resume page that says `more` holds the room back for tab 1 ...
    let first = tab1.join("busy", Some(0)).await;
    assert!(matches!(first, ServerMsg::Joined { more: true, .. }));
    // ... then bob leaves and comes back from the other tab.
    tab1.send_json(json!({"type":"leave","room":"busy"})).await;
    tab1.recv_until(|m| matches!(m, ServerMsg::Left { .. }))
        .await;
    tab2.join("busy", None).await;
    a.say("busy", "after", "after").await;
    for tab in [&mut tab1, &mut tab2] {
        let live = tab
            .recv_until(|m| matches!(m, ServerMsg::Message { .. }))
            .await;
        assert_eq!(texts(&live), vec!["after"], "{}", tab.name);
    }
}
