//! Blocks in the store contract: one row per pair and direction, listed by
//! name without deleted accounts. Run for both backends by `contract!`.

use confab_engine::store::Store;

use super::contract_support::*;

pub async fn blocks_go_one_way_and_list_by_name(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "Bob").await;
    let carol = user(store, "carol").await;
    assert!(!store.blocks(&alice.id, &bob.id).await.expect("blocks"));
    assert!(store.block(&alice.id, &carol.id, 1).await.expect("block"));
    assert!(store.block(&alice.id, &bob.id, 2).await.expect("block"));
    assert!(
        !store.block(&alice.id, &bob.id, 3).await.expect("again"),
        "a second block of the same user changes nothing"
    );
    assert!(store.blocks(&alice.id, &bob.id).await.expect("blocks"));
    assert!(
        !store.blocks(&bob.id, &alice.id).await.expect("blocks"),
        "a block goes one way"
    );
    let names = |users: Vec<confab_shared::User>| {
        users
            .into_iter()
            .map(|u| u.name.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.blocked_by(&alice.id).await.expect("list")),
        ["Bob", "carol"]
    );
    assert!(store.blocked_by(&bob.id).await.expect("list").is_empty());

    // A deleted account is nobody: it leaves the list.
    store.delete_account(&carol.id, 10).await.expect("delete");
    assert_eq!(
        names(store.blocked_by(&alice.id).await.expect("list")),
        ["Bob"]
    );

    assert!(store.unblock(&alice.id, &bob.id).await.expect("unblock"));
    assert!(!store
        .unblock(&alice.id, &bob.id)
        .await
        .expect("unblock again"));
    assert!(!store.blocks(&alice.id, &bob.id).await.expect("blocks"));
}
