use std::time::Duration;

use confab_shared::{ErrorCode, NotificationKind, ServerMsg};
use serde_json::json;

use confab_testkit::*;

#[tokio::test]
async fn a_dm_reaches_both_users_connections_with_a_notification() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a1 = app.connect(&alice).await;
    let mut a2 = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;

    a1.send_json(json!({"type":"dm","to":"bob","text":"psst","client_id":"d1"}))
        .await;
    match a1.recv_significant().await {
        ServerMsg::Ack { message, .. } => {
            assert_eq!(
                (message.room.to_string(), message.seq),
                ("dm:alice:bob".into(), 1)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(a2.recv_significant().await, ServerMsg::Message { message } if message.text == "psst")
    );
    let mut got_message = false;
    let mut got_notification = false;
    while !(got_message && got_notification) {
        match b.recv_significant().await {
            ServerMsg::Message { message } => {
                assert_eq!(
                    (message.from.as_str(), message.text.as_str()),
                    ("alice", "psst")
                );
                got_message = true;
            }
            ServerMsg::Notification {
                kind,
                room,
                from,
                text,
                message_id,
                ..
            } => {
                assert_eq!(kind, NotificationKind::Dm);
                assert_eq!(room.map(|r| r.to_string()), Some("dm:alice:bob".into()));
                assert_eq!(from.map(|f| f.to_string()), Some("alice".into()));
                assert_eq!(text, "psst");
                assert!(message_id.is_some());
                got_notification = true;
            }
            other => panic!("{other:?}"),
        }
    }
    // Alice's own tabs are not notified of her own DM.
    a2.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_third_user_can_neither_join_read_nor_post_to_a_dm() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("carol").await,
    );
    let mut a = app.connect(&alice).await;
    a.send_json(json!({"type":"dm","to":"bob","text":"secret","client_id":"s"}))
        .await;
    a.recv_significant().await;

    let mut c = app.connect(&carol).await;
    let refused = |m: ServerMsg| match m {
        ServerMsg::Error { code, .. } => code,
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(
        refused(c.join("dm:alice:bob", Some(0)).await),
        ErrorCode::Forbidden
    );
    c.send_json(json!({"type":"history","room":"dm:alice:bob"}))
        .await;
    assert_eq!(refused(c.recv_significant().await), ErrorCode::Forbidden);
    c.send_json(json!({"type":"send","room":"dm:alice:bob","text":"hi","client_id":"x"}))
        .await;
    assert_eq!(refused(c.recv_significant().await), ErrorCode::Forbidden);
    c.send_json(json!({"type":"read","room":"dm:alice:bob","seq":1}))
        .await;
    assert_eq!(refused(c.recv_significant().await), ErrorCode::Forbidden);

    let res = app.get("/api/rooms/dm:alice:bob/messages", &carol).await;
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "forbidden");
    let res = app
        .post(
            "/api/rooms/dm:alice:bob/messages",
            &carol,
            json!({"text":"hi"}),
        )
        .await;
    assert_eq!(res.status(), 403);

    // Nothing leaked into the conversation, and Carol never saw it.
    let res = app.get("/api/rooms/dm:alice:bob/messages", &bob).await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["messages"].as_array().map(|m| m.len()), Some(1));
    c.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_dm_to_an_offline_user_arrives_when_they_resume() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    for i in 1..=3 {
        a.send_json(
            json!({"type":"dm","to":"bob","text":format!("dm{i}"),"client_id":format!("d{i}")}),
        )
        .await;
        a.recv_significant().await;
    }
    let mut b = app.connect_raw(&bob).await;
    match b.recv().await {
        ServerMsg::Welcome { rooms, .. } => {
            let dm = rooms
                .iter()
                .find(|r| r.name.to_string() == "dm:alice:bob")
                .expect("dm listed");
            assert_eq!((dm.unread, dm.latest_seq), (3, 3));
        }
        other => panic!("{other:?}"),
    }
    let joined = b.join("dm:alice:bob", Some(0)).await;
    assert_eq!(texts(&joined), vec!["dm1", "dm2", "dm3"]);
}

#[tokio::test]
async fn unknown_users_and_self_dms_are_refused() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    a.send_json(json!({"type":"dm","to":"nobody","text":"hello?","client_id":"u"}))
        .await;
    match a.recv_significant().await {
        ServerMsg::Error {
            code, client_id, ..
        } => {
            assert_eq!(code, ErrorCode::UnknownUser);
            assert_eq!(client_id.as_deref(), Some("u"));
        }
        other => panic!("{other:?}"),
    }
    a.send_json(json!({"type":"dm","to":"ALICE","text":"me"}))
        .await;
    assert!(matches!(
        a.recv_significant().await,
        ServerMsg::Error {
            code: ErrorCode::Invalid,
            ..
        }
    ));
    assert!(matches!(
        a.join("dm:alice:nobody", None).await,
        ServerMsg::Error {
            code: ErrorCode::UnknownUser,
            ..
        }
    ));
    let res = app
        .post("/api/dm/nobody/messages", &alice, json!({"text":"x"}))
        .await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unknown_user");
}
