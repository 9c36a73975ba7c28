//! PostgreSQL goes away: sends are refused `unavailable` (never acked), the
//! node stays up and says 503, and acks again once PostgreSQL is back.

use std::time::Duration;

use confab_shared::{ErrorCode, ServerMsg};
use tokio::time::{sleep, Instant};

use confab_testkit::*;

use crate::support::*;

/// Whether the process `pid` runs (exists and is not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn without_postgres_sends_are_refused_unavailable_then_acked_again() {
    let mut c = Cluster::start_private_postgres().await;
    let alice = c.login(0, "alice").await;
    let bob = c.login(1, "bob").await;
    let mut a = c.connect(0, &alice).await;
    let mut b = c.connect(1, &bob).await;
    a.say("lobby", "before", "before").await;
    assert_eq!(texts_of(&b.messages("lobby", 1, WAIT).await), ["before"]);

    c.pg.as_mut().expect("a private PostgreSQL").stop();
    a.post("lobby", "during", "during").await;
    match a.answer("during", Duration::from_secs(15)).await {
        ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::Unavailable),
        other => panic!("a send while PostgreSQL is down was answered {other:?}"),
    }
    let ack = a
        .try_wait_for(Duration::from_secs(1), |m| {
            matches!(m, ServerMsg::Ack { .. })
        })
        .await;
    assert!(ack.is_none(), "acked while PostgreSQL is down: {ack:?}");

    for node in 0..3 {
        assert!(
            alive(c.nodes[node].pid()),
            "node {node} died with PostgreSQL"
        );
        let (_, body) = c
            .wait_health(node, Duration::from_secs(10), "503", |s, _| s == 503)
            .await;
        assert!(body["reason"].is_string(), "no reason: {body}");
    }

    c.pg.as_mut().expect("a private PostgreSQL").start();
    let restarted = Instant::now();
    let mut attempt = 0;
    let acked = loop {
        attempt += 1;
        let id = format!("after-{attempt}");
        a.post("lobby", "after", &id).await;
        match a.answer(&id, Duration::from_secs(10)).await {
            ServerMsg::Ack { message, .. } => break message,
            ServerMsg::Error { code, .. } => {
                assert_eq!(code, ErrorCode::Unavailable, "attempt {attempt}");
            }
            _ => unreachable!(),
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "no ack within 10 s of PostgreSQL's restart ({attempt} attempts)"
        );
        sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(acked.text, "after");

    // The refused send, sent again, is stored once; everyone sees the rest.
    let during = a.say("lobby", "during", "during").await;
    assert!(during.seq > acked.seq);
    let got = b.messages("lobby", 2, WAIT).await;
    assert_eq!(texts_of(&got), ["after", "during"]);
    for node in 0..3 {
        c.wait_health(node, Duration::from_secs(10), "200", |s, _| s == 200)
            .await;
    }
    let history = c.history(2, &bob, "lobby").await;
    assert_eq!(texts_of(&history), ["before", "after", "during"]);
}
