//! Every bad input gets its documented answer, the socket stays usable, and
//! nothing is stored or leaked.

use std::time::Duration;

use confab_shared::{ErrorCode, ServerMsg};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use confab_testkit::*;

fn error_code(msg: ServerMsg) -> (ErrorCode, Option<String>) {
    match msg {
        ServerMsg::Error {
            code, client_id, ..
        } => (code, client_id),
        other => panic!("expected an error frame, got {other:?}"),
    }
}

async fn stored_count(app: &TestApp, who: &Session) -> usize {
    let res = app.get("/api/rooms/lobby/messages?limit=200", who).await;
    let body: serde_json::Value = res.json().await.unwrap();
    body["messages"].as_array().map_or(0, |m| m.len())
}

#[tokio::test]
async fn malformed_frames_get_error_frames_and_the_socket_stays_open() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    let cases: Vec<(&str, ErrorCode)> = vec![
        ("{not json", ErrorCode::BadJson),
        ("42", ErrorCode::BadJson),
        (r#"{"type":"shout","room":"lobby"}"#, ErrorCode::UnknownType),
        (r#"{"room":"lobby"}"#, ErrorCode::UnknownType),
        (r#"{"type":"join","room":"Bad Room!"}"#, ErrorCode::Invalid),
        (r#"{"type":"send","room":"lobby"}"#, ErrorCode::Invalid),
        (
            r#"{"type":"send","room":"lobby","text":"   "}"#,
            ErrorCode::Invalid,
        ),
        (
            r#"{"type":"dm","to":"not a name","text":"x"}"#,
            ErrorCode::Invalid,
        ),
        (
            r#"{"type":"history","room":"lobby","limit":500}"#,
            ErrorCode::Invalid,
        ),
        (
            r#"{"type":"join","room":"dm:bob:alice"}"#,
            ErrorCode::Invalid,
        ),
    ];
    for (frame, expected) in cases {
        a.send_text(frame).await;
        assert_eq!(
            error_code(a.recv_significant().await).0,
            expected,
            "{frame}"
        );
    }
    let too_long = "x".repeat(4001);
    a.send_json(json!({"type":"send","room":"lobby","text":too_long,"client_id":"long"}))
        .await;
    assert_eq!(
        error_code(a.recv_significant().await),
        (ErrorCode::Invalid, Some("long".into()))
    );

    a.stream
        .send(WsMessage::Binary(vec![1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        error_code(a.recv_significant().await).0,
        ErrorCode::BinaryUnsupported
    );

    // Still usable, and none of it was stored.
    assert_eq!(a.say("lobby", "still here", "ok").await, 1);
    assert_eq!(stored_count(&app, &alice).await, 1);
}

#[tokio::test]
async fn a_spoofed_from_is_ignored() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    a.send_json(
        json!({"type":"send","room":"lobby","text":"I am bob","from":"bob","client_id":"s"}),
    )
    .await;
    match b.recv_significant().await {
        ServerMsg::Message { message } => assert_eq!(message.from.as_str(), "alice"),
        other => panic!("{other:?}"),
    }
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &alice,
            json!({"text":"also bob","from":"bob"}),
        )
        .await;
    let stored: confab_shared::Message = res.json().await.unwrap();
    assert_eq!(stored.from.as_str(), "alice");
}

#[tokio::test]
async fn posting_where_you_are_not_a_member_is_refused() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    b.join("secret", None).await;
    a.send_json(json!({"type":"send","room":"secret","text":"let me in","client_id":"n"}))
        .await;
    assert_eq!(
        error_code(a.recv_significant().await),
        (ErrorCode::NotMember, Some("n".into()))
    );
    a.send_json(json!({"type":"typing","room":"secret"})).await;
    assert_eq!(
        error_code(a.recv_significant().await).0,
        ErrorCode::NotMember
    );
    a.send_json(json!({"type":"history","room":"secret"})).await;
    assert_eq!(
        error_code(a.recv_significant().await).0,
        ErrorCode::NotMember
    );
    let res = app.get("/api/rooms/secret/messages", &alice).await;
    assert_eq!(res.status(), 403);
    b.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn an_oversize_frame_closes_with_1009_and_stores_nothing() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let huge = json!({"type":"send","room":"lobby","text":"x".repeat(70 * 1024)}).to_string();
    a.send_text(&huge).await;
    assert_eq!(a.closed().await, Some(CloseCode::Size));
    b.expect_silence(Duration::from_millis(300)).await;
    assert_eq!(stored_count(&app, &bob).await, 0);
}

#[tokio::test]
async fn upgrades_without_a_session_or_from_a_foreign_origin_are_refused() {
    let app = spawn_app_with(|s| s.allowed_origins = vec!["http://localhost:8080".into()]).await;
    let alice = app.login("alice").await;
    assert_eq!(app.ws_status(None, None).await, 401);
    assert_eq!(app.ws_status(Some("forged-token"), None).await, 401);
    assert_eq!(
        app.ws_status(Some(&alice.token), Some("http://evil.example"))
            .await,
        403
    );
    let own = format!("http://{}", app.addr);
    assert_eq!(app.ws_status(Some(&alice.token), Some(&own)).await, 101);
    assert_eq!(
        app.ws_status(Some(&alice.token), Some("http://localhost:8080"))
            .await,
        101
    );
    // The token also works as a query parameter, for clients without headers.
    let url = format!("{}?token={}", app.ws_url(), alice.token);
    assert!(tokio_tungstenite::connect_async(url).await.is_ok());
}

#[tokio::test]
async fn the_rate_limit_refuses_floods_without_losing_track() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 5;
        s.rate_burst = 10;
    })
    .await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    for i in 0..30 {
        a.send_json(json!({"type":"send","room":"lobby","text":format!("f{i}"),"client_id":format!("f{i}")})).await;
    }
    let (mut acked, mut limited) = (0, 0);
    while acked + limited < 30 {
        match a.recv_significant().await {
            ServerMsg::Ack { .. } => acked += 1,
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                client_id,
                ..
            } => {
                assert!(client_id.is_some(), "rate_limited names the refused send");
                limited += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(limited >= 15, "only {limited} of 30 were limited");
    assert!(acked >= 10);
    // Exactly the acknowledged ones were stored.
    assert_eq!(stored_count(&app, &alice).await, acked);
}
