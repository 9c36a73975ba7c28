//! Redis goes away: every node still commits and serves its own clients,
//! says it is degraded, and catches up when Redis is back.

use std::time::Duration;

use confab_testkit::*;

use crate::support::*;

const PER_SENDER: usize = 3;

#[tokio::test]
async fn without_redis_nodes_ack_and_serve_locally_then_catch_up() {
    let mut c = Cluster::start().await;
    let mut senders = Vec::new();
    let mut receivers = Vec::new();
    for node in 0..3 {
        let s = c.login(node, &format!("sender{node}")).await;
        let r = c.login(node, &format!("receiver{node}")).await;
        senders.push(c.connect(node, &s).await);
        receivers.push(c.connect(node, &r).await);
    }
    // The cluster works: one message reaches every node.
    senders[0].say("lobby", "warm-up", "warm-up").await;
    for r in receivers.iter_mut() {
        let got = r.messages("lobby", 1, WAIT).await;
        assert_eq!(texts_of(&got), ["warm-up"], "{}", r.name());
    }

    c.redis.stop();
    // Every node still acks, and its own receiver gets the message live.
    for round in 0..PER_SENDER {
        for (node, s) in senders.iter_mut().enumerate() {
            let text = format!("down {node}-{round}");
            s.say("lobby", &text, &text).await;
        }
    }
    for (node, r) in receivers.iter_mut().enumerate() {
        let mine = format!("down {node}-");
        let local = r
            .saw(Duration::from_secs(3), |m| {
                matches!(m, confab_shared::ServerMsg::Message { message }
                    if message.text.starts_with(&mine))
            })
            .await;
        assert!(
            local,
            "{}: no message of its own node within 3 s while Redis is down",
            r.name()
        );
    }
    for node in 0..3 {
        let (_, body) = c
            .wait_health(node, Duration::from_secs(10), "200 degraded", |s, b| {
                s == 200 && b["status"] == "degraded"
            })
            .await;
        assert!(body["reason"].is_string(), "no reason: {body}");
    }

    c.redis.start();
    // Within 5 s every receiver has everything committed meanwhile, in
    // order and once.
    let expected: Vec<String> = (0..PER_SENDER)
        .flat_map(|round| (0..3).map(move |node| format!("down {node}-{round}")))
        .collect();
    for r in receivers.iter_mut() {
        let got = r
            .messages("lobby", expected.len(), Duration::from_secs(5))
            .await;
        assert_increasing(r.name(), &got);
        assert_eq!(texts_of(&got), expected, "{}", r.name());
        r.no_more_messages("lobby", Duration::from_millis(500))
            .await;
    }
    // Redis carries traffic again.
    senders[2].say("lobby", "back", "back").await;
    for r in receivers.iter_mut() {
        let got = r.messages("lobby", 1, Duration::from_secs(5)).await;
        assert_eq!(texts_of(&got), ["back"], "{}", r.name());
    }
    for node in 0..3 {
        c.wait_health(node, Duration::from_secs(10), "200 ok", |s, b| {
            s == 200 && b["status"] == "ok"
        })
        .await;
    }
}
