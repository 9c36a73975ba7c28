//! The reads every connection makes, run on the caller's own thread.
//!
//! Why: through sqlx a read is a round trip to one of its worker threads,
//! two context switches and a wake-up each way. Opening a WebSocket reads
//! three times (the session, the user's rooms, the session again once the
//! hub knows the connection), and in a `perf` profile of 5 000 users
//! connecting, sqlx's SQLite thread alone took a quarter of the server's
//! CPU, most of it in the scheduler, for point lookups that take SQLite a
//! few microseconds. Here the caller borrows a connection of its own, runs
//! the statement (prepared once, kept in the connection's cache) and gives
//! the connection back: no hand-off at all.
//!
//! Only short reads belong here: the calling thread serves other sockets
//! meanwhile. The longest is the room list's unread counts, which walk the
//! messages the user has not read (by the `(room, seq)` index): a user back
//! to 100 000 unread messages in one room holds the thread for 30 - 40 ms,
//! once (measured on the development machine). On a one-core server that
//! costs the same wherever it runs; on more cores it delays the sockets of
//! that thread, a trade made for the hand-offs every connection saves.
//! Everything else stays on the sqlx pool; WAL lets these connections read
//! while the writer thread commits.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use confab_shared::{RoomId, User};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::rows::{corrupt, user_from_columns};
use crate::store::{Membership, StoreResult};

/// Connections kept for reuse at most: one per thread that reads at the
/// same moment is enough (a server has a few runtime threads); a busier
/// moment opens one more and closes it after.
const KEEP: usize = 8;

/// Read connections lent to the calling thread.
pub(super) struct QuickReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl QuickReads {
    /// Read connections to the (migrated) database at `path`, opened as
    /// they are first needed.
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Closes the connections kept for reuse (the store is closing).
    pub(super) fn close(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Runs `read` on a connection of its own, on this thread.
    fn with<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        // A panic elsewhere while the list was locked left it whole.
        let lent = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match lent {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let result = read(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEEP {
            idle.push(conn);
        }
        Ok(result?)
    }

    /// The user whose session has this token hash, and when the session
    /// was last used (its creation if never since).
    pub(super) fn session(&self, token_hash: &str) -> StoreResult<Option<(User, i64)>> {
        let row = self.with(|conn| {
            conn.prepare_cached(
                "SELECT u.id, u.name, u.color, MAX(s.created_at, s.last_seen) \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
            )?
            .query_row([token_hash], |row| {
                <(String, String, String, i64)>::try_from(row)
            })
            .optional()
        })?;
        row.map(|(id, name, color, seen)| Ok((user_from_columns(id, &name, &color)?, seen)))
            .transpose()
    }

    /// The rooms `user_id` is a member of, by name, with each room's
    /// latest seq, the user's unread messages in it and its member count.
    pub(super) fn memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>> {
        let rows = self.with(|conn| {
            conn.prepare_cached(
                "SELECT r.name, r.latest_seq, \
                   (SELECT COUNT(*) FROM messages x \
                     WHERE x.room = m.room AND x.seq > m.read_seq AND x.sender_id <> m.user_id \
                       AND x.kind = 'message'), \
                   r.members \
                 FROM memberships m JOIN rooms r ON r.name = m.room \
                 WHERE m.user_id = ?1 ORDER BY r.name",
            )?
            .query_map([user_id], |row| <(String, i64, i64, i64)>::try_from(row))?
            .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter()
            .map(|(name, latest_seq, unread, members)| {
                Ok(Membership {
                    room: RoomId::parse(&name).map_err(corrupt)?,
                    latest_seq: latest_seq.max(0) as u64,
                    unread: unread.max(0) as u64,
                    members: u32::try_from(members).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }
}

/// A connection that only reads (`query_only`), with the pool's page
/// cache and busy timeout: a WAL reader waits only in rare moments (a
/// recovery after a crash), never for a commit.
fn open(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", "ON")?;
    conn.pragma_update(
        None,
        "cache_size",
        format!("-{}", super::open::POOL_CACHE_KIB),
    )?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use confab_shared::{Color, UserName};

    use super::KEEP;
    use crate::store::sqlite::SqliteStore;
    use crate::store::Store as _;

    async fn store_with_session(dir: &tempfile::TempDir) -> (SqliteStore, String) {
        let url = format!("sqlite://{}", dir.path().join("confab.db").display());
        let store = SqliteStore::open(&url).await.expect("open");
        let name = UserName::parse("민지").expect("name");
        let color = Color::parse("#336699").expect("color");
        store
            .create_user(&name, &color, "hash-1")
            .await
            .expect("user");
        (store, "hash-1".to_owned())
    }

    /// A read on the caller's thread sees what was committed, not what a
    /// writer holding the write lock has not committed yet, and does not
    /// wait for it (WAL).
    #[tokio::test]
    async fn reads_see_commits_and_do_not_wait_for_a_writer() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (store, hash) = store_with_session(&dir).await;
        let writer = rusqlite::Connection::open(dir.path().join("confab.db")).expect("writer");
        writer
            .execute_batch("BEGIN IMMEDIATE; DELETE FROM sessions;")
            .expect("uncommitted delete");
        let started = std::time::Instant::now();
        let (user, _) = store.quick.session(&hash).expect("read").expect("session");
        assert_eq!(user.name.as_str(), "민지");
        // The busy timeout is 10 s: a read that waited would show.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        writer.execute_batch("COMMIT").expect("commit");
        assert!(store.quick.session(&hash).expect("read").is_none());
        assert!(store.quick.session("no such hash").expect("read").is_none());
    }

    /// More threads reading at once than connections kept: each gets a
    /// connection, and at most `KEEP` stay open after.
    #[tokio::test]
    async fn a_crowd_of_readers_gets_connections_and_leaves_at_most_keep() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (store, hash) = store_with_session(&dir).await;
        let readers = 3 * KEEP;
        let barrier = std::sync::Barrier::new(readers);
        let found = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..readers)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        store.quick.session(&hash).expect("read").is_some()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("reader thread"))
                .filter(|found| *found)
                .count()
        });
        assert_eq!(found, readers);
        let kept = store.quick.idle.lock().expect("idle list").len();
        assert!((1..=KEEP).contains(&kept), "{kept} connections kept");
    }
}
