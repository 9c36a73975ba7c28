use confab_shared::{ErrorCode, NotificationKind, RoomList, ServerMsg};
use serde_json::json;

use confab_testkit::*;

#[tokio::test]
async fn rooms_are_listed_with_member_and_online_counts() {
    let app = spawn_app().await;
    let (alice, _bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    a.join("rust", None).await;
    a.say("rust", "hi", "1").await;
    // Online counts come from the presence record, refreshed every 2 s.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let list: RoomList = http()
            .get(app.url("/api/rooms"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let summary: Vec<(String, u32, u32, u64)> = list
            .rooms
            .iter()
            .map(|r| (r.name.to_string(), r.members, r.online, r.latest_seq))
            .collect();
        let want = vec![("lobby".into(), 2, 1, 0), ("rust".into(), 1, 1, 1)];
        if summary == want {
            assert_eq!(list.next_cursor, None);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{summary:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn posting_over_http_reaches_every_socket_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &alice,
            json!({"text":"from curl"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let message: confab_shared::Message = res.json().await.unwrap();
    assert_eq!((message.seq, message.from.as_str()), (1, "alice"));
    // Every socket, the poster's own included: the HTTP request was no socket.
    for ws in [&mut a, &mut b] {
        assert!(
            matches!(ws.recv_significant().await, ServerMsg::Message { message } if message.text == "from curl")
        );
    }
    let res = app
        .post(
            "/api/dm/bob/messages",
            &alice,
            json!({"text":"dm over http"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let dm: confab_shared::Message = res.json().await.unwrap();
    assert_eq!(dm.room.to_string(), "dm:alice:bob");
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        match b.recv_significant().await {
            ServerMsg::Message { message } => {
                assert_eq!(message.text, "dm over http");
                kinds.push("message");
            }
            ServerMsg::Notification {
                kind: NotificationKind::Dm,
                ..
            } => kinds.push("notification"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn mentions_notify_the_mentioned_member() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("carol").await,
    );
    let mut b = app.connect(&bob).await;
    let mut c = app.connect(&carol).await;
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &alice,
            json!({"text":"hey @Bob, look"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let note = b
        .recv_until(|m| matches!(m, ServerMsg::Notification { .. }))
        .await;
    match note {
        ServerMsg::Notification {
            kind, from, text, ..
        } => {
            assert_eq!(kind, NotificationKind::Mention);
            assert_eq!(from.map(|f| f.to_string()), Some("alice".into()));
            assert_eq!(text, "hey @Bob, look");
        }
        _ => unreachable!(),
    }
    assert!(matches!(
        c.recv_significant().await,
        ServerMsg::Message { .. }
    ));
    c.expect_silence(std::time::Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn a_korean_mention_with_an_honorific_notifies_the_longest_matching_member() {
    let app = spawn_app().await;
    let (jieun, minsu, minsunim) = (
        app.login("지은").await,
        app.login("민수").await,
        app.login("민수님").await,
    );
    let mut m = app.connect(&minsu).await;
    let mut n = app.connect(&minsunim).await;
    let notified = |msg: &ServerMsg| matches!(msg, ServerMsg::Notification { .. });
    // 민수야 is 민수 with a particle; 민수님 is a member of that name.
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &jieun,
            json!({"text":"@민수야 밥 먹었어?"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(matches!(
        m.recv_until(notified).await,
        ServerMsg::Notification {
            kind: NotificationKind::Mention,
            ..
        }
    ));
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &jieun,
            json!({"text":"@민수님 안녕하세요"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    match n.recv_until(notified).await {
        ServerMsg::Notification { text, .. } => assert_eq!(text, "@민수님 안녕하세요"),
        other => panic!("{other:?}"),
    }
    // 민수 got no notification for the second one (only its message).
    let rest = m
        .recv_until(|msg| matches!(msg, ServerMsg::Message { .. }))
        .await;
    assert!(matches!(rest, ServerMsg::Message { .. }));
    m.expect_silence(std::time::Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn history_over_http_pages_and_checks_membership() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    for i in 1..=5 {
        let res = app
            .post(
                "/api/rooms/lobby/messages",
                &alice,
                json!({"text":format!("h{i}")}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let body: serde_json::Value = app
        .get("/api/rooms/lobby/messages?after=2&limit=2", &bob)
        .await
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["h3", "h4"]);
    assert_eq!(body["more"], true);

    let res = app.post("/api/rooms/lobby/leave", &bob, json!({})).await;
    assert_eq!(res.status(), 200);
    let res = app.get("/api/rooms/lobby/messages", &bob).await;
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_member");
    let res = app.post("/api/rooms/lobby/join", &bob, json!({})).await;
    assert_eq!(res.status(), 200);
    let joined: ServerMsg = res.json().await.unwrap();
    assert_eq!(texts_of(&joined), vec!["h1", "h2", "h3", "h4", "h5"]);
}

fn texts_of(msg: &ServerMsg) -> Vec<String> {
    texts(msg)
}

#[tokio::test]
async fn bad_http_requests_get_json_errors() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let cases = [
        (
            app.post("/api/rooms/lobby/messages", &alice, json!({"text":""}))
                .await,
            400,
            ErrorCode::Invalid,
        ),
        (
            app.post(
                "/api/rooms/Not%20A%20Room/messages",
                &alice,
                json!({"text":"x"}),
            )
            .await,
            400,
            ErrorCode::Invalid,
        ),
        (
            app.get("/api/rooms/lobby/messages?limit=0", &alice).await,
            400,
            ErrorCode::Invalid,
        ),
        (
            app.get("/api/nothing-here", &alice).await,
            404,
            ErrorCode::NotFound,
        ),
        (
            http()
                .post(app.url("/api/rooms/lobby/messages"))
                .json(&json!({"text":"x"}))
                .send()
                .await
                .unwrap(),
            401,
            ErrorCode::Unauthorized,
        ),
        (
            http()
                .post(app.url("/api/rooms/lobby/messages"))
                .bearer_auth(&alice.token)
                .header("content-type", "application/json")
                .body("{oops")
                .send()
                .await
                .unwrap(),
            400,
            ErrorCode::BadJson,
        ),
    ];
    for (res, status, code) in cases {
        assert_eq!(res.status(), status);
        let body: confab_shared::ErrorBody = res.json().await.unwrap();
        assert_eq!(body.code, code);
    }
}
