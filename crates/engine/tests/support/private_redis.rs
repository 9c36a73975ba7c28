//! A private `redis-server` for failure tests: started on a free port as a
//! child process, stopped and restarted at will, killed on drop. Tests that
//! stop Redis use one of these and never the shared Redis other tests use.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a fresh `redis-server` may take to accept commands.
const START_TIMEOUT: Duration = Duration::from_secs(5);

pub struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts a server on a free port; panics (with the reason) if it does
    /// not answer within a few seconds. (Same API as confab-testkit's.)
    pub fn new() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("no free port")
            .port();
        let mut redis = Self { port, child: None };
        redis.start();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (as a crash would: no clean shutdown).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty (nothing is saved);
    /// a no-op while it runs.
    pub fn start(&mut self) {
        if self.child.is_some() {
            return;
        }
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run redis-server ({e}); install it (apt-get install redis-server)")
            });
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        while !ping(self.port) {
            if Instant::now() > deadline {
                panic!("private redis-server on port {} did not start", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a Redis on `port` answers PING (inline command, no client needed).
pub fn ping(port: u16) -> bool {
    let addr = ([127, 0, 0, 1], port).into();
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}
