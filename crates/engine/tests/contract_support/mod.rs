//! Backends and builders for the store contract tests.
//!
//! Every test gets a store of its own: SQLite in a temporary directory, or a
//! fresh PostgreSQL database (`confab_test_<random>`) on the shared server,
//! dropped when the test ends (best effort, even when it panics).

#![allow(dead_code)]

use std::sync::Arc;

use confab_engine::store::postgres::PgStore;
use confab_engine::store::sqlite::SqliteStore;
use confab_engine::store::{LogEntry, NewMessage, Outcome, Store, Write};
use confab_shared::{ClientId, Color, Message, RoomId, Timestamp, User, UserName};
use sqlx::{Connection, Executor, PgConnection};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server the PostgreSQL tests use (`CONFAB_TEST_PG_URL` overrides).
pub fn pg_admin_url() -> String {
    std::env::var("CONFAB_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(slash) if base[..slash].ends_with('/') => base.to_owned(), // no path
        Some(slash) => base[..slash].to_owned(),
        None => base.to_owned(),
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

async fn admin_connection(admin: &str) -> PgConnection {
    match PgConnection::connect(admin).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "PostgreSQL is unreachable at {admin}: {e}\n\
             The store contract tests need it (they never skip). Start the local server with\n\
             \tpg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or point CONFAB_TEST_PG_URL at another server (trust auth, database `test`)."
        ),
    }
}

/// A fresh, empty PostgreSQL database, dropped with this value.
pub struct PgDatabase {
    admin: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        let admin = pg_admin_url();
        let mut conn = admin_connection(&admin).await;
        let name = format!("confab_test_{}", uuid::Uuid::new_v4().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {admin}: {e}"));
        let _ = conn.close().await;
        let url = with_database(&admin, &name);
        Self { admin, name, url }
    }

    pub async fn open(&self) -> Arc<PgStore> {
        Arc::new(
            PgStore::open(&self.url)
                .await
                .unwrap_or_else(|e| panic!("PgStore::open({}): {e}", self.url)),
        )
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Its own thread and runtime: Drop may run inside (or after) the
        // test's runtime, and during a panic.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = conn.execute(sql.as_str()).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A store for one test, with what keeps its database alive.
pub struct Backend {
    pub store: Arc<dyn Store>,
    _sqlite_dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl Backend {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("confab.db").display());
        let store = SqliteStore::open(&url)
            .await
            .unwrap_or_else(|e| panic!("SqliteStore::open({url}): {e}"));
        Self {
            store: Arc::new(store),
            _sqlite_dir: Some(dir),
            _pg: None,
        }
    }

    pub async fn postgres() -> Self {
        let db = PgDatabase::create().await;
        let store = db.open().await;
        Self {
            store,
            _sqlite_dir: None,
            _pg: Some(db),
        }
    }

    pub async fn finish(self) {
        self.store.close().await;
    }
}

pub fn room(name: &str) -> RoomId {
    RoomId::parse(name).unwrap_or_else(|e| panic!("room {name:?}: {e}"))
}

pub async fn user(store: &dyn Store, name: &str) -> User {
    let name = UserName::parse(name).expect("valid name");
    let color = Color::parse("#336699").expect("valid colour");
    let token = format!("token-{}", uuid::Uuid::new_v4().simple());
    store
        .create_user(&name, &color, &token)
        .await
        .expect("create_user")
}

pub fn new_message(
    room: &RoomId,
    sender: &User,
    text: &str,
    client_id: Option<&str>,
) -> NewMessage {
    NewMessage {
        id: uuid::Uuid::new_v4().simple().to_string(),
        room: room.clone(),
        sender: sender.clone(),
        text: text.to_owned(),
        ts: Timestamp::now(),
        client_id: client_id.map(|c| ClientId::parse(c).expect("valid client id")),
        attachment: None,
        kind: Default::default(),
        target: None,
    }
}

/// An edit (`Some` text) or deletion of `target` by `sender`.
pub fn change(room: &RoomId, sender: &User, target: u64, text: Option<&str>) -> Write {
    let mut new = new_message(room, sender, text.unwrap_or_default(), None);
    new.kind = if text.is_some() {
        confab_shared::EntryKind::Edit
    } else {
        confab_shared::EntryKind::Delete
    };
    new.target = Some(target);
    Write::Post(new)
}

pub fn post(room: &RoomId, sender: &User, text: &str) -> Write {
    Write::Post(new_message(room, sender, text, None))
}

pub fn post_with(room: &RoomId, sender: &User, text: &str, client_id: &str) -> Write {
    Write::Post(new_message(room, sender, text, Some(client_id)))
}

pub fn join(room: &RoomId, user: &User) -> Write {
    join_capped(room, user, 0)
}

/// A join that may create the room only while `user` created fewer than
/// `max_created` rooms (0 = no limit).
pub fn join_capped(room: &RoomId, user: &User, max_created: u32) -> Write {
    Write::Join {
        proven: None,
        admin: false,
        room: room.clone(),
        user: user.clone(),
        max_created,
    }
}

pub fn leave(room: &RoomId, user: &User) -> Write {
    Write::Leave {
        room: room.clone(),
        user: user.clone(),
    }
}

pub async fn commit(store: &dyn Store, batch: Vec<Write>) -> Vec<Outcome> {
    let writes = batch.len();
    let outcomes = store.commit(batch).await.expect("commit");
    assert_eq!(outcomes.len(), writes, "one outcome per write");
    outcomes
}

/// The log entry of a `Logged` outcome.
#[track_caller]
pub fn logged(outcome: &Outcome) -> &LogEntry {
    match outcome {
        Outcome::Logged(entry) => entry,
        other => panic!("expected Logged, got {other:?}"),
    }
}

/// The message of a `Logged` message outcome.
#[track_caller]
pub fn stored(outcome: &Outcome) -> (i64, &Message) {
    let entry = logged(outcome);
    match &entry.body {
        confab_engine::store::LogBody::Message { message, .. } => (entry.pos, message),
        other => panic!("expected a message, got {other:?}"),
    }
}

/// `(joined, members)` of a `Logged` membership outcome.
#[track_caller]
pub fn member_change(outcome: &Outcome) -> (i64, bool, u32) {
    let entry = logged(outcome);
    match &entry.body {
        confab_engine::store::LogBody::Member {
            joined, members, ..
        } => (entry.pos, *joined, *members),
        other => panic!("expected a membership change, got {other:?}"),
    }
}
