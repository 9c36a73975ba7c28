//! The SQLite writer thread: the one connection that commits batches.
//!
//! Why a thread of our own: through sqlx every statement is a round trip
//! between the async caller and sqlx's worker thread, and at a handful of
//! statements per batch those round trips (two context switches each), not
//! SQLite, bounded ingest (the performance issue measured it). Here the
//! whole transaction runs on one thread with statements prepared once and
//! kept in the connection's cache: a batch costs one hand-off in and one
//! out, and a post a few microseconds of SQLite.
//!
//! Everything else stays off this thread: reads on the sqlx pool (or, for
//! the few every connection makes, on the caller's own thread:
//! quick_reads.rs), session and upload writes on the pool. SQLite's write
//! lock (`BEGIN IMMEDIATE` and a busy timeout on both sides) serializes the
//! pool's writes with this connection, and WAL lets readers read while it
//! writes.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use super::commit;
use crate::store::{Outcome, StoreError, StoreResult, Write};

/// Batches waiting for the thread at most (the server's writer sends one at
/// a time; tests may send a few at once).
const QUEUE: usize = 16;
/// WAL pages (4 KiB) after which a commit checkpoints.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 256;
/// Statements the connection keeps prepared.
const STATEMENT_CACHE: usize = 64;

type Request = (Vec<Write>, oneshot::Sender<StoreResult<Vec<Outcome>>>);

/// A handle on the writer thread; the thread ends (and closes its
/// connection) when the handle is dropped.
pub(super) struct WriterThread {
    tx: mpsc::Sender<Request>,
}

impl WriterThread {
    /// Opens the database at `path` (migrated already) and starts the thread.
    pub(super) fn start(path: &Path) -> StoreResult<Self> {
        let conn = open(path)?;
        let (tx, mut rx) = mpsc::channel::<Request>(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let mut conn = conn;
                while let Some((batch, reply)) = rx.blocking_recv() {
                    // The caller may have given up waiting; the batch is
                    // committed (or not) all the same.
                    let _ = reply.send(commit::commit(&mut conn, batch));
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Self { tx })
    }

    /// Commits `batch` in one transaction on the writer thread.
    pub(super) async fn commit(&self, batch: Vec<Write>) -> StoreResult<Vec<Outcome>> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((batch, reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// The writer's connection, set up as the pool's are: WAL (a property of
/// the file, set when sqlx created it), `synchronous=FULL` so that a
/// commit is durable when it returns, foreign keys enforced, and a busy
/// timeout so that it waits for the pool's writers instead of failing.
fn open(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt(format!(
            "{} is in journal mode {mode}, not WAL",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Checkpoint the WAL every 1 MiB instead of SQLite's 4 MiB: a commit
    // that checkpoints holds its acks back, so many short stalls instead of
    // a few long ones.
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}
