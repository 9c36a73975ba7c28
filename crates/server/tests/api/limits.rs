//! The per-user and per-address limits: connection caps (refused with 429
//! JSON before any upgrade), the HTTP and session rate limits, rooms
//! created per user, and `0` turning each off. Addresses other than the
//! loopback are simulated with `X-Forwarded-For` from a trusted proxy.

use std::time::{Duration, Instant};

use confab_shared::{ErrorCode, ServerMsg};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Error as WsError;

use confab_testkit::*;

/// An address a trusted proxy (the loopback) speaks for.
const ELSEWHERE: &str = "198.51.100.20";

fn trust_loopback(s: &mut confab_server::Settings) {
    s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
}

/// An upgrade attempt from `forwarded_for` (or the loopback): `Ok` with
/// the socket, or the refusal's status and JSON body.
async fn try_ws(
    app: &TestApp,
    session: &Session,
    forwarded_for: Option<&str>,
) -> Result<Ws, (u16, Value)> {
    let mut request = ws_request(&app.ws_url(), Some(&session.token), None);
    if let Some(ip) = forwarded_for {
        request
            .headers_mut()
            .insert("x-forwarded-for", ip.parse().expect("header"));
    }
    let attempt = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request));
    match attempt.await.expect("an upgrade answer in time") {
        Ok((stream, _)) => {
            let mut ws = Ws {
                stream,
                name: session.name.clone(),
            };
            match ws.recv().await {
                ServerMsg::Welcome { .. } => Ok(ws),
                other => panic!("expected welcome, got {other:?}"),
            }
        }
        Err(WsError::Http(res)) => {
            let body = res.body().as_deref().unwrap_or_default();
            let body = serde_json::from_slice(body).unwrap_or(Value::Null);
            Err((res.status().as_u16(), body))
        }
        Err(e) => panic!("unexpected ws error {e}"),
    }
}

/// `GET /api/events`: `Ok` with the open response, or status and JSON.
async fn try_sse(app: &TestApp, session: &Session) -> Result<reqwest::Response, (u16, Value)> {
    let res = http()
        .get(app.url("/api/events"))
        .bearer_auth(&session.token)
        .send()
        .await
        .expect("GET /api/events");
    if res.status() == 200 {
        return Ok(res);
    }
    let status = res.status().as_u16();
    Err((status, res.json().await.unwrap_or(Value::Null)))
}

fn assert_too_many(refusal: (u16, Value)) {
    assert_eq!(refusal.0, 429, "{refusal:?}");
    assert_eq!(refusal.1["code"], "too_many_connections", "{refusal:?}");
    assert!(refusal.1["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn the_21st_connection_of_a_user_is_refused_before_upgrading_and_others_still_connect() {
    // The defaults: 20 per user, WebSocket and SSE together.
    let app = spawn_app().await;
    assert_eq!(app.settings.max_connections_per_user, 20);
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut sockets = Vec::new();
    for _ in 0..14 {
        sockets.push(try_ws(&app, &alice, None).await.expect("under the cap"));
    }
    let mut streams = Vec::new();
    for _ in 0..6 {
        streams.push(try_sse(&app, &alice).await.expect("under the cap"));
    }
    assert_too_many(try_ws(&app, &alice, None).await.err().expect("refused"));
    assert_too_many(try_sse(&app, &alice).await.expect_err("refused"));
    // The 20 keep working, and another user still connects.
    let mut b = try_ws(&app, &bob, None).await.expect("bob connects");
    sockets[0].say("lobby", "still here", "s1").await;
    let got = b
        .recv_until(|m| matches!(m, ServerMsg::Message { .. }))
        .await;
    assert_eq!(texts(&got), ["still here"]);
    let last = sockets.last_mut().expect("socket");
    let got = last
        .recv_until(|m| matches!(m, ServerMsg::Message { .. }))
        .await;
    assert_eq!(texts(&got), ["still here"]);
    // A closed connection gives its place back.
    drop(sockets.pop());
    drop(streams.pop());
    let deadline = Instant::now() + WAIT;
    let again = loop {
        match try_ws(&app, &alice, None).await {
            Ok(ws) => break ws,
            Err(refusal) => assert_too_many(refusal),
        }
        assert!(Instant::now() < deadline, "the place never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    drop(again);
}

#[tokio::test]
async fn an_address_past_its_cap_is_refused_while_other_addresses_connect() {
    let app = spawn_app_with(|s| {
        trust_loopback(s);
        s.max_connections_per_ip = 3;
    })
    .await;
    let (alice, bob, carol) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("carol").await,
    );
    let _a1 = try_ws(&app, &alice, None).await.expect("1");
    let _a2 = try_ws(&app, &alice, None).await.expect("2");
    let _b = try_sse(&app, &bob).await.expect("3");
    // Another user from the same address: the address is full.
    assert_too_many(try_ws(&app, &carol, None).await.err().expect("refused"));
    assert_too_many(try_sse(&app, &carol).await.expect_err("refused"));
    // The same user from elsewhere still connects.
    let mut c = try_ws(&app, &carol, Some(ELSEWHERE))
        .await
        .expect("another address");
    c.say("lobby", "from elsewhere", "e1").await;
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {:?}", res.headers()))
}

async fn get_from(app: &TestApp, path: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = http().get(app.url(path));
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.expect("GET")
}

#[tokio::test]
async fn http_requests_past_the_rate_get_429_with_retry_after_but_health_checks_do_not() {
    let app = spawn_app_with(|s| {
        trust_loopback(s);
        s.http_rate_limit = 1;
        s.http_rate_burst = 5;
    })
    .await;
    for _ in 0..5 {
        assert_eq!(get_from(&app, "/api/rooms", None).await.status(), 200);
    }
    let res = get_from(&app, "/api/rooms", None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=2).contains(&retry_after(&res)), "{:?}", res.headers());
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    // Every kind of request counts: pages, uploads, sessions, sockets.
    for path in [
        "/",
        "/uploads/0123456789abcdef0123456789abcdef.png",
        "/api/session",
    ] {
        assert_eq!(get_from(&app, path, None).await.status(), 429, "{path}");
    }
    let res = http()
        .post(app.url("/api/session"))
        .json(&json!({"name":"alice"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 429);
    // Health checks and scrapes are exempt; other addresses are not held up.
    for _ in 0..20 {
        assert_eq!(get_from(&app, "/healthz", None).await.status(), 200);
        assert_eq!(get_from(&app, "/metrics", None).await.status(), 200);
    }
    assert_eq!(
        get_from(&app, "/api/rooms", Some(ELSEWHERE)).await.status(),
        200
    );
}

async fn login_from(app: &TestApp, name: &str, forwarded_for: &str) -> reqwest::Response {
    http()
        .post(app.url("/api/session"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "name": name }))
        .send()
        .await
        .expect("POST /api/session")
}

#[tokio::test]
async fn sessions_created_per_address_are_limited_and_nothing_is_created_past_it() {
    let app = spawn_app_with(|s| {
        trust_loopback(s);
        s.session_rate_limit = 2;
    })
    .await;
    let here = "198.51.100.1";
    assert_eq!(login_from(&app, "alice", here).await.status(), 200);
    assert_eq!(login_from(&app, "bob", here).await.status(), 200);
    let res = login_from(&app, "carol", here).await;
    assert_eq!(res.status(), 429);
    // 2 a minute: the next one is possible in about 30 s.
    assert!((1..=30).contains(&retry_after(&res)), "{:?}", res.headers());
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited");
    // An account is a new user too: the same limit, before its password
    // is hashed, and nothing created.
    let res = http()
        .post(app.url("/api/account"))
        .header("x-forwarded-for", here)
        .json(&json!({ "name": "dave", "password": "a long passphrase" }))
        .send()
        .await
        .expect("POST /api/account");
    assert_eq!(res.status(), 429);
    assert_eq!(login_from(&app, "dave", ELSEWHERE).await.status(), 200);
    // carol was not created: her name is free from another address.
    assert_eq!(login_from(&app, "carol", ELSEWHERE).await.status(), 200);
    // Other requests of the limited address still work.
    assert_eq!(get_from(&app, "/api/rooms", Some(here)).await.status(), 200);
}

#[tokio::test]
async fn zero_turns_each_limit_off() {
    let app = spawn_app_with(|s| {
        s.max_connections_per_user = 0;
        s.max_connections_per_ip = 0;
        s.http_rate_limit = 0;
        s.session_rate_limit = 0;
        s.max_rooms_per_user = 0;
    })
    .await;
    let client = http();
    let mut sessions = Vec::new();
    for i in 0..40 {
        sessions.push(
            login(&client, &app.url(""), &format!("u{i}"))
                .await
                .expect("login"),
        );
    }
    for _ in 0..150 {
        assert_eq!(get_from(&app, "/api/rooms", None).await.status(), 200);
    }
    let alice = &sessions[0];
    let mut sockets = Vec::new();
    for _ in 0..25 {
        sockets.push(try_ws(&app, alice, None).await.expect("no cap"));
    }
    for i in 0..105 {
        let res = app
            .post(&format!("/api/rooms/own{i}/join"), alice, json!({}))
            .await;
        assert_eq!(res.status(), 200, "room {i}");
    }
}

#[tokio::test]
async fn rooms_created_per_user_are_capped_and_nothing_is_created_past_it() {
    let app = spawn_app_with(|s| s.max_rooms_per_user = 2).await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    for room in ["one", "two"] {
        assert!(matches!(a.join(room, None).await, ServerMsg::Joined { .. }));
    }
    match a.join("three", None).await {
        ServerMsg::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::TooManyRooms);
            assert!(message.contains('2'), "{message}");
        }
        other => panic!("expected too_many_rooms, got {other:?}"),
    }
    let res = app.post("/api/rooms/three/join", &alice, json!({})).await;
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "too_many_rooms");
    let listed = room_names(&app).await;
    assert_eq!(listed, ["lobby", "one", "two"], "three was not created");
    // Rooms that exist, the lobby and conversations are open to her.
    let res = app.post("/api/rooms/three/join", &bob, json!({})).await;
    assert_eq!(res.status(), 200);
    assert!(matches!(
        a.join("three", None).await,
        ServerMsg::Joined { .. }
    ));
    assert!(matches!(
        a.join("lobby", None).await,
        ServerMsg::Joined { .. }
    ));
    let res = app
        .post("/api/dm/bob/messages", &alice, json!({"text":"hi"}))
        .await;
    assert_eq!(res.status(), 201);
    // And the socket still works after the refusal.
    a.say("three", "made it", "m1").await;
}

async fn room_names(app: &TestApp) -> Vec<String> {
    let body: Value = http()
        .get(app.url("/api/rooms"))
        .send()
        .await
        .expect("GET /api/rooms")
        .json()
        .await
        .expect("json");
    body["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}
