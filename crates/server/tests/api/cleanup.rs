//! Nothing grows without bound: rooms nothing keeps are removed, the hub's
//! maps follow the live connections, an SSE replay from an old cursor pages.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use confab_shared::ServerMsg;
use serde_json::json;

use crate::replies::{sample, wait_metric};
use confab_testkit::*;

async fn public_rooms(app: &TestApp) -> Vec<String> {
    let list: serde_json::Value = http()
        .get(app.url("/api/rooms"))
        .send()
        .await
        .expect("GET /api/rooms")
        .json()
        .await
        .expect("rooms json");
    list["rooms"]
        .as_array()
        .expect("a list of rooms")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn rooms_nothing_keeps_are_swept_but_lobby_and_used_rooms_stay() {
    let app = spawn_app_with(|s| {
        s.room_sweep_ms = 50;
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let alice = app.login("alice").await;
    for room in ["scratch", "busy", "chatter"] {
        let res = app
            .post(&format!("/api/rooms/{room}/join"), &alice, json!({}))
            .await;
        assert_eq!(res.status(), 200, "join {room}");
    }
    let res = app
        .post(
            "/api/rooms/chatter/messages",
            &alice,
            json!({"text": "kept"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    for room in ["scratch", "chatter"] {
        let res = app
            .post(&format!("/api/rooms/{room}/leave"), &alice, json!({}))
            .await;
        assert_eq!(res.status(), 200, "leave {room}");
    }
    // The sweep removes `scratch` (no member, no message) and only it.
    let deadline = Instant::now() + WAIT;
    while public_rooms(&app).await.contains(&"scratch".to_owned()) {
        assert!(Instant::now() < deadline, "scratch was never removed");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    wait_metric(&app, "confab_rooms_removed_total", WAIT, |v| v >= 1.0).await;
    // Several sweeps later the rest is still there.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(public_rooms(&app).await, vec!["busy", "chatter", "lobby"]);
    assert_eq!(sample(&app, "confab_rooms_removed_total").await, 1.0);
    // History of the room that kept its message is intact.
    let mut a = app.connect(&alice).await;
    match a.join("chatter", None).await {
        ServerMsg::Joined { messages, .. } => assert_eq!(texts_of(&messages), vec!["kept"]),
        other => panic!("{other:?}"),
    }
    // A removed room comes back with the next join, empty.
    match a.join("scratch", None).await {
        ServerMsg::Joined {
            messages,
            latest_seq,
            members_total,
            ..
        } => assert_eq!((messages.len(), latest_seq, members_total), (0, 0, 1)),
        other => panic!("{other:?}"),
    }
    a.say("scratch", "back", "b1").await;
}

fn texts_of(messages: &[confab_shared::Message]) -> Vec<&str> {
    messages.iter().map(|m| m.text.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_forgets_rooms_and_users_nobody_here_uses_any_more() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
        s.session_rate_limit = 0;
        s.http_rate_limit = 0;
    })
    .await;
    let observer = app.login("observer").await;
    let mut o = app.connect(&observer).await;
    o.say("lobby", "settled", "s").await;
    let baseline = [
        ("confab_hub_rooms", 1.0),
        ("confab_hub_users", 1.0),
        ("confab_hub_online_users", 1.0),
        ("confab_hub_online_rooms", 1.0),
    ];
    for (name, v) in baseline {
        wait_metric(&app, name, WAIT, |x| x == v).await;
    }
    // Rounds of users who come, make rooms of their own, leave some, go.
    for round in 0..3 {
        let names: Vec<String> = (0..40).map(|i| format!("u{round}x{i}")).collect();
        let sessions = login_all(&http(), &app.url(""), &names, 8)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut sockets = Vec::new();
        for (i, s) in sessions.iter().enumerate() {
            let mut ws = app.connect(s).await;
            let own = format!("own-{round}-{i}");
            ws.join(&own, None).await;
            ws.join("shared", None).await;
            if i % 2 == 0 {
                ws.send_json(json!({"type": "leave", "room": own})).await;
                ws.recv_until(|m| matches!(m, ServerMsg::Left { .. })).await;
            }
            sockets.push(ws);
        }
        assert!(sample(&app, "confab_hub_rooms").await >= 20.0);
        drop(sockets);
        for (name, v) in baseline {
            wait_metric(&app, name, WAIT, |x| x == v).await;
        }
    }
    // The observer's outbox may still hold the last presence news (it
    // gathers for 100 ms, then waits up to the write delay): it drains.
    wait_metric(&app, "confab_outbox_bytes", WAIT, |x| x == 0.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sse_replay_from_zero_pages_through_thousands_in_order_then_goes_live() {
    const STORED: usize = 2500;
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    // Pipelined in chunks (the acks of one chunk fit the outbox).
    for chunk in 0..STORED / 500 {
        for i in chunk * 500..(chunk + 1) * 500 {
            let send = json!({"type": "send", "room": "lobby", "text": format!("m{i}"), "client_id": format!("c{i}")});
            a.send_json(send).await;
        }
        let mut acked = 0;
        while acked < 500 {
            if let ServerMsg::Ack { .. } = a.recv().await {
                acked += 1;
            }
        }
    }
    let mut sse = Sse::open(&app, &bob, Some("0")).await;
    assert_eq!(sse.next_event().await.event, "welcome");
    let mut ids = Vec::with_capacity(STORED);
    let mut seqs = Vec::with_capacity(STORED);
    for _ in 0..STORED {
        let (id, message) = sse.next_message().await;
        ids.push(id);
        seqs.push(message.seq);
    }
    assert_eq!(seqs, (1..=STORED as u64).collect::<Vec<_>>());
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), STORED);
    // Then live, without repeats.
    a.say("lobby", "live", "live").await;
    let (id, message) = sse.next_message().await;
    assert_eq!(
        (message.seq, message.text.as_str()),
        (STORED as u64 + 1, "live")
    );
    assert!(id > ids[STORED - 1]);
}
