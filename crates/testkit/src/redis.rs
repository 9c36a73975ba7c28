//! Redis for tests: [`shared_redis_url`], the one server tests share, and
//! [`PrivateRedis`], a server of a test's own that it may stop and start.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sys::free_port;

/// The shared server's URL when `CONFAB_TEST_REDIS_URL` is not set.
pub const DEFAULT_TEST_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// `CONFAB_TEST_REDIS_URL` or [`DEFAULT_TEST_REDIS_URL`], after checking
/// that it answers `PING`; panics, saying how to start it, when it does not.
pub fn shared_redis_url() -> String {
    let url =
        std::env::var("CONFAB_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_TEST_REDIS_URL.into());
    if let Err(e) = ping(&host_port(&url), Duration::from_secs(2)) {
        panic!(
            "Redis at {url} is unreachable ({e}); start it with: \
             redis-server --daemonize yes (or set CONFAB_TEST_REDIS_URL)"
        );
    }
    url
}

/// `host:port` of `redis://[user:pass@]host[:port][/db]`.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or(rest);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    }
}

/// Sends `PING` over plain TCP and expects `+PONG`, each step within `limit`.
fn ping(addr: &str, limit: Duration) -> Result<(), String> {
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| format!("{addr} resolves to nothing"))?;
    let mut stream = TcpStream::connect_timeout(&sock, limit).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(limit))
        .and_then(|()| stream.set_write_timeout(Some(limit)))
        .and_then(|()| stream.write_all(b"PING\r\n"))
        .map_err(|e| e.to_string())?;
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).map_err(|e| e.to_string())?;
    if &reply == b"+PONG\r\n" {
        Ok(())
    } else {
        Err(format!(
            "answered {:?} to PING",
            String::from_utf8_lossy(&reply)
        ))
    }
}

/// A `redis-server --port N --save "" --appendonly no` child on a free port
/// of 127.0.0.1; killed on drop.
pub struct PrivateRedis {
    port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl PrivateRedis {
    /// Starts it; returns once it answers `PING`.
    pub fn new() -> PrivateRedis {
        let port = free_port().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::Builder::new()
            .prefix("confab-redis-")
            .tempdir()
            .expect("temp dir for Redis");
        let mut redis = PrivateRedis {
            port,
            child: None,
            dir,
        };
        redis.start();
        redis
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts it again on the same port (a no-op when it runs).
    pub fn start(&mut self) {
        if self.child.is_some() {
            return;
        }
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}): apt-get install redis-server")
            });
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Err(e) = ping(&addr, Duration::from_millis(500)) {
            assert!(
                Instant::now() < deadline,
                "private Redis on {addr} did not answer PING within 10 s: {e}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server; connections to it fail until [`PrivateRedis::start`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Default for PrivateRedis {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn host_and_port_of_redis_urls() {
        assert_eq!(host_port("redis://127.0.0.1:6379"), "127.0.0.1:6379");
        assert_eq!(host_port("redis://:pw@h/2"), "h:6379");
        assert_eq!(host_port("redis://u:p@h:7000/0"), "h:7000");
    }
}
