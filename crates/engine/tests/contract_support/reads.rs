//! The read side of the store contract: unread counts, the log, SSE
//! resume, history pages, blobs, users and sessions. Run for both backends
//! by `contract!` in `store_contract.rs`.

use confab_engine::store::{Blob, Store, StoreError};
use confab_shared::{Color, UserName};

use super::contract_support::*;

pub async fn unread_counts_and_read_cursor(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let r = room("news");
    commit(
        store,
        vec![
            join(&r, &a),
            post(&r, &a, "1"),
            post(&r, &a, "2"),
            post(&r, &a, "3"),
        ],
    )
    .await;
    commit(store, vec![join(&r, &b)]).await;
    let unread = |ms: Vec<confab_engine::store::Membership>| {
        ms.into_iter()
            .find(|m| m.room == r)
            .map(|m| (m.unread, m.latest_seq, m.members))
    };
    assert_eq!(
        unread(store.memberships(&b.id).await.expect("m")),
        Some((0, 3, 2)),
        "a new member's cursor starts at the latest message"
    );
    commit(
        store,
        vec![post(&r, &a, "4"), post(&r, &a, "5"), post(&r, &b, "6")],
    )
    .await;
    assert_eq!(
        unread(store.memberships(&b.id).await.expect("m")),
        Some((2, 6, 2))
    );
    assert_eq!(
        unread(store.memberships(&a.id).await.expect("m")),
        Some((1, 6, 2)),
        "own messages are never unread"
    );
    assert!(store.set_read(&r, &b.id, 4).await.expect("set_read"));
    assert_eq!(
        unread(store.memberships(&b.id).await.expect("m")),
        Some((1, 6, 2))
    );
    assert!(store.set_read(&r, &b.id, 2).await.expect("set_read"));
    assert_eq!(
        unread(store.memberships(&b.id).await.expect("m")),
        Some((1, 6, 2)),
        "the cursor never moves back"
    );
    assert!(store.set_read(&r, &a.id, 99).await.expect("set_read"));
    assert_eq!(
        unread(store.memberships(&a.id).await.expect("m")),
        Some((0, 6, 2))
    );
    commit(store, vec![post(&r, &b, "7")]).await;
    assert_eq!(
        unread(store.memberships(&a.id).await.expect("m")),
        Some((1, 7, 2)),
        "the cursor never passes the newest message"
    );
    let c = user(store, "carol").await;
    assert!(!store.set_read(&r, &c.id, 1).await.expect("set_read"));
}

pub async fn log_after_pages_through_the_whole_log(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let (r1, r2) = (room("one"), room("two"));
    let mut all = Vec::new();
    all.extend(
        commit(
            store,
            vec![join(&r1, &a), join(&r2, &b), post(&r1, &a, "m1")],
        )
        .await,
    );
    all.extend(
        commit(
            store,
            vec![join(&r1, &b), post(&r2, &b, "m2"), post(&r1, &b, "m3")],
        )
        .await,
    );
    all.extend(commit(store, vec![leave(&r2, &b), post(&r1, &a, "m4")]).await);
    let expected: Vec<_> = all.iter().map(|o| logged(o).clone()).collect();
    assert_eq!(
        expected.iter().map(|e| e.pos).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    assert_eq!(store.log_after(0, 100).await.expect("log"), expected);
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.log_after(after, 3).await.expect("log");
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = last.pos;
        paged.extend(page);
    }
    assert_eq!(paged, expected);
    assert_eq!(
        store.log_after(5, 2).await.expect("log"),
        expected[5..7].to_vec()
    );
    assert!(store.log_after(8, 10).await.expect("log").is_empty());
    assert_eq!(store.last_pos().await.expect("pos"), 8);
}

pub async fn messages_for_user_after_follows_current_rooms(store: &dyn Store) {
    let (a, b) = (user(store, "alice").await, user(store, "bob").await);
    let (r1, r2, r3) = (room("one"), room("two"), room("three"));
    commit(
        store,
        vec![join(&r1, &a), join(&r2, &a), join(&r2, &b), join(&r3, &b)],
    )
    .await;
    let out = commit(
        store,
        vec![
            post(&r1, &a, "1a"),
            post(&r3, &b, "3a"),
            post(&r2, &b, "2a"),
            post(&r1, &a, "1b"),
            post(&r3, &b, "3b"),
            post(&r2, &a, "2b"),
        ],
    )
    .await;
    let pos: Vec<i64> = out.iter().map(|o| logged(o).pos).collect();
    let seen = |v: Vec<(i64, confab_shared::Message)>| -> Vec<(i64, String)> {
        v.into_iter().map(|(p, m)| (p, m.text)).collect()
    };
    assert_eq!(
        seen(
            store
                .messages_for_user_after(&a.id, 0, 100)
                .await
                .expect("resume")
        ),
        vec![
            (pos[0], "1a".into()),
            (pos[2], "2a".into()),
            (pos[3], "1b".into()),
            (pos[5], "2b".into())
        ]
    );
    assert_eq!(
        seen(
            store
                .messages_for_user_after(&a.id, pos[2], 1)
                .await
                .expect("resume")
        ),
        vec![(pos[3], "1b".into())]
    );
    assert_eq!(
        seen(
            store
                .messages_for_user_after(&b.id, pos[3], 100)
                .await
                .expect("resume")
        ),
        vec![(pos[4], "3b".into()), (pos[5], "2b".into())]
    );
    // After leaving a room its messages no longer come; membership changes
    // never do.
    commit(store, vec![leave(&r1, &a), join(&r3, &a)]).await;
    assert_eq!(
        seen(
            store
                .messages_for_user_after(&a.id, 0, 100)
                .await
                .expect("resume")
        ),
        vec![
            (pos[1], "3a".into()),
            (pos[2], "2a".into()),
            (pos[4], "3b".into()),
            (pos[5], "2b".into())
        ]
    );
}

pub async fn history_pages(store: &dyn Store) {
    let a = user(store, "alice").await;
    let r = room("lobby");
    let mut batch = vec![join(&r, &a)];
    batch.extend((1..=5).map(|i| post(&r, &a, &format!("m{i}"))));
    commit(store, batch).await;
    let texts = |p: &confab_engine::store::Page| -> Vec<String> {
        p.messages.iter().map(|m| m.text.clone()).collect()
    };
    let page = store.messages_after(&r, 1, 2).await.expect("after");
    assert_eq!(
        (texts(&page), page.more),
        (vec!["m2".into(), "m3".into()], true)
    );
    let page = store.messages_after(&r, 3, 5).await.expect("after");
    assert_eq!(
        (texts(&page), page.more),
        (vec!["m4".into(), "m5".into()], false)
    );
    let page = store.messages_before(&r, None, 2).await.expect("before");
    assert_eq!(
        (texts(&page), page.more),
        (vec!["m4".into(), "m5".into()], true)
    );
    let page = store.messages_before(&r, Some(3), 5).await.expect("before");
    assert_eq!(
        (texts(&page), page.more),
        (vec!["m1".into(), "m2".into()], false)
    );
}

pub async fn blobs_round_trip(store: &dyn Store) {
    let blob = Blob {
        mime: "image/png".into(),
        data: vec![0x89, b'P', b'N', b'G', 0, 0, 255, 1, 2, 3],
    };
    store.put_blob("abc.png", &blob).await.expect("put");
    assert_eq!(store.get_blob("abc.png").await.expect("get"), Some(blob));
    assert_eq!(store.get_blob("other.png").await.expect("get"), None);
    let big = Blob {
        mime: "image/jpeg".into(),
        data: (0..300_000u32).map(|i| (i % 251) as u8).collect(),
    };
    store.put_blob("big.jpg", &big).await.expect("put");
    assert_eq!(store.get_blob("big.jpg").await.expect("get"), Some(big));
}

pub async fn names_are_unique_by_key_and_sessions_work(store: &dyn Store) {
    store.ping().await.expect("ping");
    let name = UserName::parse("Alice").expect("name");
    let color = Color::parse("#aa0011").expect("colour");
    let alice = store
        .create_user(&name, &color, "hash-1")
        .await
        .expect("create");
    let lower = UserName::parse("alice").expect("name");
    match store.create_user(&lower, &color, "hash-2").await {
        Err(StoreError::NameTaken) => {}
        other => panic!("expected NameTaken, got {other:?}"),
    }
    assert_eq!(store.user_by_token("hash-2").await.expect("token"), None);
    assert_eq!(
        store.user_by_name("alice").await.expect("by name"),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_name("Alice").await.expect("by name"), None);
    assert_eq!(
        store.user_by_token("hash-1").await.expect("token"),
        Some(alice.clone())
    );
    store
        .add_session(&alice.id, "hash-3")
        .await
        .expect("session");
    assert_eq!(
        store.user_by_token("hash-3").await.expect("token"),
        Some(alice.clone())
    );
    store.delete_session("hash-1").await.expect("delete");
    assert_eq!(store.user_by_token("hash-1").await.expect("token"), None);
    assert_eq!(
        store.user_by_token("hash-3").await.expect("token"),
        Some(alice)
    );
}

/// `--session-ttl`: a session idle past the limit is refused and deleted; a
/// use records itself (at most once per refresh interval), which keeps the
/// session alive; the purge removes exactly the idle ones.
pub async fn idle_sessions_expire_and_used_ones_do_not(store: &dyn Store) {
    use confab_engine::store::session_refresh_ms;
    use std::time::Duration;

    let color = Color::parse("#aa0011").expect("colour");
    let alice = store
        .create_user(&UserName::parse("alice").expect("name"), &color, "idle")
        .await
        .expect("create");
    store.add_session(&alice.id, "used").await.expect("session");
    store
        .add_session(&alice.id, "purged")
        .await
        .expect("session");
    store
        .add_session(&alice.id, "forever")
        .await
        .expect("session");
    let start = confab_shared::Timestamp::now().millis();
    let ttl = Duration::from_secs(100);
    let refresh = session_refresh_ms(Some(ttl));
    assert_eq!(refresh, 25_000, "a quarter of a short limit");
    assert_eq!(session_refresh_ms(None), 60_000);
    assert_eq!(session_refresh_ms(Some(Duration::from_secs(3600))), 60_000);

    // Used 60 s in: recorded (older than the refresh interval).
    let at = |ms: i64| start + ms;
    let got = store.session_user("used", at(60_000), Some(ttl)).await;
    assert_eq!(got.expect("read"), Some(alice.clone()));
    // 130 s in: 'idle' was last used at creation (> 100 s ago), 'used' 70 s ago.
    let idle = store.session_user("idle", at(130_000), Some(ttl)).await;
    assert_eq!(idle.expect("read"), None, "idle past the limit");
    let used = store.session_user("used", at(130_000), Some(ttl)).await;
    assert_eq!(
        used.expect("read"),
        Some(alice.clone()),
        "kept alive by its use"
    );
    // The refused session is gone, not merely refused at that instant.
    let again = store.session_user("idle", start, Some(ttl)).await;
    assert_eq!(again.expect("read"), None, "deleted when refused");
    assert_eq!(store.user_by_token("idle").await.expect("read"), None);
    // Without a limit nothing expires.
    let forever = store.session_user("forever", at(10_000_000), None).await;
    assert_eq!(forever.expect("read"), Some(alice.clone()));
    assert_eq!(
        store
            .session_user("nope", start, Some(ttl))
            .await
            .expect("read"),
        None
    );

    // The purge: 'purged' was never used after creation; 'used' was used at
    // 130 s (recorded, 70 s after the previous record); 'forever' at 10 000 s.
    let removed = store.purge_sessions(at(100_000)).await.expect("purge");
    assert_eq!(removed, 1, "only the session idle since before the cutoff");
    assert_eq!(store.user_by_token("purged").await.expect("read"), None);
    assert_eq!(
        store.user_by_token("used").await.expect("read"),
        Some(alice.clone())
    );
    assert_eq!(store.purge_sessions(at(100_000)).await.expect("purge"), 0);
    assert_eq!(
        store.purge_sessions(at(10_000_001)).await.expect("purge"),
        2
    );
    assert_eq!(store.user_by_token("used").await.expect("read"), None);
    assert_eq!(store.user_by_token("forever").await.expect("read"), None);
}
