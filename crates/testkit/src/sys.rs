//! Free ports, child commands with a time limit, who we run as.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// A port of 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::context("finding a free port", e))
}

/// Whether this process runs as root (its `/proc/self` belongs to uid 0).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs `cmd` to its end, at most `limit`; its output when it succeeds,
/// else an error with that output.
pub fn run(cmd: &mut Command, limit: Duration) -> Result<String> {
    let what = format!("{cmd:?}");
    let out = tempfile::tempfile().map_err(|e| Error::context("temp file", e))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::context("temp file", e))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(
            out.try_clone()
                .map_err(|e| Error::context("temp file", e))?,
        )
        .stderr(err)
        .spawn()
        .map_err(|e| Error::context(format!("starting {what}"), e))?;
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::context(&what, e))? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error(format!("{what} did not end within {limit:?}")));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = read_all(out);
    if status.success() {
        Ok(text)
    } else {
        Err(Error(format!("{what}: {status}\n{text}")))
    }
}

fn read_all(mut file: std::fs::File) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    text
}

/// The last `n` lines of a log file (empty when there is none).
pub fn tail(path: &std::path::Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
