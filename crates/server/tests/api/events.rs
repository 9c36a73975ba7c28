//! The SSE transport: same events as WebSocket, resumable by event id.

use confab_shared::{NotificationKind, ServerMsg};
use serde_json::json;

use confab_testkit::*;

#[tokio::test]
async fn websocket_posts_reach_sse_and_http_posts_reach_websockets_in_seq_order() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut sse = Sse::open(&app, &bob, None).await;
    assert_eq!(sse.next_event().await.event, "welcome");
    let mut a = app.connect(&alice).await;
    for i in 1..=3 {
        a.say("lobby", &format!("ws{i}"), &format!("w{i}")).await;
    }
    for i in 1..=2 {
        let res = app
            .post(
                "/api/rooms/lobby/messages",
                &alice,
                json!({"text":format!("http{i}")}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let mut ids = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (id, message) = sse.next_message().await;
        ids.push(id);
        seen.push((message.seq, message.text));
    }
    assert_eq!(
        seen,
        vec![
            (1, "ws1".into()),
            (2, "ws2".into()),
            (3, "ws3".into()),
            (4, "http1".into()),
            (5, "http2".into())
        ]
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow: {ids:?}");
    for seq in 4..=5 {
        assert!(
            matches!(a.recv_significant().await, ServerMsg::Message { message } if message.seq == seq)
        );
    }
}

#[tokio::test]
async fn last_event_id_resumes_exactly_what_was_missed_also_across_a_restart() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    a.say("lobby", "seen", "seen").await;
    // Sent before the stream opened: only a resume from 0 brings it.
    let mut sse = Sse::open(&app, &bob, Some("0")).await;
    let (last, message) = sse.next_message().await;
    assert_eq!(message.text, "seen");
    drop(sse);

    for i in 1..=50 {
        a.say("lobby", &format!("missed{i}"), &format!("m{i}"))
            .await;
    }
    let mut sse = Sse::open(&app, &bob, Some(&last.to_string())).await;
    let mut got = Vec::new();
    let mut last = last;
    for _ in 0..50 {
        let (id, message) = sse.next_message().await;
        assert!(id > last);
        last = id;
        got.push(message.text);
    }
    assert_eq!(
        got,
        (1..=50).map(|i| format!("missed{i}")).collect::<Vec<_>>()
    );
    // Then live, once.
    a.say("lobby", "live", "live").await;
    let (live_id, live) = sse.next_message().await;
    assert_eq!(live.text, "live");
    drop(sse);

    for i in 1..=50 {
        a.say("lobby", &format!("offline{i}"), &format!("o{i}"))
            .await;
    }
    drop(a);
    let app = app.restart().await;
    let mut sse = Sse::open(&app, &bob, Some(&live_id.to_string())).await;
    let mut got = Vec::new();
    for _ in 0..50 {
        got.push(sse.next_message().await.1.text);
    }
    assert_eq!(
        got,
        (1..=50).map(|i| format!("offline{i}")).collect::<Vec<_>>()
    );
    let mut a = app.connect(&alice).await;
    a.say("lobby", "after restart", "ar").await;
    assert_eq!(sse.next_message().await.1.text, "after restart");
}

#[tokio::test]
async fn dm_and_mention_notifications_arrive_on_both_transports_and_count_as_unread() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut ws = app.connect(&bob).await;
    let mut sse = Sse::open(&app, &bob, None).await;
    assert_eq!(sse.next_event().await.event, "welcome");
    let mut a = app.connect(&alice).await;
    a.send_json(json!({"type":"dm","to":"bob","text":"psst","client_id":"d"}))
        .await;
    a.recv_until(|m| matches!(m, ServerMsg::Ack { .. })).await;
    a.say("lobby", "look @bob", "m").await;

    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        if let ServerMsg::Notification { kind, .. } = ws.recv().await {
            kinds.push(kind);
        }
    }
    assert_eq!(kinds, vec![NotificationKind::Dm, NotificationKind::Mention]);
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        let e = sse.next_event().await;
        if e.event == "notification" {
            if let ServerMsg::Notification { kind, .. } = e.frame() {
                kinds.push(kind);
            }
        }
    }
    assert_eq!(kinds, vec![NotificationKind::Dm, NotificationKind::Mention]);

    let mut phone = app.connect_raw(&bob).await;
    match phone.recv().await {
        ServerMsg::Welcome { rooms, .. } => {
            let unread = |name: &str| {
                rooms
                    .iter()
                    .find(|r| r.name.to_string() == name)
                    .map(|r| r.unread)
            };
            assert_eq!(
                (unread("dm:alice:bob"), unread("lobby")),
                (Some(1), Some(1))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_stream_needs_a_session_and_sends_heartbeats() {
    let app = spawn_app_with(|s| s.heartbeat_ms = 100).await;
    let res = http().get(app.url("/api/events")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: confab_shared::ErrorBody = res.json().await.unwrap();
    assert_eq!(body.code, confab_shared::ErrorCode::Unauthorized);
    let res = http()
        .get(app.url("/api/events"))
        .bearer_auth(app.login("alice").await.token)
        .header("last-event-id", "not-a-number")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let bob = app.login("bob").await;
    let mut sse = Sse::open(&app, &bob, None).await;
    let mut comments = 0;
    while comments < 2 {
        if sse.next_block().await.comment {
            comments += 1;
        }
    }
}
