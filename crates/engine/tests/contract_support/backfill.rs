//! Rows from before the `name_skeleton` migration (SQLite 0006, PostgreSQL
//! 0005) get their skeleton, and today's caseless key, when the store opens.

use confab_engine::store::postgres::PgStore;
use confab_engine::store::sqlite::SqliteStore;
use confab_engine::store::{Store, StoreError};
use confab_shared::{Color, UserName};

use super::{user, PgDatabase};

/// Turns the store's rows back into what the old code wrote: no skeleton,
/// a plain lowercase key, and a Cyrillic `аlice` the old rules let in
/// beside `alice`, younger than her. Plain SQL without parameters, so it
/// runs unchanged on both databases.
const OLD_ROWS: [&str; 2] = [
    "UPDATE users SET name_skeleton = NULL, name_key = lower(name)",
    "INSERT INTO users (id, name, name_key, color, created_at) \
     VALUES ('old-cyrillic', 'аlice', 'аlice', '#336699', 9999999999999)",
];
const WITHOUT_SKELETON: &str = "SELECT id FROM users WHERE name_skeleton IS NULL";

async fn create(store: &dyn Store) {
    user(store, "alice").await;
    user(store, "Straße").await;
}

/// What the reopened store must show.
async fn check(store: &dyn Store, without_skeleton: Vec<String>) {
    // The older of the confusable pair holds the skeleton ...
    let color = Color::parse("#336699").expect("colour");
    for lookalike in ["a1ice", "ALICE", "аlice"] {
        let name = UserName::parse(lookalike).expect("name");
        match store.create_user(&name, &color, "t").await {
            Err(StoreError::NameTaken) => {}
            other => panic!("{lookalike}: expected NameTaken, got {other:?}"),
        }
    }
    // ... the younger is left without one but still there,
    assert_eq!(without_skeleton, vec!["old-cyrillic".to_owned()]);
    assert!(store
        .user_by_name("аlice")
        .await
        .expect("by name")
        .is_some());
    // and keys follow today's full case folding (ß is ss).
    let strasse = store.user_by_name("strasse").await.expect("by name");
    assert_eq!(
        strasse.map(|u| u.name.as_str().to_owned()),
        Some("Straße".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_old_rows_get_skeletons_when_the_store_opens() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("confab.db").display());
    let store = SqliteStore::open(&url).await.expect("open");
    create(&store).await;
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
    for sql in OLD_ROWS {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }
    for _reopen in 0..2 {
        let store = SqliteStore::open(&url).await.expect("reopen");
        let rows: Vec<(String,)> = sqlx::query_as(WITHOUT_SKELETON)
            .fetch_all(&pool)
            .await
            .expect("select");
        check(&store, rows.into_iter().map(|r| r.0).collect()).await;
        store.close().await;
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_old_rows_get_skeletons_when_the_store_opens() {
    let db = PgDatabase::create().await;
    let store = db.open().await;
    create(&*store).await;
    store.close().await;
    let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
    for sql in OLD_ROWS {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }
    for _reopen in 0..2 {
        let store = PgStore::open(&db.url).await.expect("reopen");
        let rows: Vec<(String,)> = sqlx::query_as(WITHOUT_SKELETON)
            .fetch_all(&pool)
            .await
            .expect("select");
        check(&store, rows.into_iter().map(|r| r.0).collect()).await;
        store.close().await;
    }
    pool.close().await;
}

/// Rooms from before SQLite's `room_members` migration (0007) get their
/// member count from the memberships when the store opens, and the count
/// follows joins and leaves afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rooms_get_their_member_count_when_the_store_opens() {
    use super::{commit, join, leave, room};
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("confab.db").display());
    let store = SqliteStore::open(&url).await.expect("open");
    let (a, b) = (user(&store, "alice").await, user(&store, "bob").await);
    let (big, small) = (room("big"), room("small"));
    commit(
        &store,
        vec![join(&big, &a), join(&big, &b), join(&small, &a)],
    )
    .await;
    store.close().await;
    // Back to the schema before 0007, as the old code left it.
    let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
    for sql in [
        "ALTER TABLE rooms DROP COLUMN members",
        "DELETE FROM _sqlx_migrations WHERE version = 7",
    ] {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }
    pool.close().await;
    let store = SqliteStore::open(&url).await.expect("reopen");
    let counts = |list: Vec<confab_engine::store::Membership>| -> Vec<(String, u32)> {
        list.into_iter()
            .map(|m| (m.room.to_string(), m.members))
            .collect()
    };
    let of_alice = store.memberships(&a.id).await.expect("memberships");
    assert_eq!(
        counts(of_alice),
        vec![("big".into(), 2), ("small".into(), 1)]
    );
    commit(&store, vec![leave(&big, &b), join(&small, &b)]).await;
    let of_alice = store.memberships(&a.id).await.expect("memberships");
    assert_eq!(
        counts(of_alice),
        vec![("big".into(), 1), ("small".into(), 2)]
    );
    store.close().await;
}
