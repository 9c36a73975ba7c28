//! A node killed with SIGKILL under load: what it acked is stored once, its
//! clients resume elsewhere without gap or duplicate, and its users go
//! offline on the other nodes unless still connected there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use confab_shared::ServerMsg;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::time::{sleep, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use confab_testkit::*;

use crate::support::*;

const SENDERS: usize = 3;
const PER_SENDER: usize = 120;

/// What a pipelining sender learned before its node died.
#[derive(Default)]
struct Seen {
    /// client_id → seq, of every ack.
    acked: BTreeMap<String, u64>,
    /// Every seq of the room it saw (acks and messages).
    seqs: BTreeSet<u64>,
}

/// Sends `PER_SENDER` posts, one every 4 ms, while reading acks and
/// messages, until its connection ends.
async fn pipeline(client: Client, who: usize, acks: Arc<AtomicUsize>) -> Seen {
    let (mut tx, mut rx) = client.ws.stream.split();
    let ended = Arc::new(AtomicBool::new(false));
    let stop = ended.clone();
    let writer = tokio::spawn(async move {
        for i in 0..PER_SENDER {
            if stop.load(Relaxed) {
                break;
            }
            let id = format!("s{who}-{i}");
            let frame = json!({"type": "send", "room": "lobby", "text": id, "client_id": id});
            if tx.send(WsMessage::Text(frame.to_string())).await.is_err() {
                break;
            }
            sleep(Duration::from_millis(4)).await;
        }
        tx
    });
    let mut seen = Seen::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match next_frame(&mut rx, deadline).await {
            Incoming::Frame(ServerMsg::Ack { client_id, message }) => {
                let id = client_id
                    .expect("acks carry the client_id")
                    .as_str()
                    .to_owned();
                assert!(seen.acked.insert(id, message.seq).is_none(), "acked twice");
                seen.seqs.insert(message.seq);
                acks.fetch_add(1, Relaxed);
            }
            Incoming::Frame(ServerMsg::Message { message })
                if message.room.to_string() == "lobby" =>
            {
                assert!(seen.seqs.insert(message.seq), "seq {} twice", message.seq);
            }
            Incoming::Frame(_) => {}
            Incoming::Ended(_) => break,
            Incoming::TimedOut => panic!("sender {who}: its node never went away"),
        }
    }
    ended.store(true, Relaxed);
    let _ = writer.await;
    seen
}

#[tokio::test]
async fn a_node_killed_under_load_loses_no_ack_and_its_clients_resume_elsewhere() {
    let mut c = Cluster::start().await;
    let mut users = Vec::new();
    for i in 0..SENDERS {
        users.push(c.login(0, &format!("sender{i}")).await);
    }
    let watcher = c.login(1, "watcher").await;
    let mut w1 = c.connect(1, &watcher).await;
    let mut w2 = c.connect(2, &watcher).await;
    // sender2 also has a tab on node 2: it stays online.
    let still_here = c.connect(2, &users[2]).await;
    let acks = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let client = c.connect(0, user).await;
        tasks.push(tokio::spawn(pipeline(client, i, acks.clone())));
    }

    // Kill node 0 once about a third has been acked.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acks.load(Relaxed) < SENDERS * PER_SENDER / 3 {
        assert!(Instant::now() < deadline, "too few acks: {acks:?}");
        sleep(Duration::from_millis(2)).await;
    }
    c.nodes[0].kill_9();
    let killed = Instant::now();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.expect("sender task"));
    }
    let acked: usize = seen.iter().map(|s| s.acked.len()).sum();
    assert!(
        acked < SENDERS * PER_SENDER,
        "every send was acked before the kill: not mid-way"
    );

    // Users of the dead node go offline elsewhere, unless still connected.
    for w in [&mut w1, &mut w2] {
        // Both may be named by one frame: presence changes are coalesced.
        let mut missing: BTreeSet<&str> = ["sender0", "sender1"].into();
        while !missing.is_empty() {
            let left = Duration::from_secs(15).saturating_sub(killed.elapsed());
            let frame = w
                .wait_for(&format!("presence offline of {missing:?}"), left, |m| {
                    matches!(m, ServerMsg::Presence { event, .. }
                        if *event == confab_shared::PresenceEvent::Offline
                            && m.presence_users().iter().any(|u| missing.contains(u.as_str())))
                })
                .await;
            for user in frame.presence_users() {
                missing.remove(user.as_str());
            }
        }
        let gone = w
            .saw(Duration::ZERO, |m| {
                matches!(m, ServerMsg::Presence { event, .. }
                    if *event == confab_shared::PresenceEvent::Offline
                        && m.presence_users().iter().any(|u| u.as_str() == "sender2"))
            })
            .await;
        assert!(
            !gone,
            "{}: sender2 went offline with a tab on node 2",
            w.name()
        );
    }
    let joined = w2.join("lobby", None).await;
    let online: BTreeMap<String, bool> = members(&joined).into_iter().collect();
    assert_eq!(
        [online["sender0"], online["sender1"], online["sender2"]],
        [false, false, true],
        "lobby members on node 2: {online:?}"
    );
    drop(still_here);

    // Every ack is stored, once, with its seq; nothing is stored twice.
    // (Read after the presence wait: a commit the dead node had sent may
    // still complete in PostgreSQL just after the kill.)
    let history = c.history(1, &users[0], "lobby").await;
    let stored: BTreeMap<String, u64> = history.iter().map(|m| (m.text.clone(), m.seq)).collect();
    assert_eq!(stored.len(), history.len(), "a message stored twice");
    let expected: Vec<u64> = (1..=history.len() as u64).collect();
    assert_eq!(seqs(&history), expected, "history has gaps");
    for s in &seen {
        for (id, seq) in &s.acked {
            assert_eq!(
                stored.get(id),
                Some(seq),
                "acked {id} is not stored as acked"
            );
        }
    }

    // The senders resume on node 1: join + since, then the unacked again.
    let latest = history.len() as u64;
    for (i, (user, s)) in users.iter().zip(&seen).enumerate() {
        let mut client = c.connect(1, user).await;
        let since = (0..)
            .take_while(|n| *n == 0 || s.seqs.contains(n))
            .last()
            .unwrap_or(0);
        let joined = client.join("lobby", Some(since)).await;
        let ServerMsg::Joined { latest_seq, .. } = &joined else {
            unreachable!()
        };
        // The senders before this one may have posted meanwhile.
        assert!(*latest_seq >= latest);
        let resumed: Vec<u64> = seqs(&joined_messages(&joined));
        let want: Vec<u64> = (since + 1..=*latest_seq).collect();
        assert_eq!(resumed, want, "sender{i} resuming after {since}");
        for n in 0..PER_SENDER {
            let id = format!("s{i}-{n}");
            if s.acked.contains_key(&id) {
                continue;
            }
            let message = client.say("lobby", &id, &id).await;
            if let Some(seq) = stored.get(&id) {
                assert_eq!(message.seq, *seq, "{id} was stored before the kill");
            }
        }
    }
    let history = c.history(2, &users[1], "lobby").await;
    assert_eq!(history.len(), SENDERS * PER_SENDER, "each post once");
    let distinct: BTreeSet<&str> = history.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(distinct.len(), history.len(), "a post stored twice");
    let expected: Vec<u64> = (1..=history.len() as u64).collect();
    assert_eq!(seqs(&history), expected, "history has gaps");
}
