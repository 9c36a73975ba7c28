//! The store contract of removing rooms nothing keeps. Run for both
//! backends by `contract!` in `store_contract.rs`.

use confab_engine::store::{Outcome, Store};
use confab_shared::RoomId;

use super::contract_support::*;

async fn removed(store: &dyn Store, limit: u32) -> Vec<String> {
    let mut names: Vec<String> = store
        .remove_unused_rooms(limit)
        .await
        .expect("remove_unused_rooms")
        .iter()
        .map(RoomId::to_string)
        .collect();
    names.sort();
    names
}

pub async fn unused_rooms_are_removed_never_lobby_nor_kept_ones(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let (empty, quiet, members, talked) =
        (room("empty"), room("quiet"), room("kept"), room("talk"));
    commit(
        store,
        vec![
            join(&empty, &a),
            leave(&empty, &a),
            join(&quiet, &b),
            leave(&quiet, &b),
            join(&members, &b),
            join(&talked, &a),
            post(&talked, &a, "said something"),
            leave(&talked, &a),
        ],
    )
    .await;
    // `lobby` has no member and no message in a new store, and stays.
    assert_eq!(removed(store, 1).await, vec!["empty"], "the limit holds");
    assert_eq!(removed(store, 100).await, vec!["quiet"]);
    assert!(
        removed(store, 100).await.is_empty(),
        "nothing else is unused"
    );
    for (kept, why) in [
        (RoomId::lobby(), "lobby"),
        (members.clone(), "a member"),
        (talked.clone(), "a message"),
    ] {
        let seq = store.latest_seq(&kept).await.expect("latest_seq");
        assert!(seq.is_some(), "a room with {why} is kept");
    }
    assert_eq!(store.latest_seq(&empty).await.expect("seq"), None);
    let names: Vec<String> = store
        .public_rooms(None, 100)
        .await
        .expect("public_rooms")
        .iter()
        .map(|r| r.room.to_string())
        .collect();
    assert_eq!(names, vec!["kept", "lobby", "talk"]);
    // A removed room comes back with the next join, from scratch.
    let out = commit(store, vec![join(&empty, &b), post(&empty, &b, "back")]).await;
    let (_, joined, members) = member_change(&out[0]);
    assert!(joined && members == 1, "{out:?}");
    assert_eq!(stored(&out[1]).1.seq, 1);
    // History of a room that was never removed is untouched.
    let page = store.messages_after(&talked, 0, 10).await.expect("history");
    assert_eq!(page.messages.len(), 1);
}

/// Joins racing the removal of their (unused) room: every join ends with
/// the user a member of an existing room, whichever commits first.
pub async fn a_join_racing_the_removal_keeps_its_room(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let rooms: Vec<RoomId> = (0..20).map(|i| room(&format!("race-{i}"))).collect();
    for r in &rooms {
        commit(store, vec![join(r, &b), leave(r, &b)]).await;
    }
    for r in &rooms {
        let batch = [join(r, &a)];
        let (joined, _) =
            tokio::join!(store.commit(batch.to_vec()), store.remove_unused_rooms(100));
        let joined = joined.expect("the join commits");
        assert!(
            matches!(joined.as_slice(), [Outcome::Logged(_)]),
            "{r}: {joined:?}"
        );
        assert!(store.is_member(r, &a.id).await.expect("is_member"), "{r}");
        assert!(store.latest_seq(r).await.expect("seq").is_some(), "{r}");
    }
    // What the joins keep is never removed afterwards either.
    assert!(removed(store, 100).await.is_empty());
}
