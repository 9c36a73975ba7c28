//! SIGTERM under load: every frame the server received is answered (`ack`
//! or `unavailable`) before the socket closes with 1001, and after a
//! restart on the same data every acked message is there exactly once.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use crate::senders::*;

#[tokio::test]
async fn sigterm_answers_every_frame_it_received_and_keeps_every_ack() {
    let mut server = start_server().await;
    let acks = Arc::new(AtomicUsize::new(0));
    let (users, tasks) = start_senders(&server, true, &acks).await;
    wait_for_acks(&acks, 60).await;

    let status = server
        .terminate(Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "exit after SIGTERM: {status}");
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("sender task"));
    }
    for o in &outcomes {
        assert!(o.notice, "sender {}: no shutdown notice", o.who);
        assert_eq!(o.close, Some(1001), "sender {}: close code", o.who);
        assert!(
            o.unanswered().is_empty(),
            "sender {}: sent {}, acked {}, refused {}, unanswered {:?}",
            o.who,
            o.sent.len(),
            o.acked.len(),
            o.refused.len(),
            o.unanswered()
        );
        assert!(
            o.sent.len() < MAX_SENDS,
            "the shutdown came after every post"
        );
    }

    server.restart().await.unwrap_or_else(|e| panic!("{e}"));
    check_after_restart(&server, &users, &outcomes).await;
}
