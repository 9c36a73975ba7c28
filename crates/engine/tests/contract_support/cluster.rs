//! PostgreSQL only: several nodes (several [`PgStore`]s) sharing one
//! database, committing at the same time.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use confab_engine::store::postgres::PgStore;
use confab_engine::store::{LogBody, Outcome, Refusal, Store, Write};
use confab_shared::User;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinSet;

use super::contract_support::*;

const ROOMS: usize = 10;

/// Every `Logged` outcome's position is unique, and together they are
/// exactly `1..=last_pos`; every room's seqs are `1..=n` in `pos` order.
async fn assert_gap_free(store: &PgStore, outcomes: &[Outcome]) {
    let mut positions: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Logged(e) => Some(e.pos),
            _ => None,
        })
        .collect();
    positions.sort_unstable();
    let n = positions.len() as i64;
    assert_eq!(positions, (1..=n).collect::<Vec<_>>(), "pos gap-free");
    assert_eq!(store.last_pos().await.expect("last_pos"), n);
    let log = store.log_after(0, u32::MAX).await.expect("log");
    assert_eq!(log.len() as i64, n);
    let mut per_room: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for (i, entry) in log.iter().enumerate() {
        assert_eq!(entry.pos, i as i64 + 1, "the log is in pos order");
        if let LogBody::Message { message, .. } = &entry.body {
            per_room
                .entry(message.room.to_string())
                .or_default()
                .push((entry.pos, message.seq));
        }
    }
    for (name, entries) in per_room {
        let seqs: Vec<u64> = entries.iter().map(|(_, seq)| *seq).collect();
        let len = seqs.len() as u64;
        assert_eq!(
            seqs,
            (1..=len).collect::<Vec<_>>(),
            "room {name}: seq 1..n in pos order"
        );
        let page = store
            .messages_after(&room(&name), 0, u32::MAX - 1)
            .await
            .expect("history");
        let stored: Vec<u64> = page.messages.iter().map(|m| m.seq).collect();
        assert_eq!(
            stored,
            (1..=len).collect::<Vec<_>>(),
            "room {name}: stored seqs"
        );
        assert_eq!(
            store.latest_seq(&room(&name)).await.expect("seq"),
            Some(len)
        );
    }
}

async fn users_in_rooms(store: &PgStore, users: usize, rooms: usize) -> Vec<User> {
    let mut all = Vec::new();
    for i in 0..users {
        all.push(user(store, &format!("user{i}")).await);
    }
    let batch: Vec<Write> = (0..rooms)
        .flat_map(|r| all.iter().map(move |u| join(&room(&format!("r{r}")), u)))
        .collect();
    let out = store.commit(batch).await.expect("joins");
    assert!(out.iter().all(|o| matches!(o, Outcome::Logged(_))));
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_commit_concurrently_into_overlapping_rooms() {
    let db = PgDatabase::create().await;
    let nodes = [db.open().await, db.open().await];
    let users = Arc::new(users_in_rooms(&nodes[0], 8, ROOMS).await);
    let mut tasks = JoinSet::new();
    for task in 0..6u64 {
        let node = Arc::clone(&nodes[task as usize % 2]);
        let users = Arc::clone(&users);
        tasks.spawn(async move {
            let mut rng = StdRng::seed_from_u64(task);
            let mut outcomes = Vec::new();
            for b in 0..25 {
                let mut batch = Vec::new();
                for i in 0..40 {
                    let sender = &users[rng.gen_range(0..users.len())];
                    let r = room(&format!("r{}", rng.gen_range(0..ROOMS)));
                    let cid = format!("t{task}-b{b}-m{i}");
                    batch.push(post_with(&r, sender, "hello", &cid));
                }
                // Rooms both nodes create and join at once.
                let joiner = &users[rng.gen_range(0..users.len())];
                batch.push(join(&room(&format!("new{}", rng.gen_range(0..4))), joiner));
                let out = node.commit(batch.clone()).await.expect("commit");
                for (write, outcome) in batch.iter().zip(&out) {
                    match (write, outcome) {
                        (Write::Post(_), Outcome::Logged(_)) => {}
                        (Write::Join { .. }, Outcome::Logged(_) | Outcome::Unchanged) => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
                outcomes.extend(out);
            }
            outcomes
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        outcomes.extend(done.expect("task"));
    }
    // The setup joins are logged too.
    let setup = store_log_prefix(&nodes[1], (8 * ROOMS) as i64).await;
    outcomes.extend(setup);
    assert_gap_free(&nodes[1], &outcomes).await;
    let posts = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Logged(e) if matches!(e.body, LogBody::Message { .. })))
        .count();
    assert_eq!(posts, 6 * 25 * 40);
    for node in nodes {
        node.close().await;
    }
}

/// The first `n` log entries as outcomes.
async fn store_log_prefix(store: &PgStore, n: i64) -> Vec<Outcome> {
    let log = store.log_after(0, n as u32).await.expect("log");
    log.into_iter().map(Outcome::Logged).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_from_both_nodes_at_once_stores_one_message() {
    let db = PgDatabase::create().await;
    let nodes = [db.open().await, db.open().await];
    let users = users_in_rooms(&nodes[0], 2, ROOMS).await;
    let alice = users[0].clone();
    let r = room("r0");
    for i in 0..30 {
        let cid = format!("retry-{i}");
        let mut tasks = JoinSet::new();
        for copy in 0..4usize {
            let node = Arc::clone(&nodes[copy % 2]);
            // Other rooms around it, in a different order per copy.
            let mut batch = vec![post(&room(&format!("r{}", 9 - copy)), &users[1], "x")];
            batch.push(post_with(&r, &alice, "once", &cid));
            batch.push(post(&room(&format!("r{}", 1 + copy)), &users[1], "y"));
            tasks.spawn(async move { node.commit(batch).await.expect("commit")[1].clone() });
        }
        let mut outcomes = Vec::new();
        while let Some(done) = tasks.join_next().await {
            outcomes.push(done.expect("task"));
        }
        let originals: Vec<_> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Logged(e) => match &e.body {
                    LogBody::Message { message, .. } => Some((e.pos, message.clone())),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(originals.len(), 1, "exactly one copy stored: {outcomes:?}");
        let (pos, message) = originals[0].clone();
        let duplicates = outcomes
            .iter()
            .filter(|o| {
                **o == Outcome::Duplicate {
                    message: message.clone(),
                    pos,
                }
            })
            .count();
        assert_eq!(duplicates, 3);
    }
    let page = nodes[0].messages_after(&r, 0, 1000).await.expect("history");
    let once: Vec<&str> = page.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(once.len(), 30);
    assert!(once.iter().all(|t| *t == "once"));
    let positions: HashSet<i64> = nodes[0]
        .log_after(0, u32::MAX)
        .await
        .expect("log")
        .iter()
        .map(|e| e.pos)
        .collect();
    assert_eq!(
        positions.len() as i64,
        nodes[0].last_pos().await.expect("pos")
    );
    for node in nodes {
        node.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_nodes_open_a_fresh_database_at_once() {
    let db = PgDatabase::create().await;
    let mut tasks = JoinSet::new();
    for _ in 0..6 {
        let url = db.url.clone();
        tasks.spawn(async move { PgStore::open(&url).await });
    }
    let mut stores = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done.expect("task") {
            Ok(store) => stores.push(store),
            Err(e) => panic!("PgStore::open failed beside the others: {e}"),
        }
    }
    for store in &stores {
        assert_eq!(
            store.latest_seq(&room("lobby")).await.expect("seq"),
            Some(0)
        );
        assert_eq!(store.last_pos().await.expect("pos"), 0);
    }
    // And once more on the migrated database.
    let again = db.open().await;
    again.ping().await.expect("ping");
    for store in stores {
        store.close().await;
    }
    again.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_cap_holds_with_both_nodes_creating_at_once() {
    let db = PgDatabase::create().await;
    let nodes = [db.open().await, db.open().await];
    let alice = user(&*nodes[0], "alice").await;
    let bob = user(&*nodes[0], "bob").await;
    let mut tasks = JoinSet::new();
    for task in 0..12usize {
        let node = Arc::clone(&nodes[task % 2]);
        let (alice, bob) = (alice.clone(), bob.clone());
        tasks.spawn(async move {
            // Each commit creates rooms of alice's and bob's at once, in a
            // different order, so the user locks are contended both ways.
            let mut batch = vec![
                join_capped(&room(&format!("a{task}")), &alice, 5),
                join_capped(&room(&format!("b{task}")), &bob, 5),
            ];
            if task % 3 == 0 {
                batch.reverse();
            }
            node.commit(batch).await.expect("commit")
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        outcomes.extend(done.expect("task"));
    }
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Logged(_)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Outcome::Refused(Refusal::TooManyRooms))
        .count();
    assert_eq!((created, refused), (10, 14), "{outcomes:?}");
    let listed = nodes[1].public_rooms(None, 100).await.expect("rooms");
    let count = |prefix: char| {
        listed
            .iter()
            .filter(|r| r.room.to_string().starts_with(prefix))
            .count()
    };
    assert_eq!((count('a'), count('b')), (5, 5), "{listed:?}");
    for node in nodes {
        node.close().await;
    }
}
