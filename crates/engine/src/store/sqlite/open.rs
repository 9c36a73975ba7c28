//! Opening the SQLite store: the pool's connection settings, migrations,
//! and the writer thread's database file.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{names, quick_reads, writer, SqliteStore};
use crate::store::{StoreError, StoreResult};

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The page cache of each pooled (reading) connection, in KiB.
pub(super) const POOL_CACHE_KIB: u32 = 256;

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and runs migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Each pooled connection keeps its own page cache (2 MiB by
            // default): eight of them filled up with the sessions and
            // members that connecting 10 000 users reads, ~1.6 KiB per socket
            // in the memory benchmark. Reads of pages they miss come from the
            // OS's page cache; the writer thread keeps SQLite's default.
            .pragma("cache_size", format!("-{POOL_CACHE_KIB}"));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            // sqlx pings a connection before lending it by default: for an
            // embedded database that is a round trip to the connection's
            // worker thread (two context switches) with nothing to learn,
            // as costly as the query itself (`perf`, connecting 5 000 users).
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        names::backfill_names(&pool).await?;
        let path = options_path(url)?;
        let writer = writer::WriterThread::start(&path)?;
        let quick = quick_reads::QuickReads::new(&path);
        Ok(Self {
            pool,
            writer,
            quick,
        })
    }

    /// Starts a write transaction that takes the write lock at once, so it
    /// waits (busy_timeout) instead of failing if another writer is active.
    pub(super) async fn write_tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// The database file `url` names (the writer thread opens it too, so an
/// in-memory database cannot be a store).
fn options_path(url: &str) -> StoreResult<std::path::PathBuf> {
    let path = SqliteConnectOptions::from_str(url)?
        .get_filename()
        .to_owned();
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        return Err(StoreError::Corrupt(format!(
            "{url}: the SQLite store needs a database file"
        )));
    }
    Ok(path)
}
