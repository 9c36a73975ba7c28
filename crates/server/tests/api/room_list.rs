//! `GET /api/rooms` (protocol v2): pages by name with an opaque cursor,
//! online counts from the shared presence record.

use std::time::{Duration, Instant};

use confab_shared::{PublicRoom, RoomList};
use serde_json::{json, Value};

use confab_testkit::*;

async fn page(app: &TestApp, query: &str) -> (u16, Value) {
    let res = http()
        .get(app.url(&format!("/api/rooms{query}")))
        .send()
        .await
        .expect("GET /api/rooms");
    let status = res.status().as_u16();
    (status, res.json().await.expect("json"))
}

fn list(body: Value) -> RoomList {
    serde_json::from_value(body).expect("a room list")
}

#[tokio::test]
async fn the_room_list_pages_by_name_with_a_cursor_at_most_100_a_page() {
    let app = spawn_app_with(|s| {
        // 105 rooms of one user, created quickly.
        s.max_rooms_per_user = 0;
        s.http_rate_limit = 0;
    })
    .await;
    let alice = app.login("alice").await;
    for i in 0..105 {
        let res = app
            .post(&format!("/api/rooms/r{i:03}/join"), &alice, json!({}))
            .await;
        assert_eq!(res.status(), 200);
    }
    let bob = app.login("bob").await;
    let res = app
        .post("/api/dm/alice/messages", &bob, json!({"text":"not listed"}))
        .await;
    assert_eq!(res.status(), 201);
    let mut expected: Vec<String> = (0..105).map(|i| format!("r{i:03}")).collect();
    expected.insert(0, "lobby".into());
    // The default page is the maximum, 100; asking for more gets 100.
    for query in ["", "?limit=100", "?limit=5000"] {
        let (status, body) = page(&app, query).await;
        assert_eq!(status, 200, "{query}");
        let first = list(body);
        assert_eq!(first.rooms.len(), 100, "{query}");
        assert!(first.next_cursor.is_some(), "{query}");
    }
    // Small pages, following the cursor to the end.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let query = match &cursor {
            Some(c) => format!("?limit=7&cursor={c}"),
            None => "?limit=7".into(),
        };
        let (status, body) = page(&app, &query).await;
        assert_eq!(status, 200, "{body}");
        let got = list(body);
        assert!(got.rooms.len() <= 7);
        seen.extend(got.rooms.iter().map(|r| r.name.to_string()));
        cursor = got.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert!(cursor.is_none(), "the pages never ended");
    assert_eq!(seen, expected);
    let alice_member = app.get("/api/rooms/r000/messages", &alice).await;
    assert_eq!(alice_member.status(), 200);
}

#[tokio::test]
async fn a_cursor_that_is_not_ours_is_invalid() {
    let app = spawn_app().await;
    // Not base64url; base64url of a direct conversation; of a bad name.
    for cursor in ["!!!", "ZG06YTpi", "Tm90IEEgUm9vbQ"] {
        let (status, body) = page(&app, &format!("?cursor={cursor}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid")),
            "{cursor}"
        );
    }
    let (status, body) = page(&app, "?limit=abc").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid")));
}

/// Polls the list until `room` shows these counts.
async fn wait_counts(app: &TestApp, room: &str, members: u32, online: u32) {
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, body) = page(app, "").await;
        let rooms = list(body).rooms;
        let found: Option<&PublicRoom> = rooms.iter().find(|r| r.name.to_string() == room);
        if found.is_some_and(|r| (r.members, r.online) == (members, online)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{room} never showed {members} members, {online} online: {rooms:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn online_counts_follow_presence_and_room_changes() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    wait_counts(&app, "lobby", 2, 1).await;
    // Joined after coming online: counted in the new room too.
    a.join("rust", None).await;
    a.say("rust", "hi", "1").await;
    wait_counts(&app, "rust", 1, 1).await;
    let (_, body) = page(&app, "").await;
    let rust = list(body)
        .rooms
        .into_iter()
        .find(|r| r.name.to_string() == "rust");
    assert_eq!(rust.map(|r| r.latest_seq), Some(1));
    let b = app.connect(&bob).await;
    wait_counts(&app, "lobby", 2, 2).await;
    drop(b);
    wait_counts(&app, "lobby", 2, 1).await;
    a.send_json(json!({"type":"leave","room":"rust"})).await;
    wait_counts(&app, "rust", 0, 0).await;
    drop(a);
    wait_counts(&app, "lobby", 2, 0).await;
}
