//! A client that stops reading is cut off (1013) without costing anyone else
//! a single message.

use std::time::Instant;

use confab_shared::ServerMsg;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use confab_testkit::*;

const MESSAGES: u64 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed_with_1013_and_the_others_get_everything() {
    let _alone = crate::ONE_AT_A_TIME.lock().await;
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let (alice, bob, carol, sloth) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("carol").await,
        app.login("sloth").await,
    );
    let mut a = app.connect(&alice).await;

    // A small receive window, so the kernel cannot hide the backlog.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(app.addr).await.unwrap();
    let request = ws_request(&app.ws_url(), Some(&sloth.token), None);
    let (stream, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .unwrap();
    let mut slow = Ws {
        stream,
        name: "sloth".into(),
    };

    let readers_ws = vec![app.connect(&bob).await, app.connect(&carol).await];
    let collectors: Vec<_> = readers_ws
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let mut seqs = Vec::new();
                while (seqs.len() as u64) < MESSAGES {
                    if let ServerMsg::Message { message } = ws.recv().await {
                        seqs.push(message.seq);
                    }
                }
                seqs
            })
        })
        .collect();

    // 4000 four-byte characters: 16 KB a message, 3.2 MB in all.
    let text = "😀".repeat(4000);
    let started = Instant::now();
    for i in 0..MESSAGES {
        a.say("lobby", &text, &format!("s{i}")).await;
    }
    for c in collectors {
        assert_eq!(c.await.unwrap(), (1..=MESSAGES).collect::<Vec<_>>());
    }
    println!(
        "200 x 16 KB to 2 readers and 1 stalled client: {:?}",
        started.elapsed()
    );

    // Now the sloth reads: some messages, then the 1013 close.
    let mut seen = 0;
    let code = loop {
        match tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut slow.stream)).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame)))) => {
                break frame.map(|f| f.code)
            }
            Ok(Some(Ok(_))) => seen += 1,
            other => panic!("sloth: expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(code, Some(CloseCode::Again));
    assert!(
        seen < MESSAGES as usize,
        "the sloth got everything ({seen}); nothing was bounded"
    );
    let metrics = http()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("confab_slow_consumers_closed_total 1"),
        "{metrics}"
    );
}
