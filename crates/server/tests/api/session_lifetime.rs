//! Sessions end: logging out closes the session's live connections at once,
//! idle sessions expire, the cookie matches, the token stays out of REST URLs
//! and the cookie is `Secure` exactly when the client used HTTPS.

use std::time::{Duration, Instant};

use std::pin::Pin;

use confab_shared::{ErrorBody, ErrorCode, User};
use futures_util::{Stream, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use confab_testkit::*;

/// The bound on closing a logged-out session's connections.
const CLOSE_WITHIN: Duration = Duration::from_secs(2);

/// A second session of `session`'s user, the way another device gets one,
/// written to the store directly (the API hands out a new session only to a
/// new user).
async fn second_session(app: &TestApp, session: &Session) -> Session {
    let me: User = app.get("/api/session", session).await.json().await.unwrap();
    let store = confab_server::startup::open_store(&app.settings)
        .await
        .expect("store");
    let token = confab_server::auth::new_token();
    let hash = confab_server::auth::hash_token(&token);
    store.add_session(&me.id, &hash).await.expect("session");
    store.close().await;
    Session {
        token,
        name: session.name.clone(),
    }
}

/// Opens `/api/events` with `session`'s bearer token; the raw body stream.
async fn open_stream(
    app: &TestApp,
    session: &Session,
) -> Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>> {
    let res = reqwest::Client::new()
        .get(app.url("/api/events"))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    Box::pin(res.bytes_stream())
}

fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()["set-cookie"].to_str().unwrap().to_owned()
}

async fn status_with_bearer(app: &TestApp, path: &str, token: &str) -> u16 {
    http()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn logging_out_closes_that_sessions_socket_and_stream_at_once() {
    let app = spawn_app().await;
    let phone = app.login("alice").await;
    let laptop = second_session(&app, &phone).await;
    let mut phone_ws = app.connect(&phone).await;
    let mut phone_sse = open_stream(&app, &phone).await;
    let mut laptop_ws = app.connect(&laptop).await;
    let mut laptop_sse = Sse::open(&app, &laptop, None).await;
    assert_eq!(laptop_sse.next_event().await.event, "welcome");

    let res = http()
        .delete(app.url("/api/session"))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let logged_out = Instant::now();

    // The socket: closed with 1008 (policy), not left to time out.
    let code = tokio::time::timeout(CLOSE_WITHIN, phone_ws.closed())
        .await
        .expect("the logged-out socket closes within 2 s");
    assert_eq!(code, Some(CloseCode::Policy));
    // The stream: its body ends (whatever it had sent before).
    let ended = tokio::time::timeout(CLOSE_WITHIN.saturating_sub(logged_out.elapsed()), async {
        while let Some(chunk) = phone_sse.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the logged-out stream ends within 2 s");
    assert!(logged_out.elapsed() <= CLOSE_WITHIN);

    // The other device's session is untouched, socket and stream alike.
    let seq = laptop_ws.say("lobby", "still here", "c1").await;
    let (_, message) = laptop_sse.next_message().await;
    assert_eq!((message.seq, message.text.as_str()), (seq, "still here"));
    assert_eq!(
        status_with_bearer(&app, "/api/session", &laptop.token).await,
        200
    );

    // The ended token opens nothing any more.
    assert_eq!(
        status_with_bearer(&app, "/api/session", &phone.token).await,
        401
    );
    assert_eq!(
        status_with_bearer(&app, "/api/events", &phone.token).await,
        401
    );
    assert_eq!(app.ws_status(Some(&phone.token), None).await, 401);
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &phone,
            json!({"text": "ghost"}),
        )
        .await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn idle_sessions_expire_and_sessions_in_use_do_not() {
    let ttl = Duration::from_secs(3);
    let app = spawn_app_with(|s| s.session_ttl = ttl.as_secs()).await;
    let started = Instant::now();
    let idle = app.login("idle").await;
    let busy = app.login("busy").await;
    // `busy` is used every 300 ms (its last use is recorded at least every
    // ttl/4); `idle` not at all, until it has been idle past the limit.
    let mut uses = 0;
    while started.elapsed() < ttl + Duration::from_secs(1) {
        assert_eq!(
            status_with_bearer(&app, "/api/session", &busy.token).await,
            200,
            "a session in use is kept (use {uses})"
        );
        uses += 1;
        assert!(uses < 100, "bounded");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let res = app.get("/api/session", &idle).await;
    assert_eq!(res.status(), 401);
    let body: ErrorBody = res.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::Unauthorized);
    // Refused everywhere, sockets and streams included; and deleted, so it
    // cannot come back.
    assert_eq!(app.ws_status(Some(&idle.token), None).await, 401);
    assert_eq!(
        status_with_bearer(&app, "/api/events", &idle.token).await,
        401
    );
    assert_eq!(app.ws_status(Some(&busy.token), None).await, 101);
    assert_eq!(
        status_with_bearer(&app, "/api/session", &busy.token).await,
        200
    );
    let store = confab_server::startup::open_store(&app.settings)
        .await
        .expect("store");
    let hash = confab_server::auth::hash_token(&idle.token);
    assert_eq!(store.user_by_token(&hash).await.expect("read"), None);
    store.close().await;
}

#[tokio::test]
async fn the_cookie_lives_as_long_as_an_idle_session() {
    for (ttl, max_age) in [
        (None, 30 * 24 * 3600),
        (Some(2), 2),
        // 0: sessions never expire; the cookie lasts a year.
        (Some(0), 365 * 24 * 3600),
    ] {
        let app = spawn_app_with(|s| {
            if let Some(ttl) = ttl {
                s.session_ttl = ttl;
            }
        })
        .await;
        let res = http()
            .post(app.url("/api/session"))
            .json(&json!({"name": "alice"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cookie = set_cookie(&res);
        assert!(
            cookie.contains(&format!("Max-Age={max_age}")),
            "{ttl:?}: {cookie}"
        );
    }
}

#[tokio::test]
async fn a_token_in_the_url_works_only_for_the_socket_and_the_stream() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let with_token = |path: &str| app.url(&format!("{path}?token={}", alice.token));
    for path in ["/api/session", "/api/rooms/lobby/messages"] {
        let res = http().get(with_token(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "GET {path}");
    }
    let res = http()
        .post(with_token("/api/rooms/lobby/messages"))
        .json(&json!({"text": "from the url"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // The socket and the stream take it (browsers cannot set headers there).
    let url = format!("{}?token={}", app.ws_url(), alice.token);
    assert!(tokio_tungstenite::connect_async(url).await.is_ok());
    let res = http().get(with_token("/api/events")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    drop(res);
    // Nothing was posted through the refused request.
    let history: serde_json::Value = app
        .get("/api/rooms/lobby/messages", &alice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"], json!([]));
}

#[tokio::test]
async fn the_cookie_is_secure_when_a_trusted_proxy_says_https() {
    let login = |app: &TestApp, proto: Option<&str>| {
        let mut req = http()
            .post(app.url("/api/session"))
            .json(&json!({"name": "alice"}));
        if let Some(proto) = proto {
            req = req.header("x-forwarded-proto", proto);
        }
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            set_cookie(&res)
        }
    };
    let behind_proxy =
        spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let cookie = login(&behind_proxy, Some("https")).await;
    assert!(cookie.contains("; Secure"), "{cookie}");
    let open = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let cookie = login(&open, Some("http")).await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    // From a peer that is not a trusted proxy the header means nothing.
    let direct = spawn_app().await;
    let cookie = login(&direct, Some("https")).await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    // Unless the server is told its clients always use HTTPS.
    let told = spawn_app_with(|s| s.secure_cookie = true).await;
    let cookie = login(&told, None).await;
    assert!(cookie.contains("; Secure"), "{cookie}");
}
