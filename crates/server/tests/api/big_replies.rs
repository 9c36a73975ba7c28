//! Joining or paging a room never closes the socket because the reply is
//! big: pages are bounded by bytes, the member list by count.

use confab_shared::{ServerMsg, MAX_JOINED_MEMBERS, MAX_PAGE_BYTES};
use confab_testkit::*;
use serde_json::{json, Value};

/// 4,000 Hangul syllables: about 12 KB of JSON, the largest text allowed.
fn big_text(i: usize) -> String {
    format!("{i:04}{}", "가".repeat(3996))
}

#[tokio::test]
async fn a_room_of_big_messages_is_joined_and_paged_without_closing_the_socket() {
    let app = spawn_app_with(|s| {
        s.rate_limit = 0;
        s.send_rate = 0;
    })
    .await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    a.join("big", None).await;
    // 60 messages of ~12 KB: 720 KB, more than a connection's 512 KiB queue.
    for i in 0..60 {
        a.send_json(
            json!({"type":"send","room":"big","text":big_text(i),"client_id":format!("b{i}")}),
        )
        .await;
    }
    let mut acked = 0;
    while acked < 60 {
        if let ServerMsg::Ack { .. } = a.recv().await {
            acked += 1;
        }
    }
    let bob = app.login("bob").await;
    let mut b = app.connect(&bob).await;
    let joined = b.join("big", None).await;
    let ServerMsg::Joined { messages, more, .. } = &joined else {
        panic!("expected joined, got {joined:?}");
    };
    assert!(*more, "the page was cut, and says so");
    assert!(!messages.is_empty() && messages.len() < 50);
    let bytes: usize = messages
        .iter()
        .map(|m| serde_json::to_vec(m).map_or(0, |v| v.len()))
        .sum();
    assert!(bytes <= MAX_PAGE_BYTES, "{bytes} bytes of messages");
    assert_eq!(
        messages.last().map(|m| m.seq),
        Some(60),
        "the newest come first"
    );
    // Paging backwards reaches the first message, one bounded page at a time.
    let mut oldest = messages[0].seq;
    let mut pages = 0;
    while oldest > 1 {
        b.send_json(json!({"type":"history","room":"big","before":oldest,"limit":200}))
            .await;
        let page = b
            .recv_until(|m| matches!(m, ServerMsg::History { .. }))
            .await;
        let ServerMsg::History { messages, .. } = page else {
            unreachable!()
        };
        assert!(!messages.is_empty());
        assert_eq!(messages.last().map(|m| m.seq), Some(oldest - 1), "no gap");
        oldest = messages[0].seq;
        pages += 1;
        assert!(pages < 20);
    }
    // Resuming from the start also pages forward without a close.
    let resumed = b.join("big", Some(0)).await;
    let ServerMsg::Joined { messages, more, .. } = resumed else {
        panic!()
    };
    assert!(more);
    assert_eq!(messages.first().map(|m| m.seq), Some(1));
    // Joining again from the last one received reaches the end, without a gap.
    let mut last = messages.last().map_or(0, |m| m.seq);
    let mut rounds = 0;
    loop {
        let next = b.join("big", Some(last)).await;
        let ServerMsg::Joined { messages, more, .. } = next else {
            panic!()
        };
        if let Some(first) = messages.first() {
            assert_eq!(first.seq, last + 1, "no gap");
        }
        last = messages.last().map_or(last, |m| m.seq);
        rounds += 1;
        assert!(rounds < 20);
        if !more {
            break;
        }
    }
    assert_eq!(last, 60);
    // The socket is still open and live.
    a.say("big", "small", "s1").await;
    let live = b
        .recv_until(|m| matches!(m, ServerMsg::Message { .. }))
        .await;
    assert_eq!(texts(&live), vec!["small"]);
}

#[tokio::test]
async fn a_crowded_room_lists_some_members_counts_all_and_pages_the_rest() {
    // 230 users claimed from one address in a few seconds.
    let app = spawn_app_with(|s| {
        s.session_rate_limit = 0;
        s.http_rate_limit = 0;
    })
    .await;
    let total = MAX_JOINED_MEMBERS + 30;
    let client = http();
    for i in 0..total {
        let res = client
            .post(app.url("/api/session"))
            .json(&json!({"name": format!("m{i:04}")}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 200);
    }
    let zed = app.login("zed").await;
    let mut z = app.connect(&zed).await;
    let joined = z.join("lobby", None).await;
    let ServerMsg::Joined {
        members,
        members_total,
        ..
    } = joined
    else {
        panic!()
    };
    assert_eq!(members.len(), MAX_JOINED_MEMBERS);
    assert_eq!(members_total as usize, total + 1);
    assert!(
        members.iter().any(|m| m.name.as_str() == "zed" && m.online),
        "online first"
    );
    // REST pages through everyone, each once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/rooms/lobby/members?limit=100&after={a}"),
            None => "/api/rooms/lobby/members?limit=100".to_owned(),
        };
        let page: Value = app.get(&path, &zed).await.json().await.expect("json");
        assert_eq!(page["total"], total + 1);
        for m in page["members"].as_array().expect("members") {
            seen.push(m["name"].as_str().expect("name").to_owned());
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no member twice");
    assert_eq!(seen.len(), total + 1);
    // Someone else's room is not readable.
    let res = app.get("/api/rooms/dm:m0000:m0001/members", &zed).await;
    assert_eq!(res.status(), 403);
}
