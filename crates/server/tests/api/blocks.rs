//! Blocks: a blocked user's direct messages to the blocker are refused
//! (`forbidden`) over every transport and nothing is stored; a block goes
//! one way; bad names, oneself and unknown users get clear errors.

use confab_shared::{BlockList, ErrorCode};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use confab_testkit::*;

async fn call(app: &TestApp, method: Method, path: &str, who: &Session) -> reqwest::Response {
    http()
        .request(method, app.url(path))
        .bearer_auth(&who.token)
        .send()
        .await
        .expect("request")
}

async fn blocked(app: &TestApp, who: &Session) -> Vec<String> {
    let res = app.get("/api/blocks", who).await;
    assert_eq!(res.status(), 200);
    let list: BlockList = res.json().await.expect("block list");
    list.users.into_iter().map(|u| u.to_string()).collect()
}

/// Sends a frame; the error code answering it, or `None` for an ack.
async fn refused(ws: &mut Ws, frame: Value) -> Option<ErrorCode> {
    ws.ask(frame).await.err().map(|r| r.code)
}

#[tokio::test]
async fn a_blocked_users_direct_messages_are_refused_everywhere_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("carol").await,
    );
    let mut a = app.connect(&alice).await;
    assert_eq!(
        refused(
            &mut a,
            json!({"type":"dm","to":"bob","text":"hi bob","client_id":"d1"})
        )
        .await,
        None
    );

    // bob blocks alice.
    let res = call(&app, Method::PUT, "/api/blocks/alice", &bob).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let again = call(&app, Method::PUT, "/api/blocks/ALICE", &bob).await;
    assert_eq!(
        again.status(),
        StatusCode::NO_CONTENT,
        "blocking twice is fine"
    );
    assert_eq!(blocked(&app, &bob).await, ["alice"]);
    assert!(blocked(&app, &alice).await.is_empty(), "alice is not told");

    // Every way alice could reach bob privately is refused.
    let dm = json!({"type":"dm","to":"bob","text":"let me in","client_id":"d2"});
    assert_eq!(refused(&mut a, dm).await, Some(ErrorCode::Forbidden));
    let in_room =
        json!({"type":"send","room":"dm:alice:bob","text":"still here?","client_id":"d3"});
    assert_eq!(refused(&mut a, in_room).await, Some(ErrorCode::Forbidden));
    let res = app
        .post("/api/dm/bob/messages", &alice, json!({"text":"over http"}))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.expect("error body");
    assert_eq!(body["code"], "forbidden");
    let edit =
        json!({"type":"edit","room":"dm:alice:bob","seq":1,"text":"edited","client_id":"e1"});
    assert_eq!(refused(&mut a, edit).await, Some(ErrorCode::Forbidden));
    assert_eq!(
        app.texts("dm:alice:bob", &bob).await,
        ["hi bob"],
        "nothing refused was stored"
    );

    // One way only: bob still writes to alice, carol still writes to bob,
    // and alice still posts in rooms (bob's client hides those).
    let mut b = app.connect(&bob).await;
    assert_eq!(
        refused(
            &mut b,
            json!({"type":"dm","to":"alice","text":"bye","client_id":"b1"})
        )
        .await,
        None
    );
    let mut c = app.connect(&carol).await;
    assert_eq!(
        refused(
            &mut c,
            json!({"type":"dm","to":"bob","text":"hey","client_id":"c1"})
        )
        .await,
        None
    );
    assert_eq!(
        refused(
            &mut a,
            json!({"type":"send","room":"lobby","text":"hello all","client_id":"l1"})
        )
        .await,
        None
    );

    // Unblocked, alice's messages go through again.
    let res = call(&app, Method::DELETE, "/api/blocks/alice", &bob).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(blocked(&app, &bob).await.is_empty());
    assert_eq!(
        refused(
            &mut a,
            json!({"type":"dm","to":"bob","text":"friends?","client_id":"d4"})
        )
        .await,
        None
    );
    assert_eq!(
        app.texts("dm:alice:bob", &bob).await,
        ["hi bob", "bye", "friends?"]
    );
}

#[tokio::test]
async fn bad_block_requests_get_clear_errors_and_change_nothing() {
    let app = spawn_app().await;
    let bob = app.login("bob").await;
    let cases = [
        (
            Method::PUT,
            "/api/blocks/nobody",
            StatusCode::NOT_FOUND,
            "unknown_user",
        ),
        (
            Method::PUT,
            "/api/blocks/bob",
            StatusCode::BAD_REQUEST,
            "invalid",
        ),
        (
            Method::PUT,
            "/api/blocks/a%20b",
            StatusCode::BAD_REQUEST,
            "invalid",
        ),
        (
            Method::DELETE,
            "/api/blocks/nobody",
            StatusCode::NOT_FOUND,
            "unknown_user",
        ),
    ];
    for (method, path, status, code) in cases {
        let res = call(&app, method.clone(), path, &bob).await;
        assert_eq!(res.status(), status, "{method} {path}");
        let body: Value = res.json().await.expect("error body");
        assert_eq!(body["code"], code, "{method} {path}");
    }
    let alice = app.login("alice").await;
    let res = call(&app, Method::DELETE, "/api/blocks/alice", &bob).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "no block to end");
    let res = http()
        .get(app.url("/api/blocks"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(blocked(&app, &bob).await.is_empty());
    assert!(blocked(&app, &alice).await.is_empty());
}
