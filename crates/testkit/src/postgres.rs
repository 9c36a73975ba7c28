//! PostgreSQL for tests: [`fresh_database`] on a running server (the shared
//! one of `CONFAB_TEST_PG_URL`), and [`PrivatePostgres`], a server of a
//! test's own that it may stop and start again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

use crate::sys::{free_port, is_root, run, tail};

/// The shared server's URL when `CONFAB_TEST_PG_URL` is not set.
pub const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// How to start the shared server, for the panic messages.
const HOW_TO_START: &str =
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

/// The user a [`PrivatePostgres`] runs as when we are root.
const PG_USER: &str = "confab-pg";

/// `CONFAB_TEST_PG_URL`, or [`DEFAULT_TEST_PG_URL`].
pub fn test_pg_url() -> String {
    std::env::var("CONFAB_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_owned())
}

/// Creates the database `confab_t_<random>` through a connection to
/// `base_url` and returns its URL (`base_url` with that database). Panics,
/// saying how to start PostgreSQL, when the server cannot be reached.
pub async fn fresh_database(base_url: &str) -> String {
    let connecting = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(base_url));
    let mut conn = match connecting.await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!("PostgreSQL at {base_url} is unreachable ({e}); {HOW_TO_START}"),
        Err(_) => panic!("PostgreSQL at {base_url} did not answer within 10 s; {HOW_TO_START}"),
    };
    drop_stale_databases(&mut conn).await;
    // The creation time in the name lets later runs remove what a killed
    // run left behind.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let name = format!("confab_t_{now}_{:08x}", rand::random::<u32>());
    let create = format!("CREATE DATABASE {name}");
    tokio::time::timeout(Duration::from_secs(30), conn.execute(create.as_str()))
        .await
        .unwrap_or_else(|_| panic!("{create} on {base_url}: no answer within 30 s"))
        .unwrap_or_else(|e| panic!("{create} on {base_url}: {e}"));
    let _ = conn.close().await;
    with_database(base_url, &name)
}

/// Test databases older than this are removed by the next test that makes one.
const STALE_AFTER_SECS: u64 = 6 * 3600;

/// Best effort: drops `confab_t_<secs>_*` databases made more than
/// [`STALE_AFTER_SECS`] ago (tests do not drop their own: the server under
/// test may still hold connections when the test ends).
async fn drop_stale_databases(conn: &mut PgConnection) {
    use sqlx::Row as _;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let Ok(rows) = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'confab_t_%'")
        .fetch_all(&mut *conn)
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String, _>("datname") else {
            continue;
        };
        let made = name
            .strip_prefix("confab_t_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        // Names without a time are from older runs: stale too.
        if made.is_none_or(|t| now.saturating_sub(t) > STALE_AFTER_SECS) {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = conn.execute(drop.as_str()).await;
        }
    }
}

/// `url` with its database (the path) replaced by `name`; a query is kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// A PostgreSQL server of its own (`initdb` + `pg_ctl`, from
/// `/usr/lib/postgresql/*/bin`) on a free port of 127.0.0.1, trusting every
/// local connection as `postgres`. As root it runs as the system user
/// `confab-pg`. Dropping it stops the server and deletes its data.
pub struct PrivatePostgres {
    port: u16,
    bin: PathBuf,
    running: bool,
    // Deleted after the server has stopped (fields drop after `Drop::drop`).
    dir: tempfile::TempDir,
}

impl PrivatePostgres {
    /// Initialises a cluster in a temp dir and starts it; panics, saying
    /// why, when that fails.
    pub fn new() -> PrivatePostgres {
        let bin = pg_bin_dir();
        let dir = if is_root() {
            ensure_pg_user();
            // Somewhere the unprivileged user can reach.
            tempfile::Builder::new()
                .prefix("confab-pg-")
                .tempdir_in("/tmp")
        } else {
            tempfile::Builder::new().prefix("confab-pg-").tempdir()
        }
        .expect("temp dir for PostgreSQL");
        if is_root() {
            run(
                Command::new("chown").arg("-R").arg(PG_USER).arg(dir.path()),
                Duration::from_secs(10),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let port = free_port().unwrap_or_else(|e| panic!("{e}"));
        let mut pg = PrivatePostgres {
            port,
            bin,
            running: false,
            dir,
        };
        let data = pg.data();
        pg.run_pg(
            pg.pg("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
                .args(["--no-locale", "--no-sync"]),
            "initdb",
        );
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
            pg.dir.path().display()
        );
        append(&data.join("postgresql.conf"), &conf);
        pg.start();
        pg
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server again on the same port and data (a no-op when it
    /// runs); returns once it accepts connections.
    pub fn start(&mut self) {
        if self.running {
            return;
        }
        let log = self.dir.path().join("postgres.log");
        let mut cmd = self.pg("pg_ctl");
        cmd.arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "30", "start"]);
        if let Err(e) = run(&mut cmd, Duration::from_secs(40)) {
            panic!("PostgreSQL did not start: {e}\nlog:\n{}", tail(&log, 20));
        }
        self.running = true;
    }

    /// Stops the server (`pg_ctl stop -m fast`: open connections are cut).
    pub fn stop(&mut self) {
        self.stop_with("fast");
    }

    fn stop_with(&mut self, mode: &str) {
        if !self.running {
            return;
        }
        let mut cmd = self.pg("pg_ctl");
        cmd.arg("-D")
            .arg(self.data())
            .args(["-m", mode, "-w", "-t", "30", "stop"]);
        self.run_pg(&mut cmd, "pg_ctl stop");
        self.running = false;
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A PostgreSQL program, run as [`PG_USER`] when we are root.
    fn pg(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", PG_USER, "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        };
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn run_pg(&self, cmd: &mut Command, what: &str) {
        if let Err(e) = run(cmd, Duration::from_secs(60)) {
            panic!("{what} of the private PostgreSQL failed: {e}");
        }
    }
}

impl Default for PrivatePostgres {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.running {
            let mut cmd = self.pg("pg_ctl");
            cmd.arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "-t", "20", "stop"]);
            let _ = run(&mut cmd, Duration::from_secs(30));
        }
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn pg_bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "no initdb under /usr/lib/postgresql/*/bin: install PostgreSQL \
             (apt-get install postgresql)"
        ),
    }
}

/// Creates the system user [`PG_USER`] unless it exists.
fn ensure_pg_user() {
    static ONCE: Mutex<()> = Mutex::new(());
    let _one = ONCE.lock().unwrap_or_else(|e| e.into_inner());
    let exists = || {
        run(
            Command::new("id").args(["-u", PG_USER]),
            Duration::from_secs(10),
        )
        .is_ok()
    };
    if exists() {
        return;
    }
    let added = run(
        Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(PG_USER),
        Duration::from_secs(30),
    );
    // Another process may have added it meanwhile.
    if let Err(e) = added {
        assert!(exists(), "cannot create the user {PG_USER}: {e}");
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }
}
