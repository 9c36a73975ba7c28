use confab_shared::{ErrorBody, ErrorCode, SessionReply, User};
use serde_json::json;

use confab_testkit::*;

#[tokio::test]
async fn a_session_sets_a_safe_cookie_and_resumes_for_the_same_name() {
    let app = spawn_app().await;
    let jar = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = jar
        .post(app.url("/api/session"))
        .json(&json!({"name":"  alice "}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["confab_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let first: SessionReply = res.json().await.unwrap();
    assert_eq!(first.user.name.as_str(), "alice");
    assert!(first.user.color.as_str().starts_with('#'));

    // The cookie alone identifies the user ...
    let me: User = jar
        .get(app.url("/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me, first.user);
    // ... and claiming the same name again resumes rather than failing.
    let again: SessionReply = jar
        .post(app.url("/api/session"))
        .json(&json!({"name":"alice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again.user.id, first.user.id);
}

#[tokio::test]
async fn names_are_validated_and_held_by_their_first_claimant() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    for (name, status, code) in [
        ("alice", 409, ErrorCode::NameTaken),
        ("ALICE", 409, ErrorCode::NameTaken),
        ("", 400, ErrorCode::Invalid),
        ("has space", 400, ErrorCode::Invalid),
        ("<b>bold</b>", 400, ErrorCode::Invalid),
        (&"x".repeat(33), 400, ErrorCode::Invalid),
    ] {
        let res = http()
            .post(app.url("/api/session"))
            .json(&json!({"name":name}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{name}");
        let body: ErrorBody = res.json().await.unwrap();
        assert_eq!(body.code, code, "{name}");
    }
    // Logging out ends the session, not the name: nobody can take it over.
    let res = http()
        .delete(app.url("/api/session"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app.get("/api/session", &alice).await;
    assert_eq!(res.status(), 401);
    let body: ErrorBody = res.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::Unauthorized);
    let res = http()
        .post(app.url("/api/session"))
        .json(&json!({"name":"alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(app.ws_status(Some(&alice.token), None).await, 401);
}
