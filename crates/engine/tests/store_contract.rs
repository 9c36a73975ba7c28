//! The [`Store`] contract, run unchanged against SQLite and PostgreSQL
//! (`sqlite::*` and `postgres::*`), plus PostgreSQL-only tests of several
//! nodes sharing one database (`cluster::*`).
//!
//! PostgreSQL: `postgres://postgres@127.0.0.1:5432/test` or
//! `CONFAB_TEST_PG_URL`; each test works in a fresh database of its own.

mod contract_support;

use std::collections::BTreeMap;

use confab_engine::store::{LogBody, Outcome, Refusal, Store};
use contract_support::*;

/// Generates `sqlite::<test>` and `postgres::<test>` for each contract test.
macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let backend = super::Backend::sqlite().await;
                    super::$test(&*backend.store).await;
                    backend.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let backend = super::Backend::postgres().await;
                    super::$test(&*backend.store).await;
                    backend.finish().await;
                }
            )*
        }
    };
}

contract!(
    seq_and_pos_across_rooms_in_one_batch,
    refusals_leave_no_trace_and_take_no_position,
    idempotency_within_and_across_batches,
    a_long_batch_keeps_seqs_positions_and_duplicates,
    join_and_leave_outcomes_and_member_counts,
    unread_counts_and_read_cursor,
    log_after_pages_through_the_whole_log,
    messages_for_user_after_follows_current_rooms,
    history_pages,
    blobs_round_trip,
    uploads_count_against_a_quota_and_orphans_are_found,
    names_are_unique_by_key_and_sessions_work,
    unused_rooms_are_removed_never_lobby_nor_kept_ones,
    a_join_racing_the_removal_keeps_its_room,
    rooms_created_per_user_are_capped,
    public_rooms_page_by_name,
    idle_sessions_expire_and_used_ones_do_not,
    accounts_keep_a_password_and_their_sessions_devices,
    a_deleted_accounts_name_is_freed_only_after_release,
    edits_and_deletions_are_entries_that_change_their_target,
    only_messages_count_as_unread,
    a_deleted_messages_upload_is_hidden_and_orphaned_at_once,
    blocks_go_one_way_and_list_by_name,
    moderation_is_decided_at_commit_and_logged,
);

#[path = "contract_support/accounts.rs"]
mod accounts;
#[path = "contract_support/backfill.rs"]
mod backfill;
#[path = "contract_support/blocks.rs"]
mod blocks;
#[path = "contract_support/cluster.rs"]
mod cluster;
#[path = "contract_support/edits.rs"]
mod edits;
#[path = "contract_support/limits.rs"]
mod limits;
#[path = "contract_support/moderation.rs"]
mod moderation;
#[path = "contract_support/reads.rs"]
mod reads;
#[path = "contract_support/uploads.rs"]
mod uploads;

use accounts::*;
use blocks::*;
use edits::*;
use limits::*;
use moderation::*;
use reads::*;
use uploads::*;

#[path = "contract_support/cleanup.rs"]
mod cleanup;

use cleanup::*;

async fn seq_and_pos_across_rooms_in_one_batch(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let (r1, r2) = (room("one"), room("two"));
    let start = store.last_pos().await.expect("last_pos");
    assert_eq!(start, 0, "a new store has an empty log");
    let out = commit(
        store,
        vec![
            join(&r1, &a),
            join(&r2, &a),
            join(&r1, &b),
            post(&r1, &a, "a1"),
            post(&r2, &a, "a2"),
            post(&r1, &b, "b1"),
            post(&r1, &a, "a3"),
        ],
    )
    .await;
    let positions: Vec<i64> = out.iter().map(|o| logged(o).pos).collect();
    assert_eq!(positions, vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(member_change(&out[0]), (1, true, 1));
    assert_eq!(member_change(&out[2]), (3, true, 2));
    let seqs: Vec<(String, u64, String)> = out[3..]
        .iter()
        .map(|o| {
            let (_, m) = stored(o);
            (m.room.to_string(), m.seq, m.text.clone())
        })
        .collect();
    assert_eq!(
        seqs,
        vec![
            ("one".into(), 1, "a1".into()),
            ("two".into(), 1, "a2".into()),
            ("one".into(), 2, "b1".into()),
            ("one".into(), 3, "a3".into()),
        ]
    );
    if let LogBody::Message { sender_id, message } = &logged(&out[5]).body {
        assert_eq!(sender_id, &b.id);
        assert_eq!(message.from, b.name);
    }
    assert_eq!(store.latest_seq(&r1).await.expect("seq"), Some(3));
    assert_eq!(store.latest_seq(&r2).await.expect("seq"), Some(1));
    assert_eq!(store.last_pos().await.expect("last_pos"), 7);
    // A second batch continues both counters.
    let out = commit(store, vec![post(&r2, &a, "a4"), post(&r1, &b, "b2")]).await;
    assert_eq!((stored(&out[0]).0, stored(&out[0]).1.seq), (8, 2));
    assert_eq!((stored(&out[1]).0, stored(&out[1]).1.seq), (9, 4));
    let page = store.messages_after(&r1, 0, 100).await.expect("history");
    let texts: Vec<&str> = page.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["a1", "b1", "a3", "b2"]);
}

async fn refusals_leave_no_trace_and_take_no_position(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let (r, missing) = (room("general"), room("nowhere"));
    let out = commit(
        store,
        vec![
            post(&missing, &a, "into the void"),
            join(&r, &a),
            post(&r, &b, "not a member"),
            leave(&r, &b),
            join(&r, &a),
            post(&r, &a, "hello"),
            leave(&missing, &a),
        ],
    )
    .await;
    assert_eq!(out[0], Outcome::Refused(Refusal::NoSuchRoom));
    assert_eq!(logged(&out[1]).pos, 1);
    assert_eq!(out[2], Outcome::Refused(Refusal::NotMember));
    assert_eq!(out[3], Outcome::Unchanged);
    assert_eq!(out[4], Outcome::Unchanged);
    let (pos, message) = stored(&out[5]);
    assert_eq!((pos, message.seq), (2, 1));
    assert_eq!(out[6], Outcome::Unchanged);
    // Nothing of the refused posts was stored, no room was created.
    assert_eq!(store.latest_seq(&missing).await.expect("seq"), None);
    assert_eq!(store.latest_seq(&r).await.expect("seq"), Some(1));
    assert_eq!(store.last_pos().await.expect("pos"), 2);
    let log = store.log_after(0, 100).await.expect("log");
    assert_eq!(log.iter().map(|e| e.pos).collect::<Vec<_>>(), vec![1, 2]);
    // A batch of refusals only takes no position either.
    let out = commit(
        store,
        vec![post(&r, &b, "still not"), post(&missing, &b, "x")],
    )
    .await;
    assert_eq!(
        out,
        vec![
            Outcome::Refused(Refusal::NotMember),
            Outcome::Refused(Refusal::NoSuchRoom)
        ]
    );
    assert_eq!(store.last_pos().await.expect("pos"), 2);
    let out = commit(store, vec![post(&r, &a, "next")]).await;
    assert_eq!((stored(&out[0]).0, stored(&out[0]).1.seq), (3, 2));
}

async fn idempotency_within_and_across_batches(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let (r1, r2) = (room("one"), room("two"));
    commit(store, vec![join(&r1, &a), join(&r1, &b), join(&r2, &a)]).await;
    let out = commit(
        store,
        vec![
            post_with(&r1, &a, "first", "c1"),
            post_with(&r1, &a, "again", "c1"),
            post_with(&r1, &b, "other sender", "c1"),
            post_with(&r2, &a, "other room", "c1"),
        ],
    )
    .await;
    let (pos, original) = stored(&out[0]);
    let original = original.clone();
    assert_eq!(
        out[1],
        Outcome::Duplicate {
            message: original.clone(),
            pos
        }
    );
    assert_eq!(stored(&out[2]).1.seq, 2);
    assert_eq!(stored(&out[3]).1.seq, 1);
    let positions: Vec<i64> = [&out[0], &out[2], &out[3]]
        .iter()
        .map(|o| logged(o).pos)
        .collect();
    assert_eq!(positions, vec![4, 5, 6], "a duplicate takes no position");
    // A retry in a later batch returns the original, stores nothing.
    let out = commit(
        store,
        vec![post_with(&r1, &a, "retry", "c1"), post(&r1, &a, "new")],
    )
    .await;
    assert_eq!(
        out[0],
        Outcome::Duplicate {
            message: original,
            pos
        }
    );
    assert_eq!((logged(&out[1]).pos, stored(&out[1]).1.seq), (7, 3));
    assert_eq!(store.latest_seq(&r1).await.expect("seq"), Some(3));
    assert_eq!(store.last_pos().await.expect("pos"), 7);
}

/// A batch far longer than any one statement of the store's: posts to
/// three rooms, every other one with a client id that comes back 150 posts
/// later (same room), a join in the middle and a refusal at the end.
async fn a_long_batch_keeps_seqs_positions_and_duplicates(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let rooms = [room("r0"), room("r1"), room("r2")];
    let joins: Vec<_> = rooms.iter().map(|r| join(r, &a)).collect();
    commit(store, joins).await;
    let mut batch = Vec::new();
    for i in 0..400 {
        let r = &rooms[i % 3];
        batch.push(if i % 2 == 0 {
            post_with(r, &a, &format!("m{i}"), &format!("c{}", i % 150))
        } else {
            post(r, &a, &format!("m{i}"))
        });
        if i == 200 {
            batch.push(join(&rooms[1], &b));
            batch.push(post(&rooms[1], &b, "bob's"));
        }
    }
    batch.push(post(&rooms[2], &b, "not a member"));
    let out = commit(store, batch.clone()).await;
    assert_eq!(out.last(), Some(&Outcome::Refused(Refusal::NotMember)));
    let mut next_pos = 4; // after the three joins
    let mut seqs = [0u64; 3];
    let mut first_of: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (write, outcome)) in batch.iter().zip(&out).enumerate().take(out.len() - 1) {
        let confab_engine::store::Write::Post(new) = write else {
            assert_eq!(logged(outcome).pos, next_pos, "the join takes its position");
            next_pos += 1;
            continue;
        };
        let key = new
            .client_id
            .as_ref()
            .map(|c| format!("{}/{}", new.room, c.as_str()));
        if let Some(&original) = key.as_ref().and_then(|k| first_of.get(k)) {
            let (pos, message) = stored(&out[original]);
            let expected = Outcome::Duplicate {
                message: message.clone(),
                pos,
            };
            assert_eq!(outcome, &expected, "write {i} repeats write {original}");
            continue;
        }
        let (pos, message) = stored(outcome);
        let r = rooms.iter().position(|r| *r == new.room).expect("a room");
        seqs[r] += 1;
        assert_eq!((pos, message.seq), (next_pos, seqs[r]), "write {i}");
        assert_eq!(message.text, new.text);
        next_pos += 1;
        if let Some(key) = key {
            first_of.insert(key, i);
        }
    }
    for (r, seq) in rooms.iter().zip(seqs) {
        assert_eq!(store.latest_seq(r).await.expect("seq"), Some(seq));
        let page = store.messages_after(r, 0, 1000).await.expect("history");
        let got: Vec<u64> = page.messages.iter().map(|m| m.seq).collect();
        assert_eq!(got, (1..=seq).collect::<Vec<_>>(), "no gap in {r}");
    }
    assert_eq!(store.last_pos().await.expect("pos"), next_pos - 1);
    // Every keyed post sent again (new ids, as a client's retry has) is a
    // duplicate of the first of its key, and nothing moves.
    let retries: Vec<_> = batch
        .iter()
        .filter_map(|write| match write {
            confab_engine::store::Write::Post(new) => new.client_id.as_ref().map(|c| {
                let original = &out[first_of[&format!("{}/{}", new.room, c.as_str())]];
                (
                    post_with(&new.room, &a, "retry", c.as_str()),
                    original.clone(),
                )
            }),
            _ => None,
        })
        .collect();
    let (writes, originals): (Vec<_>, Vec<_>) = retries.into_iter().unzip();
    let again = commit(store, writes).await;
    for (outcome, original) in again.iter().zip(originals) {
        let (pos, message) = stored(&original);
        let expected = Outcome::Duplicate {
            message: message.clone(),
            pos,
        };
        assert_eq!(outcome, &expected);
    }
    assert_eq!(store.last_pos().await.expect("pos"), next_pos - 1);
}

async fn join_and_leave_outcomes_and_member_counts(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let r = room("fresh");
    assert_eq!(store.latest_seq(&r).await.expect("seq"), None);
    let out = commit(store, vec![join(&r, &a), join(&r, &a), post(&r, &a, "hi")]).await;
    assert_eq!(member_change(&out[0]), (1, true, 1));
    assert_eq!(out[1], Outcome::Unchanged);
    assert_eq!(stored(&out[2]).1.seq, 1, "join then post in one batch");
    assert_eq!(store.latest_seq(&r).await.expect("seq"), Some(1));
    if let LogBody::Member { user, .. } = &logged(&out[0]).body {
        assert_eq!(user, &a);
    }
    let out = commit(store, vec![join(&r, &b)]).await;
    assert_eq!(member_change(&out[0]), (3, true, 2));
    assert!(store.is_member(&r, &b.id).await.expect("is_member"));
    let names: Vec<String> = store
        .members(&r)
        .await
        .expect("members")
        .into_iter()
        .map(|u| u.name.to_string())
        .collect();
    assert_eq!(names, vec!["alice", "bob"]);
    let memberships = store.memberships(&a.id).await.expect("memberships");
    let fresh = memberships.iter().find(|m| m.room == r).expect("member");
    assert_eq!((fresh.members, fresh.latest_seq), (2, 1));

    let out = commit(
        store,
        vec![
            leave(&r, &b),
            leave(&r, &b),
            post(&r, &b, "gone"),
            join(&r, &b),
            post(&r, &b, "back"),
        ],
    )
    .await;
    assert_eq!(member_change(&out[0]), (4, false, 1));
    assert_eq!(out[1], Outcome::Unchanged);
    assert_eq!(out[2], Outcome::Refused(Refusal::NotMember));
    assert_eq!(member_change(&out[3]), (5, true, 2));
    assert_eq!((logged(&out[4]).pos, stored(&out[4]).1.seq), (6, 2));
    // Leaving and coming back in one batch keeps one membership.
    let out = commit(store, vec![leave(&r, &a), join(&r, &a), leave(&r, &b)]).await;
    assert_eq!(member_change(&out[0]), (7, false, 1));
    assert_eq!(member_change(&out[1]), (8, true, 2));
    assert_eq!(member_change(&out[2]), (9, false, 1));
    assert!(store.is_member(&r, &a.id).await.expect("is_member"));
    assert!(!store.is_member(&r, &b.id).await.expect("is_member"));
    assert!(store.memberships(&b.id).await.expect("m").is_empty());
    assert_eq!(store.members(&r).await.expect("members"), vec![a.clone()]);
    let info = store.public_rooms(None, 100).await.expect("rooms");
    let listed: BTreeMap<String, (u32, u64)> = info
        .iter()
        .map(|i| (i.room.to_string(), (i.members, i.latest_seq)))
        .collect();
    assert_eq!(listed.get("fresh"), Some(&(1, 2)));
    assert_eq!(listed.get("lobby"), Some(&(0, 0)));
    // Direct conversations are not public.
    let dm = confab_shared::RoomId::direct(&a.name, &b.name).expect("dm");
    commit(store, vec![join(&dm, &a), join(&dm, &b)]).await;
    let info = store.public_rooms(None, 100).await.expect("rooms");
    assert!(info.iter().all(|i| !i.room.is_direct()));
}
