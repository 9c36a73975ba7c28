//! Flood control across nodes: a user's sends count against one allowance
//! (kept in Redis) whichever node they arrive on, so a user connected to
//! three nodes cannot send three times as fast; without Redis, sends are
//! let through.

use std::time::Duration;

use confab_shared::{ErrorCode, ServerMsg};

use confab_testkit::*;

use crate::client::Client;
use crate::support::*;

/// The burst the nodes run with (`--send-burst`'s default).
const BURST: usize = 20;

#[tokio::test]
async fn one_users_sends_on_three_nodes_share_one_allowance() {
    let mut c = Cluster::start_with_send_rate(1).await;
    let alice = c.login(0, "alice").await;
    let bob = c.login(1, "bob").await;
    let mut on: Vec<Client> = Vec::new();
    for node in 0..3 {
        on.push(c.connect(node, &alice).await);
    }

    // Round-robin over the three nodes until one refuses. Each node alone
    // would allow a burst of 20 (60 in all); one shared allowance allows 20
    // plus what refills (one a second) while they are sent.
    let mut accepted = 0;
    let refusal = loop {
        assert!(
            accepted < 3 * BURST,
            "no node ever refused: the allowance is per node"
        );
        let client = &mut on[accepted % 3];
        let id = format!("m{accepted}");
        client
            .post("lobby", &format!("message {accepted}"), &id)
            .await;
        match client.answer(&id, WAIT).await {
            ServerMsg::Ack { .. } => accepted += 1,
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                retry_after,
                ..
            } => break retry_after,
            other => panic!("expected an ack or rate_limited, got {other:?}"),
        }
    };
    assert!(
        (BURST..BURST + 10).contains(&accepted),
        "{accepted} sends passed before the first refusal"
    );
    let wait = refusal.expect("retry_after");
    assert!((1..=2).contains(&wait), "retry_after {wait}");
    assert!(
        c.redis_command("KEYS confab:flood:*")
            .contains("confab:flood:"),
        "the allowance lives in Redis"
    );

    // Someone else is not held back, on any node.
    let mut b = c.connect(2, &bob).await;
    b.say("lobby", "bob is fine", "b1").await;

    // Once the wait is over, alice sends again.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    on[1].say("lobby", "after the wait", "late").await;
    let history = c.history(2, &bob, "lobby").await;
    assert_eq!(history.len(), accepted + 2, "nothing refused was stored");

    // Without Redis flood control cannot count: it lets sends through
    // rather than stop a chat whose database is fine.
    c.redis.stop();
    for i in 0..BURST + 5 {
        let id = format!("down{i}");
        on[0].say("lobby", &id, &id).await;
    }
}
