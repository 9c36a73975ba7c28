//! Publishes lost on the way (the Redis subscription is cut while another
//! node posts) are filled from the store: receivers miss nothing.

use std::time::Duration;

use confab_shared::ServerMsg;

use crate::support::*;

const POSTS: usize = 60;

#[tokio::test]
async fn receivers_get_every_message_when_their_subscription_is_cut() {
    let c = Cluster::start().await;
    let poster = c.login(0, "poster").await;
    let mut p = c.connect(0, &poster).await;
    let mut receivers = Vec::new();
    for i in 0..2 {
        let who = c.login(1, &format!("receiver{i}")).await;
        receivers.push(c.connect(1, &who).await);
    }
    let before = recovered(&c, 1).await;

    for i in 0..POSTS {
        let text = format!("post {i}");
        p.post("lobby", &text, &text).await;
        if i % 20 == 10 {
            // Cut every subscription (node 1's among them) mid-stream.
            let answer = c.redis_command("CLIENT KILL TYPE pubsub");
            assert!(answer.starts_with(':'), "CLIENT KILL answered {answer}");
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    for i in 0..POSTS {
        let id = format!("post {i}");
        let answer = p.answer(&id, confab_testkit::WAIT).await;
        assert!(matches!(answer, ServerMsg::Ack { .. }), "{id}: {answer:?}");
    }

    let expected: Vec<String> = (0..POSTS).map(|i| format!("post {i}")).collect();
    for r in receivers.iter_mut() {
        let got = r.messages("lobby", POSTS, Duration::from_secs(10)).await;
        assert_increasing(r.name(), &got);
        assert_eq!(texts_of(&got), expected, "{}", r.name());
        r.no_more_messages("lobby", Duration::from_millis(500))
            .await;
    }
    let after = recovered(&c, 1).await;
    assert!(
        after > before,
        "node 1 shows no gap filled and no broker loss ({before} -> {after})"
    );
}

/// confab_gaps_filled_total + confab_broker_lost_total of `node`.
async fn recovered(c: &Cluster, node: usize) -> f64 {
    c.metric(node, "confab_gaps_filled_total").await
        + c.metric(node, "confab_broker_lost_total").await
}
