//! Users on three nodes share one room: messages, typing, presence,
//! notifications, unread counts, room lists and uploads all cross nodes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use confab_shared::{Message, NotificationKind, ServerMsg};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};

use confab_testkit::*;

use crate::support::*;

/// A real 1x1 GIF89a.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

const ROUNDS: usize = 5;

#[tokio::test]
async fn users_on_three_nodes_share_messages_presence_notifications_and_uploads() {
    let c = Cluster::start().await;
    let alice = c.login(0, "alice").await;
    let bob = c.login(1, "bob").await;
    let carol = c.login(2, "carol").await;
    let dave = c.login(0, "dave").await;

    // Presence online crosses nodes.
    let mut a = c.connect(0, &alice).await;
    let mut b = c.connect(1, &bob).await;
    a.presence("bob", "online", WAIT).await;
    let mut cc = c.connect(2, &carol).await;
    a.presence("carol", "online", WAIT).await;
    b.presence("carol", "online", WAIT).await;

    // One room, joined from three nodes: membership crosses nodes too.
    a.join("plaza", None).await;
    b.join("plaza", None).await;
    a.presence("bob", "joined", WAIT).await;
    let joined = cc.join("plaza", None).await;
    let mut listed = members(&joined);
    listed.sort();
    let everyone_online: Vec<(String, bool)> = ["alice", "bob", "carol"]
        .iter()
        .map(|n| (n.to_string(), true))
        .collect();
    assert_eq!(listed, everyone_online, "carol's joined on node 2");
    a.presence("carol", "joined", WAIT).await;
    b.presence("carol", "joined", WAIT).await;

    // Every socket gets every message exactly once, in seq order.
    let mut clients = [a, b, cc];
    for round in 0..ROUNDS {
        for (i, client) in clients.iter_mut().enumerate() {
            let (text, id) = (format!("m{i}-{round}"), format!("c{i}-{round}"));
            client.post("plaza", &text, &id).await;
        }
    }
    let total = ROUNDS * clients.len();
    let mut log: BTreeMap<u64, String> = BTreeMap::new();
    let mut seen_by: Vec<BTreeSet<u64>> = Vec::new();
    for (i, client) in clients.iter_mut().enumerate() {
        let mut seen = BTreeSet::new();
        for round in 0..ROUNDS {
            let message = match client.answer(&format!("c{i}-{round}"), WAIT).await {
                ServerMsg::Ack { message, .. } => message,
                other => panic!("{}: expected an ack, got {other:?}", client.name()),
            };
            assert_eq!(message.text, format!("m{i}-{round}"));
            record(&mut log, &message);
            assert!(seen.insert(message.seq));
        }
        let got = client
            .messages("plaza", total - ROUNDS, Duration::from_secs(10))
            .await;
        assert_increasing(client.name(), &got);
        for message in &got {
            assert!(
                !message.text.starts_with(&format!("m{i}-")),
                "{}: got its own message back: {message:?}",
                client.name()
            );
            record(&mut log, message);
            assert!(seen.insert(message.seq), "{}: twice", client.name());
        }
        seen_by.push(seen);
    }
    let all: BTreeSet<u64> = (1..=total as u64).collect();
    assert_eq!(log.keys().copied().collect::<BTreeSet<_>>(), all);
    for (client, seen) in clients.iter().zip(&seen_by) {
        assert_eq!(seen, &all, "{} missed messages", client.name());
    }
    for client in clients.iter_mut() {
        client
            .no_more_messages("plaza", Duration::from_millis(500))
            .await;
    }
    let [mut a, mut b, mut cc] = clients;

    // Typing crosses nodes.
    a.send(json!({"type": "typing", "room": "plaza"})).await;
    for client in [&mut b, &mut cc] {
        client
            .wait_for("alice typing", WAIT, |m| {
                matches!(m, ServerMsg::Typing { room, user }
                    if room.to_string() == "plaza" && user.as_str() == "alice")
            })
            .await;
    }

    // An @mention on node 1 notifies carol on node 2.
    b.say("plaza", "hey @carol, look", "mention-1").await;
    let note = cc
        .wait_for("mention notification", WAIT, |m| {
            matches!(m, ServerMsg::Notification { .. })
        })
        .await;
    assert_notification(&note, NotificationKind::Mention, "bob", "plaza");

    // A DM from node 0 notifies carol on node 2.
    let sent = dm(&mut a, "carol", "hi carol", "dm-1").await;
    assert_eq!(sent.room.to_string(), "dm:alice:carol");
    let note = cc
        .wait_for("dm notification", WAIT, |m| {
            matches!(m, ServerMsg::Notification { .. })
        })
        .await;
    assert_notification(&note, NotificationKind::Dm, "alice", "dm:alice:carol");
    let got = cc.messages("dm:alice:carol", 1, WAIT).await;
    assert_eq!(texts_of(&got), ["hi carol"]);

    // A DM to dave, who is offline.
    let psst = dm(&mut a, "dave", "psst", "dm-2").await;
    assert_eq!(psst.room.to_string(), "dm:alice:dave");

    // Offline crosses nodes; rooms on every node agree.
    drop(b);
    a.presence("bob", "offline", WAIT).await;
    cc.presence("bob", "offline", WAIT).await;
    rooms_agree(&c, &[("plaza", 3, 2), ("lobby", 4, 2)]).await;

    // Two more while bob is away; his unread count on another node.
    a.say("plaza", "while bob is away 1", "away-1").await;
    cc.say("plaza", "while bob is away 2", "away-2").await;
    let from_others = (total - ROUNDS + 2) as u64;
    let b = c.connect(2, &bob).await;
    let welcome = b.welcome.as_ref().expect("welcome");
    assert_eq!(
        welcome_room(welcome, "plaza"),
        Some(((total + 3) as u64, from_others)),
        "bob's plaza (latest_seq, unread) on node 2: {welcome:?}"
    );
    a.presence("bob", "online", WAIT).await;

    // dave comes online on node 1: the DM is unread, and arrives on resume.
    let mut d = c.connect(1, &dave).await;
    let welcome = d.welcome.clone().expect("welcome");
    assert_eq!(welcome_room(&welcome, "dm:alice:dave"), Some((1, 1)));
    let joined = d.join("dm:alice:dave", Some(0)).await;
    assert_eq!(texts_of(&joined_messages(&joined)), ["psst"]);
    cc.presence("dave", "online", WAIT).await;
    rooms_agree(&c, &[("plaza", 3, 3), ("lobby", 4, 4)]).await;

    // An image uploaded on node 0 is served byte for byte by nodes 1 and 2.
    let part = Part::bytes(GIF.to_vec())
        .file_name("dot.gif")
        .mime_str("image/gif")
        .unwrap();
    let res = http()
        .post(c.nodes[0].url("/api/rooms/plaza/attachments"))
        .bearer_auth(&alice.token)
        .multipart(Form::new().part("file", part).text("text", "a dot"))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 201);
    let message: Message = res.json().await.expect("the stored message");
    let url = message.attachment.expect("an attachment").url;
    for node in [1, 2] {
        let res = http()
            .get(c.nodes[node].url(&url))
            .send()
            .await
            .expect("GET upload");
        assert_eq!(res.status(), 200, "{url} on node {node}");
        assert_eq!(res.headers()["content-type"], "image/gif");
        assert_eq!(res.bytes().await.unwrap().as_ref(), GIF, "node {node}");
    }
    // What carol got live in plaza since the first rounds: once, in order.
    let got = cc.messages("plaza", 3, WAIT).await;
    assert_increasing(cc.name(), &got);
    assert_eq!(
        texts_of(&got),
        ["hey @carol, look", "while bob is away 1", "a dot"]
    );
    assert_eq!(got[2].attachment.as_ref().map(|a| &a.url), Some(&url));
    cc.no_more_messages("plaza", Duration::from_millis(300))
        .await;
    drop((b, d));
}

fn record(log: &mut BTreeMap<u64, String>, message: &Message) {
    let text = log
        .entry(message.seq)
        .or_insert_with(|| message.text.clone());
    assert_eq!(text, &message.text, "two messages with seq {}", message.seq);
}

async fn dm(client: &mut Client, to: &str, text: &str, client_id: &str) -> Message {
    client
        .send(json!({"type": "dm", "to": to, "text": text, "client_id": client_id}))
        .await;
    match client.answer(client_id, WAIT).await {
        ServerMsg::Ack { message, .. } => message,
        other => panic!("{}: dm: {other:?}", client.name()),
    }
}

fn assert_notification(note: &ServerMsg, kind: NotificationKind, from: &str, room: &str) {
    match note {
        ServerMsg::Notification {
            kind: k,
            from: Some(f),
            room: Some(r),
            ..
        } => assert_eq!(
            (*k, f.as_str(), r.to_string().as_str()),
            (kind, from, room),
            "{note:?}"
        ),
        other => panic!("expected a {kind:?} notification, got {other:?}"),
    }
}

/// Polls `GET /api/rooms` on every node until each shows these
/// `(room, members, online)` and all three answers are equal.
async fn rooms_agree(c: &Cluster, expected: &[(&str, u64, u64)]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut answers = Vec::new();
        for node in 0..c.nodes.len() {
            let (status, body) = c.get(node, "/api/rooms", None).await;
            assert_eq!(status, 200);
            answers.push(body);
        }
        let fits = |body: &Value| {
            expected.iter().all(|(room, members, online)| {
                body["rooms"].as_array().into_iter().flatten().any(|r| {
                    r["name"] == *room && r["members"] == *members && r["online"] == *online
                })
            })
        };
        if answers.iter().all(fits) && answers.windows(2).all(|w| w[0] == w[1]) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "GET /api/rooms does not show {expected:?} on every node within 10 s: {answers:?}"
        );
        sleep(Duration::from_millis(100)).await;
    }
}
