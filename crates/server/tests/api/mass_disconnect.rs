//! Many clients failing at once: each is evicted and counted once, the
//! others hear about each once and lose nothing; and a closed socket's TCP
//! connection ends right after the close handshake.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use confab_shared::{PresenceEvent, ServerMsg, MAX_PRESENCE_USERS};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::replies::{sample, stalled, wait_metric};
use confab_testkit::*;

const STALLED: usize = 300;
const BURST: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_disconnect_evicts_each_once_and_tells_the_others_once_each() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
        s.session_rate_limit = 0;
        s.http_rate_limit = 0;
        s.max_connections_per_ip = 0;
        s.outbox_bytes = 128 * 1024;
        s.socket_send_buffer = 4096;
    })
    .await;
    let (alice, watcher) = (app.login("alice").await, app.login("watcher").await);
    let names: Vec<String> = (0..STALLED).map(|i| format!("sloth{i}")).collect();
    let sloths = login_all(&http(), &app.url(""), &names, 8)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut a = app.connect(&alice).await;
    let mut w = app.connect(&watcher).await;
    let mut stalled_sockets = Vec::with_capacity(STALLED);
    for s in &sloths {
        stalled_sockets.push(stalled(&app, s).await);
    }
    // The watcher reads everything, counting what it hears.
    let watching = tokio::spawn(async move {
        let mut messages = 0;
        let mut frames = 0;
        let mut offline: HashMap<String, usize> = HashMap::new();
        // Users the frames did not name (more than a frame names went
        // offline together), the most one frame named, the last count.
        let (mut omitted_total, mut most_named, mut online_after) = (0, 0, u32::MAX);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline && offline.values().sum::<usize>() + omitted_total < STALLED
        {
            match next_frame(&mut w.stream, deadline).await {
                Incoming::Frame(ServerMsg::Message { .. }) => messages += 1,
                Incoming::Frame(
                    msg @ ServerMsg::Presence {
                        event: PresenceEvent::Offline,
                        ..
                    },
                ) => {
                    frames += 1;
                    if let ServerMsg::Presence {
                        omitted, online, ..
                    } = &msg
                    {
                        omitted_total += *omitted as usize;
                        online_after = *online;
                    }
                    most_named = most_named.max(msg.presence_users().len());
                    for user in msg.presence_users() {
                        *offline.entry(user.to_string()).or_default() += 1;
                    }
                }
                Incoming::Frame(_) => {}
                Incoming::Ended(why) => panic!("the watcher was cut off: {why}"),
                Incoming::TimedOut => break,
            }
        }
        // What is still on its way (the rest of the burst).
        while messages < BURST {
            match next_frame(&mut w.stream, Instant::now() + WAIT).await {
                Incoming::Frame(ServerMsg::Message { .. }) => messages += 1,
                Incoming::Frame(_) => {}
                other => panic!("the watcher lost messages: {other:?}"),
            }
        }
        // The socket goes back with the counts: dropping it here would
        // close it before the test counts the connections left.
        let told = (omitted_total, most_named, online_after);
        (messages, frames, offline, told, w)
    });

    // A burst that no stalled client can take: 150 x 4 KB each.
    let text = "y".repeat(4000);
    for i in 0..BURST {
        a.say("lobby", &text, &format!("burst{i}")).await;
    }
    let closed = wait_metric(
        &app,
        "confab_slow_consumers_closed_total",
        Duration::from_secs(30),
        |v| v >= STALLED as f64,
    )
    .await;
    wait_metric(
        &app,
        "confab_connections{transport=\"websocket\"}",
        WAIT,
        |v| v == 2.0,
    )
    .await;
    // Counted once each: nothing more comes later either.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(closed, STALLED as f64);
    assert_eq!(
        sample(&app, "confab_slow_consumers_closed_total").await,
        STALLED as f64
    );
    let (messages, frames, offline, told, _w) = watching.await.expect("watcher");
    let (omitted, most_named, online_after) = told;
    println!(
        "{STALLED} evicted; the watcher got {frames} offline frames, \
         {omitted} users counted but not named"
    );
    assert_eq!(messages, BURST, "the watcher lost messages");
    assert_eq!(
        offline.len() + omitted,
        STALLED,
        "everyone evicted went offline, named or counted"
    );
    assert!(
        most_named <= MAX_PRESENCE_USERS,
        "a frame named {most_named}"
    );
    // The counts carry the users no frame named: alice and the watcher.
    assert_eq!(online_after, 2, "online after the last offline frame");
    assert!(
        offline.values().all(|n| *n == 1),
        "someone's going offline was told more than once: {offline:?}"
    );
    // Coalesced: one frame names many of them.
    assert!(
        frames <= STALLED / 5,
        "{frames} offline frames for {STALLED} users: not coalesced"
    );
    // The poster was never in danger either.
    a.say("lobby", "after", "after").await;
    drop(stalled_sockets);
}

/// Reads until the connection ends; how long that took.
async fn until_the_end(ws: &mut Ws) -> Duration {
    let started = Instant::now();
    loop {
        match tokio::time::timeout(WAIT, ws.stream.next()).await {
            Ok(None | Some(Err(_))) => return started.elapsed(),
            Ok(Some(Ok(_))) => {}
            Err(_) => panic!("{}: the connection did not end", ws.name),
        }
    }
}

#[tokio::test]
async fn the_tcp_connection_ends_right_after_the_close_handshake() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);

    // The client closes: the server answers and hangs up at once (it used
    // to keep the connection for actix's one-second linger).
    let mut a = app.connect(&alice).await;
    let started = Instant::now();
    a.stream.close(None).await.expect("close");
    until_the_end(&mut a).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "client close took {took:?}"
    );

    // The server closes (a frame too large): once the client answers, the
    // connection ends at once too.
    let mut b = app.connect(&bob).await;
    b.stream
        .send(WsMessage::Text("x".repeat(70 * 1024)))
        .await
        .expect("send");
    let code = loop {
        match tokio::time::timeout(WAIT, b.stream.next()).await {
            Ok(Some(Ok(WsMessage::Close(frame)))) => break frame.map(|f| f.code),
            Ok(Some(Ok(_))) => {}
            other => panic!("bob: expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(code, Some(CloseCode::Size));
    let took = until_the_end(&mut b).await;
    assert!(
        took < Duration::from_millis(500),
        "server close took {took:?}"
    );
    println!(
        "client close {:?}, server close {took:?}",
        started.elapsed()
    );
}
