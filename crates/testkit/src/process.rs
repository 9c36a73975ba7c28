//! The real `confab` binary as a child process: [`ServerProcess`].

use std::ffi::{OsStr, OsString};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::{sleep, Instant};

use crate::sys::{free_port, tail};
use crate::{http, Error, Result};

/// How long a child may take to answer `/healthz`.
const STARTUP: Duration = Duration::from_secs(20);

/// A `confab` child on a free port of 127.0.0.1 with a data dir of its own
/// (`<temp>/data`, its log in `<temp>/server.log`); dropping it kills it.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    bin: PathBuf,
    args: Vec<OsString>,
    rust_log: String,
    log: PathBuf,
    http: reqwest::Client,
    // Deleted after the child is gone (fields drop after `Drop::drop`).
    dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `bin --listen <addr> --data-dir <temp>/data <args>` with
    /// `RUST_LOG=<rust_log>` and no `CONFAB_*` variables of ours, and waits
    /// for `/healthz`.
    pub async fn start<I, S>(bin: &Path, args: I, rust_log: &str) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let dir = tempfile::Builder::new()
            .prefix("confab-server-")
            .tempdir()
            .map_err(|e| Error::context("temp dir", e))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let log = dir.path().join("server.log");
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let child = spawn(bin, addr, dir.path(), &args, rust_log, &log)?;
        let mut server = ServerProcess {
            child,
            addr,
            bin: bin.to_owned(),
            args,
            rust_log: rust_log.to_owned(),
            log,
            http: http(),
            dir,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    /// Kills the child if it still runs (see [`ServerProcess::kill_9`]) and
    /// starts the same binary on the same port, data and arguments again.
    pub async fn restart(&mut self) -> Result<()> {
        self.kill_9();
        self.child = spawn(
            &self.bin,
            self.addr,
            self.dir.path(),
            &self.args,
            &self.rust_log,
            &self.log,
        )?;
        self.wait_healthy().await
    }

    async fn wait_healthy(&mut self) -> Result<()> {
        let deadline = Instant::now() + STARTUP;
        loop {
            let exited = self
                .child
                .try_wait()
                .map_err(|e| Error::context("server child", e))?;
            if let Some(status) = exited {
                return Err(Error(format!(
                    "server exited at startup ({status}); log:\n{}",
                    self.log_tail()
                )));
            }
            let res = self
                .http
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            if matches!(&res, Ok(r) if r.status() == 200) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error(format!(
                    "no 200 from /healthz within {STARTUP:?}; log:\n{}",
                    self.log_tail()
                )));
            }
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        self.ws_url_for(confab_shared::Framing::Single)
    }

    /// The WebSocket URL that asks for `framing`.
    pub fn ws_url_for(&self, framing: confab_shared::Framing) -> String {
        format!("ws://{}{}", self.addr, framing.ws_path())
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last 20 lines of the server's log.
    pub fn log_tail(&self) -> String {
        tail(&self.log, 20)
    }

    /// Sends the child SIGTERM (a graceful shutdown) and waits at most
    /// `limit` for it to exit; its exit status.
    pub async fn terminate(&mut self, limit: Duration) -> Result<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        crate::sys::run(
            Command::new("kill").args(["-TERM", &pid]),
            Duration::from_secs(5),
        )?;
        let deadline = Instant::now() + limit;
        loop {
            let exited = self
                .child
                .try_wait()
                .map_err(|e| Error::context("server child", e))?;
            if let Some(status) = exited {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(Error(format!(
                    "still running {limit:?} after SIGTERM; log:\n{}",
                    self.log_tail()
                )));
            }
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// The whole log of the child (and of the children before a restart).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the child with SIGKILL (no graceful shutdown) and reaps it.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The child's resident set size in KiB, from `/proc/<pid>/status`.
    pub fn rss_kib(&self) -> Result<u64> {
        rss_kib_of(self.child.id())
    }

    /// The CPU time (user + system) the child has used so far, from
    /// `/proc/<pid>/stat`, in seconds.
    pub fn cpu_secs(&self) -> Result<f64> {
        // The kernel counts these in USER_HZ ticks, 100 a second on Linux.
        const TICKS_PER_SEC: f64 = 100.0;
        let path = format!("/proc/{}/stat", self.child.id());
        let stat = std::fs::read_to_string(&path).map_err(|e| Error::context(&path, e))?;
        // After the command name, which may hold spaces, in parentheses:
        // state is the 1st field, utime the 12th and stime the 13th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
        match (ticks(11), ticks(12)) {
            (Some(user), Some(system)) => Ok((user + system) as f64 / TICKS_PER_SEC),
            _ => Err(Error(format!("no utime/stime in {path}"))),
        }
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> Result<String> {
        let res = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .map_err(|e| Error::context("GET /metrics", e))?;
        if res.status() != 200 {
            return Err(Error(format!("GET /metrics: HTTP {}", res.status())));
        }
        res.text()
            .await
            .map_err(|e| Error::context("GET /metrics", e))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill_9();
    }
}

fn spawn(
    bin: &Path,
    addr: SocketAddr,
    dir: &Path,
    args: &[OsString],
    rust_log: &str,
    log: &Path,
) -> Result<Child> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| Error::context("server log", e))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::context("server log", e))?;
    let mut cmd = Command::new(bin);
    cmd.arg("--listen")
        .arg(addr.to_string())
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .env("RUST_LOG", rust_log)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    // Reproducible: no settings from the caller's environment.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CONFAB_") {
            cmd.env_remove(key);
        }
    }
    cmd.spawn()
        .map_err(|e| Error::context(format!("starting {}", bin.display()), e))
}

/// The value of the sample `name` (with labels, if any) in Prometheus text.
pub fn metric(text: &str, name: &str) -> Result<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .ok_or_else(|| Error(format!("/metrics has no {name}")))
}

/// The resident set size of process `pid` in KiB, from `/proc/<pid>/status`.
pub fn rss_kib_of(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| Error::context(&path, e))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| Error(format!("no VmRSS in {path}")))
}
