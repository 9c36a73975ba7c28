//! SIGKILL under load (no shutdown at all): after a restart on the same
//! data every acked message is in history exactly once, with the seq its
//! ack gave, and what was not acked can be sent again without duplicates.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use crate::senders::*;

#[tokio::test]
async fn a_server_killed_under_load_keeps_every_ack_exactly_once() {
    let mut server = start_server().await;
    let acks = Arc::new(AtomicUsize::new(0));
    let (users, tasks) = start_senders(&server, false, &acks).await;
    wait_for_acks(&acks, 90).await;

    server.kill_9();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("sender task"));
    }
    let acked: usize = outcomes.iter().map(|o| o.acked.len()).sum();
    let sent: usize = outcomes.iter().map(|o| o.sent.len()).sum();
    assert!(
        acked >= 90 && sent < MAX_SENDS * SENDERS,
        "not killed mid-way"
    );

    server.restart().await.unwrap_or_else(|e| panic!("{e}"));
    check_after_restart(&server, &users, &outcomes).await;
}
