//! Clients resume on any node: an SSE stream by its last event id, a
//! WebSocket send by its client_id.

use std::time::Duration;

use confab_shared::ServerMsg;

use confab_testkit::*;

use crate::support::*;

/// The next `message` event: its id (opaque) and text.
async fn next_message(sse: &mut Sse) -> (String, String) {
    loop {
        let event = sse.next_event().await;
        if event.event == "message" {
            let id = event.id.clone().expect("message events have an id");
            match event.frame() {
                ServerMsg::Message { message } => return (id, message.text),
                other => panic!("event: message carried {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn an_event_stream_resumes_on_another_node_and_a_retried_send_is_stored_once() {
    let c = Cluster::start().await;
    let alice = c.login(1, "alice").await;
    let bob = c.login(0, "bob").await;
    let mut a = c.connect(1, &alice).await;

    // bob reads three messages on node 0, then goes away.
    let mut sse = Sse::open_url(&c.url(0), &bob, None).await;
    assert_eq!(sse.next_event().await.event, "welcome");
    for i in 0..3 {
        a.say("lobby", &format!("before {i}"), &format!("b{i}"))
            .await;
    }
    let mut last_id = String::new();
    for i in 0..3 {
        let (id, text) = next_message(&mut sse).await;
        assert_eq!(text, format!("before {i}"));
        last_id = id;
    }
    drop(sse);

    // Four more are posted on node 1 meanwhile.
    for i in 0..4 {
        a.say("lobby", &format!("missed {i}"), &format!("m{i}"))
            .await;
    }

    // bob comes back on node 2 with the last id he saw.
    let mut sse = Sse::open_url(&c.url(2), &bob, Some(&last_id)).await;
    let mut ids = vec![last_id.clone()];
    for i in 0..4 {
        let (id, text) = next_message(&mut sse).await;
        assert_eq!(
            text,
            format!("missed {i}"),
            "resumed on node 2 after {last_id}"
        );
        assert!(!ids.contains(&id), "id {id} twice");
        ids.push(id);
    }
    // Then the live stream, without repeats.
    a.say("lobby", "live", "live").await;
    let (_, text) = next_message(&mut sse).await;
    assert_eq!(
        text, "live",
        "nothing between the missed ones and the live one"
    );
    let extra = tokio::time::timeout(Duration::from_millis(700), next_message(&mut sse)).await;
    assert!(extra.is_err(), "a message too many: {extra:?}");

    // A send whose ack was received, retried on another node: same seq.
    let first = a.say("lobby", "once", "retry-1").await;
    let mut a2 = c.connect(2, &alice).await;
    let again = a2.say("lobby", "once", "retry-1").await;
    assert_eq!((again.seq, &again.id), (first.seq, &first.id));

    // A send whose ack was never read (the socket went away at once),
    // retried on another node straight away.
    let mut a3 = c.connect(0, &alice).await;
    a3.post("lobby", "lost ack", "retry-2").await;
    drop(a3);
    let retried = a2.say("lobby", "lost ack", "retry-2").await;
    let again = a.say("lobby", "lost ack", "retry-2").await;
    assert_eq!(again.seq, retried.seq);

    let history = c.history(1, &alice, "lobby").await;
    for text in ["once", "lost ack"] {
        let n = history.iter().filter(|m| m.text == text).count();
        assert_eq!(n, 1, "{text:?} stored {n} times: {:?}", texts_of(&history));
    }
    assert_increasing("history", &history);
    let expected: Vec<u64> = (1..=history.len() as u64).collect();
    assert_eq!(seqs(&history), expected, "history has gaps");
}
