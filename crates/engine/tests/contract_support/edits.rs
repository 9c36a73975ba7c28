//! Edits and deletions in the store contract (protocol version 2): each is
//! a log entry with the room's next seq; only the author changes a message,
//! only while it is a message that is not deleted; the target row shows its
//! current state; a deleted message's upload is hidden at once. Run for
//! both backends by `contract!`.

use confab_engine::store::{Outcome, Refusal, Store, UploadRecord, Write};
use confab_shared::{Attachment, EntryKind};

use super::contract_support::*;

pub async fn edits_and_deletions_are_entries_that_change_their_target(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let lobby = room("lobby");
    let out = commit(
        store,
        vec![
            join(&lobby, &a),
            join(&lobby, &b),
            post(&lobby, &a, "helo"),
            post(&lobby, &b, "bob's"),
        ],
    )
    .await;
    let (_, first) = stored(&out[2]);
    let (first, bobs) = (first.seq, stored(&out[3]).1.seq);

    // In one batch: an edit, a refused edit of someone else's message, a
    // post and an edit of that post, a second edit (the last one wins).
    let out = commit(
        store,
        vec![
            change(&lobby, &a, first, Some("hello")),
            change(&lobby, &a, bobs, Some("mine now")),
            post(&lobby, &a, "new"),
            change(&lobby, &a, bobs + 2, Some("newer")),
            change(&lobby, &a, first, Some("hello!")),
        ],
    )
    .await;
    let (_, edit) = stored(&out[0]);
    assert_eq!(
        (edit.kind, edit.target, edit.seq, edit.text.as_str()),
        (EntryKind::Edit, Some(first), bobs + 1, "hello")
    );
    assert_eq!(out[1], Outcome::Refused(Refusal::NotAuthor));
    assert_eq!(stored(&out[2]).1.seq, bobs + 2);
    assert_eq!(stored(&out[3]).1.target, Some(bobs + 2));
    assert_eq!(stored(&out[4]).1.seq, bobs + 4, "refusals take no seq");

    let page = store.messages_after(&lobby, 0, 100).await.expect("page");
    let at = |seq: u64| page.messages.iter().find(|m| m.seq == seq).expect("seq");
    assert_eq!(
        page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=bobs + 4).collect::<Vec<_>>(),
        "gap-free"
    );
    assert_eq!(
        (at(first).text.as_str(), at(first).kind),
        ("hello!", EntryKind::Message)
    );
    assert!(at(first).edited.is_some());
    assert_eq!(at(bobs).text, "bob's");
    assert_eq!(at(bobs).edited, None);
    assert_eq!(at(bobs + 2).text, "newer");

    // Deleting: the message and every edit of it lose their text; nothing
    // changes it again; a delete and an edit of it in one batch: the edit
    // after the delete is refused.
    let out = commit(
        store,
        vec![
            change(&lobby, &a, first, None),
            change(&lobby, &a, first, Some("back")),
            change(&lobby, &a, first, None),
            change(&lobby, &a, bobs + 1, Some("an edit is no message")),
            change(&lobby, &a, 999, None),
        ],
    )
    .await;
    let (_, delete) = stored(&out[0]);
    assert_eq!(
        (delete.kind, delete.target, delete.text.as_str()),
        (EntryKind::Delete, Some(first), "")
    );
    for refused in &out[1..] {
        assert_eq!(*refused, Outcome::Refused(Refusal::NoSuchMessage));
    }
    let out = commit(store, vec![change(&lobby, &a, first, Some("later"))]).await;
    assert_eq!(out[0], Outcome::Refused(Refusal::NoSuchMessage));
    let page = store.messages_after(&lobby, 0, 100).await.expect("page");
    for m in page
        .messages
        .iter()
        .filter(|m| m.seq == first || m.target == Some(first))
    {
        if m.kind != EntryKind::Delete {
            assert!(
                m.deleted && m.text.is_empty() && m.edited.is_none(),
                "{m:?}"
            );
        }
    }
    let latest = store.latest_seq(&lobby).await.expect("seq");
    assert_eq!(latest, Some(delete.seq));

    // A non-member changes nothing either.
    let c = user(store, "carol").await;
    let out = commit(store, vec![change(&lobby, &c, bobs, None)]).await;
    assert_eq!(out[0], Outcome::Refused(Refusal::NotMember));
}

pub async fn only_messages_count_as_unread(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let lobby = room("lobby");
    commit(store, vec![join(&lobby, &a), join(&lobby, &b)]).await;
    let out = commit(
        store,
        vec![post(&lobby, &a, "one"), post(&lobby, &a, "two")],
    )
    .await;
    let (one, two) = (stored(&out[0]).1.seq, stored(&out[1]).1.seq);
    commit(
        store,
        vec![
            change(&lobby, &a, one, Some("uno")),
            change(&lobby, &a, two, None),
        ],
    )
    .await;
    let memberships = store.memberships(&b.id).await.expect("memberships");
    let lobby_of_b = memberships.iter().find(|m| m.room == lobby).expect("lobby");
    assert_eq!((lobby_of_b.unread, lobby_of_b.latest_seq), (2, two + 2));
}

pub async fn a_deleted_messages_upload_is_hidden_and_orphaned_at_once(store: &dyn Store) {
    let a = user(store, "alice").await;
    let lobby = room("lobby");
    let now = confab_shared::Timestamp::now().millis();
    for name in ["cat.gif", "dog.gif"] {
        let record = UploadRecord {
            name: name.into(),
            uploader_id: a.id.clone(),
            room: lobby.clone(),
            bytes: 10,
            width: 1,
            height: 1,
            created_at: now,
        };
        assert!(store.record_upload(&record, None).await.expect("record"));
    }
    let with = |file: &str| {
        let mut m = new_message(&lobby, &a, "", None);
        m.attachment = Some(Attachment {
            url: format!("/uploads/{file}"),
            mime: "image/gif".into(),
            bytes: 10,
            width: Some(32),
            height: Some(24),
        });
        Write::Post(m)
    };
    // Two messages share dog.gif (a forward, say); one has cat.gif.
    let out = commit(
        store,
        vec![
            join(&lobby, &a),
            with("cat.gif"),
            with("dog.gif"),
            with("dog.gif"),
        ],
    )
    .await;
    let seqs: Vec<u64> = out[1..].iter().map(|o| stored(o).1.seq).collect();
    // Young uploads with their messages are no orphans.
    assert!(store
        .orphan_uploads(now - 1, 10)
        .await
        .expect("orphans")
        .is_empty());
    commit(
        store,
        vec![
            change(&lobby, &a, seqs[0], None),
            change(&lobby, &a, seqs[1], None),
        ],
    )
    .await;
    // cat.gif: its only message is deleted, so it is hidden and an orphan
    // at once, young as it is. dog.gif: still in a message.
    assert_eq!(store.upload_room("cat.gif").await.expect("room"), None);
    assert_eq!(
        store.upload_room("dog.gif").await.expect("room"),
        Some(lobby.clone())
    );
    assert_eq!(
        store.orphan_uploads(now - 1, 10).await.expect("orphans"),
        vec!["cat.gif"]
    );
    let page = store.messages_after(&lobby, 0, 10).await.expect("page");
    assert!(page.messages[0].attachment.is_none() && page.messages[0].deleted);
    // The kept one still has its image, with the size it was posted with.
    let kept = page.messages[2].attachment.as_ref().expect("kept image");
    assert_eq!((kept.width, kept.height), (Some(32), Some(24)));
}
