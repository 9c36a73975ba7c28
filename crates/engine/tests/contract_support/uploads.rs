//! The uploads record in the store contract: the quota check is part of
//! the insert, the room decides who may fetch, and orphans are the records
//! no message refers to. Run for both backends by `contract!`.

use confab_engine::store::{Blob, Store, UploadQuota, UploadRecord, Write};
use confab_shared::{Attachment, RoomId, User};

use super::contract_support::*;

fn record(name: &str, who: &User, room: &RoomId, bytes: u64, at: i64) -> UploadRecord {
    UploadRecord {
        name: name.to_owned(),
        uploader_id: who.id.clone(),
        room: room.clone(),
        bytes,
        width: 10,
        height: 20,
        created_at: at,
    }
}

pub async fn uploads_count_against_a_quota_and_orphans_are_found(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let lobby = room("lobby");
    let dm = RoomId::direct(&a.name, &b.name).expect("a dm");
    let quota = |since| Some(UploadQuota { bytes: 100, since });

    // An upload older than the window does not count.
    assert!(store
        .record_upload(&record("old.png", &a, &lobby, 90, 1_000), quota(0))
        .await
        .expect("record"));
    assert!(store
        .record_upload(&record("a1.png", &a, &lobby, 60, 5_000), quota(2_000))
        .await
        .expect("record"));
    assert!(store
        .record_upload(&record("a2.png", &a, &dm, 40, 6_000), quota(2_000))
        .await
        .expect("record"));
    // 60 + 40 + 1 > 100: refused, and nothing recorded.
    assert!(!store
        .record_upload(&record("a3.png", &a, &lobby, 1, 7_000), quota(2_000))
        .await
        .expect("record"));
    assert_eq!(store.upload_room("a3.png").await.expect("room"), None);
    assert_eq!(store.uploaded_since(&a.id, 2_000).await.expect("sum"), 100);
    assert_eq!(store.uploaded_since(&a.id, 0).await.expect("sum"), 190);
    // Others have their own allowance; no quota means no limit.
    assert!(store
        .record_upload(&record("b1.png", &b, &lobby, 100, 7_000), quota(2_000))
        .await
        .expect("record"));
    assert!(store
        .record_upload(&record("a4.png", &a, &lobby, 1_000, 8_000), None)
        .await
        .expect("record"));

    assert_eq!(store.upload_room("a2.png").await.expect("room"), Some(dm));
    assert_eq!(
        store.upload_room("a1.png").await.expect("room"),
        Some(lobby.clone())
    );
    assert_eq!(store.upload_room("nope.png").await.expect("room"), None);

    // a1 gets its message; the others stay orphans.
    let mut message = new_message(&lobby, &a, "look", None);
    message.attachment = Some(Attachment {
        url: "/uploads/a1.png".into(),
        mime: "image/png".into(),
        bytes: 60,
        width: None,
        height: None,
    });
    commit(store, vec![join(&lobby, &a), Write::Post(message)]).await;
    let orphans = store.orphan_uploads(7_500, 100).await.expect("orphans");
    assert_eq!(orphans, vec!["old.png", "a2.png", "b1.png"]);
    assert_eq!(
        store.orphan_uploads(7_500, 1).await.expect("orphans"),
        vec!["old.png"]
    );

    let blob = Blob {
        mime: "image/png".into(),
        data: vec![1, 2, 3],
    };
    store.put_blob("a2.png", &blob).await.expect("put");
    store.forget_upload("a2.png").await.expect("forget");
    store.forget_upload("never.png").await.expect("forget");
    assert_eq!(store.upload_room("a2.png").await.expect("room"), None);
    assert_eq!(store.get_blob("a2.png").await.expect("blob"), None);
    assert_eq!(
        store.uploaded_since(&a.id, 2_000).await.expect("sum"),
        1_060
    );
}
