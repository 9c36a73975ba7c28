//! Accounts in the store: a password hash with the user (set at creation
//! or later), the devices of each session, and ending all sessions of one
//! account but one, without touching anyone else's.

use confab_engine::store::{Device, Store, StoreError};
use confab_shared::{Color, UserName};

pub async fn accounts_keep_a_password_and_their_sessions_devices(store: &dyn Store) {
    let color = Color::parse("#aa0011").expect("colour");
    let name = |n: &str| UserName::parse(n).expect("name");
    let alice = store
        .create_user(&name("alice"), &color, "a1")
        .await
        .expect("guest");
    let carol = store
        .create_account(&name("carol"), &color, "c1", "$argon2id$carol")
        .await
        .expect("account");
    // A claimed name is taken like any other, whatever its case.
    let again = store
        .create_account(&name("CAROL"), &color, "c9", "$argon2id$x")
        .await;
    assert!(matches!(again, Err(StoreError::NameTaken)), "{again:?}");

    let guest = store
        .credentials("alice")
        .await
        .expect("read")
        .expect("alice");
    assert_eq!((guest.user, guest.password_hash), (alice.clone(), None));
    let account = store
        .credentials("carol")
        .await
        .expect("read")
        .expect("carol");
    assert_eq!(account.password_hash.as_deref(), Some("$argon2id$carol"));
    assert_eq!(store.credentials("nobody").await.expect("read"), None);
    store
        .set_password(&alice.id, "$argon2id$alice")
        .await
        .expect("claim");
    let claimed = store
        .credentials("alice")
        .await
        .expect("read")
        .expect("alice");
    assert_eq!(claimed.password_hash.as_deref(), Some("$argon2id$alice"));

    for hash in ["a2", "a3"] {
        store.add_session(&alice.id, hash).await.expect("session");
    }
    let phone = Device {
        user_agent: Some("phone/1.0".into()),
        address: Some("192.0.2.7".into()),
    };
    store
        .describe_session("a2", &phone)
        .await
        .expect("describe");
    let sessions = store.sessions_of(&alice.id).await.expect("list");
    let mut hashes: Vec<&str> = sessions.iter().map(|s| s.token_hash.as_str()).collect();
    hashes.sort_unstable();
    assert_eq!(hashes, ["a1", "a2", "a3"]);
    let a2 = sessions.iter().find(|s| s.token_hash == "a2").expect("a2");
    assert_eq!(a2.device, phone);
    assert!(a2.last_seen >= a2.created_at && a2.created_at > 0);
    assert!(sessions
        .iter()
        .filter(|s| s.token_hash != "a2")
        .all(|s| s.device == Device::default()));

    // All of alice's but a3 end; carol's are untouched.
    let mut ended = store
        .delete_sessions_of(&alice.id, Some("a3"))
        .await
        .expect("end others");
    ended.sort_unstable();
    assert_eq!(ended, ["a1", "a2"]);
    assert_eq!(
        store.user_by_token("a3").await.expect("read"),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_token("a1").await.expect("read"), None);
    assert_eq!(
        store.user_by_token("c1").await.expect("read"),
        Some(carol.clone())
    );
    // Without one to keep: every session ends.
    let ended = store
        .delete_sessions_of(&alice.id, None)
        .await
        .expect("end all");
    assert_eq!(ended, ["a3"]);
    assert!(store.sessions_of(&alice.id).await.expect("list").is_empty());
    assert_eq!(store.sessions_of(&carol.id).await.expect("list").len(), 1);
}

/// A deleted account: no password, no sessions, messages from
/// `deleted-user`, the name taken until it is released, then free again
/// (and the released row keeps its place apart from the new owner's).
pub async fn a_deleted_accounts_name_is_freed_only_after_release(store: &dyn Store) {
    use confab_shared::{RoomId, DELETED_USER};

    let color = Color::parse("#aa0011").expect("colour");
    let alice_name = UserName::parse("alice").expect("name");
    let alice = store
        .create_account(&alice_name, &color, "a1", "$argon2id$a")
        .await
        .expect("account");
    let lobby = RoomId::lobby();
    let writes = vec![
        super::contract_support::join(&lobby, &alice),
        super::contract_support::post(&lobby, &alice, "bye"),
    ];
    store.commit(writes).await.expect("commit");

    let now = confab_shared::Timestamp::now().millis();
    let ended = store.delete_account(&alice.id, now).await.expect("delete");
    assert_eq!(ended, ["a1"]);
    let gone = store
        .credentials("alice")
        .await
        .expect("read")
        .expect("row kept");
    assert_eq!(gone.password_hash, None);
    assert_eq!(
        store.user_by_name("alice").await.expect("read"),
        None,
        "nobody to DM"
    );
    let page = store.messages_after(&lobby, 0, 10).await.expect("history");
    let last = page.messages.last().expect("her message");
    assert_eq!(
        (last.from.as_str(), last.text.as_str()),
        (DELETED_USER, "bye")
    );

    // Reserved: released only for deletions before the cutoff.
    let taken = store.create_user(&alice_name, &color, "x1").await;
    assert!(matches!(taken, Err(StoreError::NameTaken)), "{taken:?}");
    assert_eq!(store.release_deleted_names(now).await.expect("release"), 0);
    assert_eq!(
        store.release_deleted_names(now + 1).await.expect("release"),
        1
    );
    assert_eq!(
        store.release_deleted_names(now + 1).await.expect("again"),
        0
    );
    let new_alice = store
        .create_user(&alice_name, &color, "x2")
        .await
        .expect("the name is free");
    assert_ne!(new_alice.id, alice.id);
    assert_eq!(
        store.user_by_name("alice").await.expect("read"),
        Some(new_alice)
    );
    // The old messages stay the deleted user's, not the new alice's.
    let page = store.messages_after(&lobby, 0, 10).await.expect("history");
    assert_eq!(
        page.messages.last().expect("message").from.as_str(),
        DELETED_USER
    );
    // Nobody can take the deleted user's name.
    let name = UserName::parse(DELETED_USER).expect("name");
    let taken = store.create_user(&name, &color, "x3").await;
    assert!(matches!(taken, Err(StoreError::NameTaken)), "{taken:?}");
}
