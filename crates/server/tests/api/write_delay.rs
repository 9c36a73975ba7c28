//! A room's broadcasts may wait `write_delay_ms` in a socket's outbox for
//! the next ones (one write per socket per tick in a busy room); answers to
//! the socket itself never wait, and take what waits along, in order.

use std::time::Duration;

use confab_shared::{ClientMsg, ServerMsg};

use confab_testkit::*;

#[tokio::test]
async fn answers_never_wait_and_take_the_waiting_broadcasts_along() {
    // Far longer than any wait of this test: whatever arrives was not
    // held for the delay.
    let app = spawn_app_with(|s| s.write_delay_ms = 600_000).await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut b = app.connect(&bob).await;
    let mut a = app.connect(&alice).await;

    // Alice's ack is an answer: it does not wait.
    let seq = a.say("lobby", "hello", "c1").await;
    // Bob's copy of it (and of alice coming online) waits...
    b.expect_silence(Duration::from_millis(300)).await;

    // ... until an answer to bob goes out: it comes first, then the answer.
    b.send(&ClientMsg::Join {
        room: "lobby".parse().expect("room"),
        since: None,
        password: None,
    })
    .await;
    let mut before_joined = Vec::new();
    loop {
        match b.recv().await {
            ServerMsg::Joined { .. } => break,
            other => before_joined.push(other),
        }
    }
    let delivered: Vec<(u64, String)> = before_joined
        .iter()
        .filter_map(|m| match m {
            ServerMsg::Message { message } => Some((message.seq, message.text.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, vec![(seq, "hello".to_owned())]);
}
