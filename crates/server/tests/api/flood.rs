//! Flood control per user: the allowance is one, however many connections
//! (WebSocket, SSE + HTTP) the user sends from; a send over it is refused
//! with `rate_limited` and `retry_after`, stores nothing, and leaves other
//! users alone; after the wait the user sends again.

use std::time::Duration;

use confab_shared::ErrorCode;
use serde_json::{json, Value};

use confab_testkit::*;

/// What answers a `send` with `client_id`: the seq stored, or the error
/// code with its `retry_after`.
async fn send(ws: &mut Ws, text: &str, client_id: &str) -> Result<u64, (ErrorCode, Option<u64>)> {
    let frame = json!({"type":"send","room":"lobby","text":text,"client_id":client_id});
    ws.ask(frame).await.map(|m| m.seq).map_err(|refused| {
        assert_eq!(
            refused.client_id.as_deref(),
            Some(client_id),
            "the error names the send"
        );
        (refused.code, refused.retry_after)
    })
}

#[tokio::test]
async fn one_allowance_per_user_over_every_connection_then_sending_resumes() {
    let app = spawn_app_with(|s| {
        s.send_rate = 1;
        s.send_burst = 3;
    })
    .await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut laptop = app.connect(&alice).await;
    let mut phone = app.connect(&alice).await;

    // The burst, spread over two connections and HTTP, is one allowance.
    assert!(send(&mut laptop, "one", "a1").await.is_ok());
    assert!(send(&mut phone, "two", "a2").await.is_ok());
    let res = app
        .post("/api/rooms/lobby/messages", &alice, json!({"text":"three"}))
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);

    // Over it, whichever connection: refused with how long to wait.
    let (code, retry_after) = send(&mut phone, "four", "a4")
        .await
        .expect_err("over the rate");
    assert_eq!(code, ErrorCode::RateLimited);
    let wait = retry_after.expect("retry_after");
    assert!((1..=2).contains(&wait), "retry_after {wait}");
    assert_eq!(
        send(&mut laptop, "five", "a5")
            .await
            .expect_err("still over")
            .0,
        ErrorCode::RateLimited
    );
    let res = app
        .post("/api/rooms/lobby/messages", &alice, json!({"text":"six"}))
        .await;
    assert_eq!(res.status(), 429);
    let header = res.headers().get("retry-after").cloned();
    let body: Value = res.json().await.expect("error body");
    assert_eq!(body["code"], "rate_limited");
    assert!(header.is_some(), "429 carries Retry-After");
    // An edit counts too.
    let edit = json!({"type":"edit","room":"lobby","seq":1,"text":"x","client_id":"e1"});
    assert_eq!(
        laptop.ask(edit).await.map_err(|r| r.code).err(),
        Some(ErrorCode::RateLimited)
    );

    // Nothing refused was stored; bob has his own allowance.
    let mut b = app.connect(&bob).await;
    assert!(send(&mut b, "bob speaks", "b1").await.is_ok());
    let texts = app.texts("lobby", &bob).await;
    assert_eq!(texts, ["one", "two", "three", "bob speaks"]);

    // After the wait it was told, alice sends again, on either connection.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert!(send(&mut phone, "four, again", "a4").await.is_ok());
    assert_eq!(app.texts("lobby", &bob).await.len(), 5);
}

#[tokio::test]
async fn zero_turns_flood_control_off() {
    let app = spawn_app_with(|s| {
        s.send_rate = 0;
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let alice = app.login("alice").await;
    let mut ws = app.connect(&alice).await;
    for i in 0..60 {
        assert!(send(&mut ws, &format!("m{i}"), &format!("c{i}"))
            .await
            .is_ok());
    }
}
