//! Cross-site requests: what a page of another origin makes a browser do
//! with the session cookie is refused (403 `forbidden`) and changes nothing;
//! the server's own origin, `--allowed-origin` and bots with a bearer token
//! keep working.

use confab_shared::{ErrorBody, ErrorCode, PublicRoom, RoomList};
use serde_json::json;

use confab_testkit::*;

const LISTED: &str = "http://localhost:8080";

/// A request carrying `session`'s cookie (as a browser would), plus headers.
fn browser(
    method: reqwest::Method,
    url: String,
    session: &Session,
    headers: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let mut req = http()
        .request(method, url)
        .header("cookie", format!("confab_session={}", session.token));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req
}

async fn expect_forbidden(res: reqwest::Response, what: &str) {
    assert_eq!(res.status(), 403, "{what}");
    let body: ErrorBody = res.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::Forbidden, "{what}");
}

#[tokio::test]
async fn cookie_requests_from_foreign_pages_are_refused_and_change_nothing() {
    let app = spawn_app_with(|s| s.allowed_origins = vec![LISTED.into()]).await;
    let alice = app.login("alice").await;
    let port = app.addr.port();
    let other_scheme = format!("https://127.0.0.1:{port}");
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    let foreign = [
        ("http://evil.example", None),
        // Same host, other scheme: another origin.
        (other_scheme.as_str(), None),
        (other_port.as_str(), None),
        ("https://localhost:8080", None),
        ("null", None),
        // No Origin, but the browser says another site asked.
        ("", Some("cross-site")),
    ];
    let post = |text: &str, origin: &str, fetch_site: Option<&str>| {
        let mut headers = Vec::new();
        if !origin.is_empty() {
            headers.push(("origin", origin.to_owned()));
        }
        if let Some(site) = fetch_site {
            headers.push(("sec-fetch-site", site.to_owned()));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        browser(
            reqwest::Method::POST,
            app.url("/api/rooms/lobby/messages"),
            &alice,
            &headers,
        )
        .json(&json!({ "text": text }))
        .send()
    };
    for (i, (origin, site)) in foreign.iter().enumerate() {
        let what = format!("origin {origin:?}, sec-fetch-site {site:?}");
        expect_forbidden(
            post(&format!("csrf {i}"), origin, *site).await.unwrap(),
            &what,
        )
        .await;
        // Other state-changing routes alike: a join creating a room, logout.
        let mut headers = vec![];
        if !origin.is_empty() {
            headers.push(("origin", *origin));
        }
        if let Some(site) = site {
            headers.push(("sec-fetch-site", *site));
        }
        let join = browser(
            reqwest::Method::POST,
            app.url(&format!("/api/rooms/csrf-{i}/join")),
            &alice,
            &headers,
        );
        expect_forbidden(join.send().await.unwrap(), &what).await;
        let logout = browser(
            reqwest::Method::DELETE,
            app.url("/api/session"),
            &alice,
            &headers,
        );
        expect_forbidden(logout.send().await.unwrap(), &what).await;
    }
    // Nothing was stored, no room created, the session is still there.
    assert_eq!(app.texts("lobby", &alice).await, Vec::<String>::new());
    let rooms: Vec<PublicRoom> = http()
        .get(app.url("/api/rooms"))
        .send()
        .await
        .unwrap()
        .json::<RoomList>()
        .await
        .unwrap()
        .rooms;
    assert_eq!(rooms.len(), 1, "only the lobby: {rooms:?}");
    assert_eq!(app.get("/api/session", &alice).await.status(), 200);

    // The server's own page, a listed one, and a same-origin fetch work.
    let own = format!("http://127.0.0.1:{port}");
    for (text, origin, site) in [
        ("own", own.as_str(), None),
        ("listed", LISTED, Some("cross-site")),
        ("same", "", Some("same-origin")),
    ] {
        let res = post(text, origin, site).await.unwrap();
        assert_eq!(res.status(), 201, "{text}");
    }
    // Reads with the cookie are not guarded (they change nothing).
    let read = browser(
        reqwest::Method::GET,
        app.url("/api/session"),
        &alice,
        &[("origin", "http://evil.example")],
    );
    assert_eq!(read.send().await.unwrap().status(), 200);
    assert_eq!(app.texts("lobby", &alice).await, ["own", "listed", "same"]);
}

#[tokio::test]
async fn bearer_requests_need_no_origin() {
    let app = spawn_app().await;
    let bot = app.login("bot").await;
    let res = app
        .post("/api/rooms/lobby/messages", &bot, json!({"text": "beep"}))
        .await;
    assert_eq!(res.status(), 201);
    // A token is no ambient credential: a page that holds one may use it.
    let res = http()
        .post(app.url("/api/rooms/lobby/messages"))
        .bearer_auth(&bot.token)
        .header("origin", "http://elsewhere.example")
        .json(&json!({"text": "boop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(app.texts("lobby", &bot).await, ["beep", "boop"]);
}

#[tokio::test]
async fn streams_and_logins_from_foreign_pages_are_refused() {
    let app = spawn_app_with(|s| s.allowed_origins = vec![LISTED.into()]).await;
    let alice = app.login("alice").await;
    let own = format!("http://{}", app.addr);
    let events = |origin: &str| {
        browser(
            reqwest::Method::GET,
            app.url("/api/events"),
            &alice,
            &[("origin", origin)],
        )
        .send()
    };
    expect_forbidden(events("http://evil.example").await.unwrap(), "sse").await;
    let https_own = own.replace("http://", "https://");
    expect_forbidden(events(&https_own).await.unwrap(), "sse, https").await;
    assert_eq!(events(&own).await.unwrap().status(), 200);
    assert_eq!(events(LISTED).await.unwrap().status(), 200);

    // Login CSRF: a foreign page may not log the browser in, with or
    // without a cookie already there.
    let login = |origin: &str, cookie: bool| {
        let mut req = http()
            .post(app.url("/api/session"))
            .header("origin", origin)
            .json(&json!({"name": "mallory"}));
        if cookie {
            req = req.header("cookie", format!("confab_session={}", alice.token));
        }
        req.send()
    };
    expect_forbidden(login("http://evil.example", false).await.unwrap(), "login").await;
    expect_forbidden(
        login("http://evil.example", true).await.unwrap(),
        "login+cookie",
    )
    .await;
    let taken = http()
        .post(app.url("/api/session"))
        .json(&json!({"name": "mallory"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 200, "the refused logins claimed nothing");
    assert_eq!(login(&own, false).await.unwrap().status(), 409);

    // WebSocket upgrades: scheme, host and port all count.
    assert_eq!(
        app.ws_status(Some(&alice.token), Some(&https_own)).await,
        403
    );
    assert_eq!(app.ws_status(Some(&alice.token), Some(&own)).await, 101);
    assert_eq!(app.ws_status(Some(&alice.token), Some(LISTED)).await, 101);
    assert_eq!(app.ws_status(Some(&alice.token), None).await, 101);
}
