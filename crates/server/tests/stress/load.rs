//! Many clients at once (bounded: 1,000 loopback connections, one broadcast).

use std::time::{Duration, Instant};

use confab_shared::ServerMsg;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use confab_testkit::*;

const CLIENTS: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_all_receive_one_broadcast() {
    let _alone = crate::ONE_AT_A_TIME.lock().await;
    // Client and server sockets both live in this process.
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    // 1,001 users from one address: more sessions and requests than one
    // address may make by default, and every one of the 1,000 sockets
    // open at once from it.
    let app = spawn_app_with(|s| {
        s.session_rate_limit = 0;
        s.http_rate_limit = 0;
        s.max_connections_per_ip = CLIENTS + 1;
    })
    .await;
    let started = Instant::now();
    let mut sessions = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        sessions.push(app.login(&format!("user{i}")).await);
    }
    let logged_in = started.elapsed();

    // Connect in waves of 100, each client waiting for its welcome.
    let mut clients = Vec::with_capacity(CLIENTS);
    for wave in sessions.chunks(100) {
        let connects = wave.iter().map(|s| app.connect(s));
        clients.extend(futures_util::future::join_all(connects).await);
    }
    let connected = started.elapsed();

    // Every client reads (presence of the others, then the broadcast).
    let listeners: Vec<_> = clients
        .into_iter()
        .map(|ws| {
            tokio::spawn(async move {
                let mut stream = ws.stream;
                loop {
                    match tokio::time::timeout(Duration::from_secs(60), stream.next()).await {
                        Ok(Some(Ok(WsMessage::Text(text)))) => {
                            if !text.contains(r#""type":"message""#) {
                                continue;
                            }
                            let msg: ServerMsg = serde_json::from_str(&text).unwrap();
                            if let ServerMsg::Message { message } = msg {
                                return message.text;
                            }
                        }
                        Ok(Some(Ok(_))) => continue,
                        other => panic!("listener ended: {other:?}"),
                    }
                }
            })
        })
        .collect();

    let announcer = app.login("announcer").await;
    let sent_at = Instant::now();
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &announcer,
            serde_json::json!({"text":"all hands"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let mut received = 0;
    for l in listeners {
        assert_eq!(l.await.unwrap(), "all hands");
        received += 1;
    }
    assert_eq!(received, CLIENTS);
    println!(
        "{CLIENTS} clients: logins {logged_in:?}, connected at {connected:?}, broadcast delivered to all in {:?}",
        sent_at.elapsed()
    );
}
