use std::time::Duration;

use std::time::Instant;

use confab_shared::{PresenceEvent, ServerMsg};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use confab_testkit::*;

#[tokio::test]
async fn healthz_and_metrics() {
    let app = spawn_app().await;
    let res = http().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["store"], "ok");

    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    a.say("lobby", "counted", "c").await;
    let res = http().get(app.url("/metrics")).send().await.unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    for line in [
        "confab_connections{transport=\"websocket\"} 1",
        "confab_messages_stored_total 1",
        "confab_store_latency_seconds_count",
        "confab_frames_in_total 1",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}

#[tokio::test]
async fn a_silent_client_is_dropped_and_an_answering_one_is_kept() {
    let app = spawn_app_with(|s| {
        s.heartbeat_ms = 100;
        s.client_timeout_ms = 400;
    })
    .await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut lively = app.connect(&bob).await;
    // The server's silence clock starts when alice's socket opens: start
    // ours before that, so "not before 400 ms" measures from no later.
    let started = Instant::now();
    let silent = app.connect(&alice).await;
    // `lively` keeps reading (tungstenite answers pings while it reads) while
    // `silent` reads nothing, so it answers no ping: the server must give up
    // on it, which `lively` sees as alice going offline.
    let mut pings = 0;
    let mut alice_presence = Vec::new();
    // Until alice is dropped (bounded: a loaded machine may be slow).
    while started.elapsed() < Duration::from_secs(10)
        && !alice_presence
            .iter()
            .any(|(e, _)| *e == PresenceEvent::Offline)
    {
        match tokio::time::timeout(Duration::from_millis(100), lively.stream.next()).await {
            Ok(Some(Ok(WsMessage::Ping(_)))) => pings += 1,
            Ok(Some(Ok(WsMessage::Text(text)))) => {
                if let ServerMsg::Presence { user, event, .. } =
                    serde_json::from_str(&text).unwrap()
                {
                    if user.as_str() == "alice" {
                        alice_presence.push((event, started.elapsed()));
                    }
                }
            }
            Ok(Some(Ok(WsMessage::Close(_)))) => panic!("an answering client was closed"),
            Ok(other) => panic!("lively: {other:?}"),
            Err(_) => {}
        }
    }
    assert!(pings >= 3, "the server pings every 100 ms, got {pings}");
    let events: Vec<PresenceEvent> = alice_presence.iter().map(|(e, _)| *e).collect();
    assert_eq!(events, vec![PresenceEvent::Online, PresenceEvent::Offline]);
    let at = alice_presence[1].1;
    assert!(
        at >= Duration::from_millis(400),
        "dropped too early: {at:?}"
    );
    drop(silent);
}

#[tokio::test]
async fn the_connection_limit_answers_503() {
    let app = spawn_app_with(|s| s.max_connections = 2).await;
    let alice = app.login("alice").await;
    let _one = app.connect(&alice).await;
    let two = app.connect(&alice).await;
    assert_eq!(app.ws_status(Some(&alice.token), None).await, 503);
    drop(two);
    // The permit comes back when a connection ends.
    let mut freed = false;
    for _ in 0..50 {
        if app.ws_status(Some(&alice.token), None).await == 101 {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed);
}
