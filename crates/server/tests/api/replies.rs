//! Every reply goes through the connection's bounded outbox; work done for
//! a request is what its answer needs.

use std::time::{Duration, Instant};

use confab_shared::{PresenceEvent, ServerMsg};
use futures_util::StreamExt;
use serde_json::json;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use confab_testkit::*;

/// The metrics page.
pub async fn metrics(app: &TestApp) -> String {
    http()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text")
}

/// One sample of the metrics page.
pub async fn sample(app: &TestApp, name: &str) -> f64 {
    metric(&metrics(app).await, name).unwrap_or_else(|e| panic!("{e}"))
}

/// Polls `name` until `ok` holds (every 20 ms, at most `within`); its value.
pub async fn wait_metric(
    app: &TestApp,
    name: &str,
    within: Duration,
    ok: impl Fn(f64) -> bool,
) -> f64 {
    let deadline = Instant::now() + within;
    loop {
        let v = sample(app, name).await;
        if ok(v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{name} is still {v} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A socket for `session` whose client reads nothing: a tiny receive
/// window, so the kernel cannot hide what the server queues for it.
pub async fn stalled(app: &TestApp, session: &Session) -> Ws {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("recv buffer");
    let tcp = socket.connect(app.addr).await.expect("connect");
    let request = ws_request(&app.ws_url(), Some(&session.token), None);
    let (stream, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .expect("ws handshake");
    Ws {
        stream,
        name: session.name.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_asking_page_after_page_without_reading_is_closed_and_slows_nobody() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let (alice, bob, sloth) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("sloth").await,
    );
    let mut a = app.connect(&alice).await;
    // 60 messages of 4000 bytes: every history page is cut at 192 KiB.
    let long = "x".repeat(4000);
    for i in 0..60 {
        a.say("lobby", &long, &format!("old{i}")).await;
    }
    let mut b = app.connect(&bob).await;
    let mut slow = stalled(&app, &sloth).await;

    let started = Instant::now();
    for _ in 0..100 {
        slow.send_json(json!({"type": "history", "room": "lobby", "limit": 60}))
            .await;
    }
    // Meanwhile bob hears alice without delay, and the server's queues stay
    // within one outbox (the sloth's) plus a little.
    let mut worst = Duration::ZERO;
    let mut queued_max = 0.0_f64;
    for i in 0..20 {
        let sent = Instant::now();
        a.say("lobby", "live", &format!("live{i}")).await;
        b.recv_until(|m| matches!(m, ServerMsg::Message { message } if message.text == "live"))
            .await;
        worst = worst.max(sent.elapsed());
        queued_max = queued_max.max(sample(&app, "confab_outbox_bytes").await);
    }
    wait_metric(
        &app,
        "confab_slow_consumers_closed_total",
        Duration::from_secs(15),
        |v| v >= 1.0,
    )
    .await;
    let closed_after = started.elapsed();
    queued_max = queued_max.max(sample(&app, "confab_outbox_bytes").await);
    assert!(
        worst < Duration::from_secs(2),
        "a reader waited {worst:?} for a message while another client flooded"
    );
    let bound = (app.settings.outbox_bytes + 64 * 1024) as f64;
    assert!(
        queued_max <= bound,
        "{queued_max} bytes queued; one outbox holds {}",
        app.settings.outbox_bytes
    );
    // Exactly one connection was closed, and its queue was given back.
    wait_metric(
        &app,
        "confab_connections{transport=\"websocket\"}",
        WAIT,
        |v| v == 2.0,
    )
    .await;
    assert_eq!(
        sample(&app, "confab_slow_consumers_closed_total").await,
        1.0
    );
    wait_metric(&app, "confab_outbox_bytes", WAIT, |v| v < 64.0 * 1024.0).await;
    println!("the flooding sloth was closed after {closed_after:?}; bob's worst wait {worst:?}");

    // The sloth reads at last: whatever was on its way, then the end (the
    // 1013 close if it still fit), well before all 100 pages.
    let mut pages = 0;
    let code = loop {
        match tokio::time::timeout(WAIT, slow.stream.next()).await {
            Ok(Some(Ok(WsMessage::Close(frame)))) => break frame.map(|f| f.code),
            Ok(Some(Ok(WsMessage::Text(text)))) => {
                if text.contains("\"type\":\"history\"") {
                    pages += 1;
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break None,
            Err(_) => panic!("sloth: the connection was not ended"),
        }
    };
    assert!(
        code.is_none() || code == Some(CloseCode::Again),
        "closed with {code:?}"
    );
    assert!(
        pages < 100,
        "all {pages} pages were sent: nothing bounded them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_joins_the_lobby_without_building_a_joined_reply() {
    let app = spawn_app_with(|s| {
        s.session_rate_limit = 0;
        s.http_rate_limit = 0;
    })
    .await;
    let names: Vec<String> = (0..300).map(|i| format!("member{i}")).collect();
    login_all(&http(), &app.url(""), &names, 8)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let observer = app.login("observer").await;
    let mut o = app.connect(&observer).await;
    let built = sample(&app, "confab_joined_built_total").await;

    let newbie = app.login("newbie").await;
    // Its members see the newcomer arrive, from the committed membership.
    let arrived = o
        .recv_until(|m| {
            matches!(m, ServerMsg::Presence { user, event: PresenceEvent::Joined, .. }
                if user.as_str() == "newbie")
        })
        .await;
    assert!(
        matches!(arrived, ServerMsg::Presence { members: 302, .. }),
        "{arrived:?}"
    );
    assert_eq!(
        sample(&app, "confab_joined_built_total").await,
        built,
        "creating a session built a `joined` reply (a page and the member list) nobody reads"
    );
    // And the newcomer is a member of the lobby.
    let res = app.get("/api/rooms/lobby/members?limit=1", &newbie).await;
    assert_eq!(res.status(), 200);
    let page: serde_json::Value = res.json().await.expect("json");
    assert_eq!(page["total"], 302);
    let mut n = app.connect(&newbie).await;
    n.send_json(json!({"type": "send", "room": "lobby", "text": "hello"}))
        .await;
    assert!(matches!(n.recv_significant().await, ServerMsg::Ack { .. }));
    // A real join still builds its reply.
    n.join("lobby", None).await;
    assert_eq!(sample(&app, "confab_joined_built_total").await, built + 1.0);
}
