//! The store contract's limits: rooms created per user, and the public
//! room list's pages. Run for both backends by `contract!` in
//! `store_contract.rs`.

use confab_engine::store::{Outcome, Refusal, Store};
use confab_shared::RoomId;

use super::contract_support::*;

pub async fn rooms_created_per_user_are_capped(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let out = commit(
        store,
        vec![
            join_capped(&room("one"), &a, 2),
            join_capped(&room("two"), &a, 2),
            join_capped(&room("three"), &a, 2),
            // Another user may still create it, in the same batch.
            join_capped(&room("three"), &b, 2),
        ],
    )
    .await;
    assert_eq!(member_change(&out[0]), (1, true, 1));
    assert_eq!(member_change(&out[1]), (2, true, 1));
    assert_eq!(out[2], Outcome::Refused(Refusal::TooManyRooms));
    assert_eq!(member_change(&out[3]), (3, true, 1));
    assert!(!store.is_member(&room("three"), &a.id).await.expect("m"));
    // Nothing was created for the refused join: alone, it leaves no room.
    let before = store.last_pos().await.expect("pos");
    let out = commit(store, vec![join_capped(&room("four"), &a, 2)]).await;
    assert_eq!(out[0], Outcome::Refused(Refusal::TooManyRooms));
    assert_eq!(store.latest_seq(&room("four")).await.expect("seq"), None);
    assert_eq!(store.last_pos().await.expect("pos"), before, "no position");
    // Joining rooms that exist, the lobby and direct conversations are not
    // creating anything of one's own.
    let dm = RoomId::direct(&a.name, &b.name).expect("dm");
    let out = commit(
        store,
        vec![
            join_capped(&room("three"), &a, 2),
            join_capped(&RoomId::lobby(), &a, 2),
            join_capped(&dm, &a, 2),
            join_capped(&dm, &b, 2),
        ],
    )
    .await;
    assert!(
        out.iter().all(|o| matches!(o, Outcome::Logged(_))),
        "{out:?}"
    );
    // A higher cap, or none (0), lets them create more.
    let out = commit(
        store,
        vec![
            join_capped(&room("four"), &a, 3),
            join_capped(&room("five"), &a, 3),
            join_capped(&room("five"), &a, 0),
        ],
    )
    .await;
    assert!(matches!(out[0], Outcome::Logged(_)), "{out:?}");
    assert_eq!(out[1], Outcome::Refused(Refusal::TooManyRooms));
    assert!(matches!(out[2], Outcome::Logged(_)), "{out:?}");
}

pub async fn public_rooms_page_by_name(store: &dyn Store) {
    let a = user(store, "alice").await;
    // Bytewise order: '-' < digits < '_' < letters.
    let names = ["b_x", "a", "b-x", "b9", "zz", "b"];
    let batch = names.iter().map(|n| join(&room(n), &a)).collect();
    commit(store, batch).await;
    let dm_peer = user(store, "bob").await;
    let dm = RoomId::direct(&a.name, &dm_peer.name).expect("dm");
    commit(store, vec![join(&dm, &a)]).await;
    let mut seen = Vec::new();
    let mut after: Option<RoomId> = None;
    for _ in 0..10 {
        let page = store.public_rooms(after.as_ref(), 3).await.expect("page");
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.room.clone());
        seen.extend(page.iter().map(|r| r.room.to_string()));
    }
    assert_eq!(seen, ["a", "b", "b-x", "b9", "b_x", "lobby", "zz"]);
    let one = store
        .public_rooms(Some(&room("b9")), 1)
        .await
        .expect("page");
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].room.to_string(), one[0].members), ("b_x".into(), 1));
}
