//! Typed, layered configuration: built-in defaults, then an optional TOML
//! file (`--config`), then `CONFAB_*` environment variables, then flags.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::Parser;
use serde::Deserialize;

/// Everything the server can be told. Field names are the TOML keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free one).
    pub listen: String,
    /// Where the SQLite database and uploads live.
    pub data_dir: PathBuf,
    /// Database URL; defaults to `sqlite://<data_dir>/confab.db`.
    pub database_url: Option<String>,
    /// Redis URL: with a PostgreSQL database, nodes sharing both form one
    /// cluster (Redis carries the fan-out and presence).
    pub redis_url: Option<String>,
    /// Where uploaded images are kept; defaults to `<data_dir>/uploads`, or
    /// to the database when it is PostgreSQL (so every node serves every
    /// upload). A directory shared by the nodes works too.
    pub uploads_dir: Option<PathBuf>,
    /// Extra origins whose pages may open WebSockets (e.g. a `trunk serve`
    /// dev server); the server's own origin is always allowed.
    pub allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Server admins by name: they moderate every room, `lobby` included.
    pub admins: Vec<String>,
    /// Frames per second per connection (0 = no limit).
    pub rate_limit: u32,
    /// Burst allowance of the rate limit.
    pub rate_burst: u32,
    /// Messages (posts, edits, deletions) per second one user may send,
    /// over all their connections and every node (0 = no limit).
    pub send_rate: u32,
    /// How many of them at once.
    pub send_burst: u32,
    /// Open WebSocket + SSE connections at most.
    pub max_connections: usize,
    /// Directory of the built UI to serve at `/` (`trunk build` output).
    pub site_dir: Option<PathBuf>,
    /// Milliseconds between server pings.
    pub heartbeat_ms: u64,
    /// A connection silent this long (milliseconds) is closed.
    pub client_timeout_ms: u64,
    /// Per-connection outgoing queue limits.
    pub outbox_frames: usize,
    pub outbox_bytes: usize,
    /// Milliseconds a room's broadcast (message, presence, typing) may wait
    /// in a socket's outbox for the next one, so that a busy room costs one
    /// write per socket per tick instead of one per message. Answers to the
    /// socket itself (ack, error, joined, history) never wait, and take
    /// what waits along. 0 = write each frame at once.
    pub write_delay_ms: u64,
    /// Kernel send buffer per accepted socket in bytes (0 = OS default). A
    /// bounded one keeps a stalled client from hiding megabytes in the
    /// kernel before its outbox shows it is not reading.
    pub socket_send_buffer: usize,
    /// Always mark the session cookie `Secure` (it is anyway whenever the
    /// request came over HTTPS, directly or through a trusted proxy).
    pub secure_cookie: bool,
    /// Open WebSocket + SSE connections per user (0 = no limit).
    pub max_connections_per_user: usize,
    /// Open WebSocket + SSE connections per client address (0 = no limit).
    pub max_connections_per_ip: usize,
    /// HTTP requests per second per client address (0 = no limit);
    /// `/healthz` and `/metrics` are exempt.
    pub http_rate_limit: u32,
    /// Burst allowance of the HTTP rate limit.
    pub http_rate_burst: u32,
    /// Sessions created per minute per client address (0 = no limit).
    pub session_rate_limit: u32,
    /// Rooms one user may create (0 = no limit).
    pub max_rooms_per_user: u32,
    /// Bytes one user may upload per rolling 24 hours (0 = no limit).
    pub upload_quota_bytes: u64,
    /// Seconds a session lives without being used (0 = forever); the
    /// cookie's lifetime matches it.
    pub session_ttl: u64,
    /// Milliseconds between sweeps that remove rooms nothing keeps (no
    /// member, no message, no setting; never `lobby`); 0 = never.
    pub room_sweep_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:3000".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            redis_url: None,
            uploads_dir: None,
            allowed_origins: Vec::new(),
            admins: Vec::new(),
            trusted_proxies: Vec::new(),
            rate_limit: 20,
            rate_burst: 40,
            send_rate: 5,
            send_burst: 20,
            max_connections: 10_000,
            site_dir: None,
            heartbeat_ms: 15_000,
            client_timeout_ms: 45_000,
            outbox_frames: 1024,
            outbox_bytes: 512 * 1024,
            socket_send_buffer: 128 * 1024,
            write_delay_ms: 10,
            secure_cookie: false,
            max_connections_per_user: 20,
            max_connections_per_ip: 1000,
            http_rate_limit: 50,
            http_rate_burst: 100,
            session_rate_limit: 30,
            max_rooms_per_user: 100,
            upload_quota_bytes: 200 * 1024 * 1024,
            session_ttl: 30 * 24 * 60 * 60,
            room_sweep_ms: 60_000,
        }
    }
}

impl Settings {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("confab.db").display()),
        }
    }

    /// Time between server pings (at least 10 ms).
    pub fn heartbeat(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.heartbeat_ms.max(10))
    }

    /// How long a broadcast may wait for company in an outbox.
    pub fn write_delay(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.write_delay_ms)
    }

    /// Silence after which a socket is dropped (at least 10 ms).
    pub fn client_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.client_timeout_ms.max(10))
    }

    /// Time between room sweeps, or `None` when they are off.
    pub fn room_sweep(&self) -> Option<std::time::Duration> {
        (self.room_sweep_ms > 0).then(|| std::time::Duration::from_millis(self.room_sweep_ms))
    }

    /// Whether the database is PostgreSQL (else SQLite).
    pub fn is_postgres(&self) -> bool {
        let url = self.database_url();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// The directory uploads are kept in, or `None` when they are kept in
    /// the database (PostgreSQL without `--uploads-dir`).
    pub fn uploads_dir(&self) -> Option<PathBuf> {
        match &self.uploads_dir {
            Some(dir) => Some(dir.clone()),
            None if self.is_postgres() => None,
            None => Some(self.data_dir.join("uploads")),
        }
    }
}

/// Command line; every flag can also come from its `CONFAB_*` variable.
#[derive(Debug, Parser)]
#[command(name = "confab", version, about = "Confab chat server")]
pub struct Cli {
    /// TOML file with any of the settings (flags and env win over it).
    #[arg(long, env = "CONFAB_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "CONFAB_LISTEN")]
    pub listen: Option<String>,
    /// Data directory [default: ./data].
    #[arg(long, env = "CONFAB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL [default: sqlite://<data-dir>/confab.db].
    #[arg(long, env = "CONFAB_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Redis URL (redis://HOST:PORT): nodes with the same PostgreSQL
    /// database and Redis form one cluster.
    #[arg(long, env = "CONFAB_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Uploads directory [default: <data-dir>/uploads; in the database
    /// with PostgreSQL]. Give a directory shared by every node.
    #[arg(long, env = "CONFAB_UPLOADS_DIR")]
    pub uploads_dir: Option<PathBuf>,
    /// Origin allowed to open WebSockets besides the server's own (repeatable).
    #[arg(
        long = "allowed-origin",
        env = "CONFAB_ALLOWED_ORIGIN",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// A server admin's name: moderates every room (repeatable).
    #[arg(long = "admin", env = "CONFAB_ADMINS", value_delimiter = ',')]
    pub admins: Vec<String>,
    /// Proxy address whose X-Forwarded-For is trusted (repeatable).
    #[arg(
        long = "trusted-proxy",
        env = "CONFAB_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// Frames per second per connection, 0 = unlimited [default: 20].
    #[arg(long, env = "CONFAB_RATE_LIMIT")]
    pub rate_limit: Option<u32>,
    /// Rate limit burst [default: 40].
    #[arg(long, env = "CONFAB_RATE_BURST")]
    pub rate_burst: Option<u32>,
    /// Messages per second one user may send over all their connections
    /// and nodes, 0 = unlimited [default: 5].
    #[arg(long, env = "CONFAB_SEND_RATE")]
    pub send_rate: Option<u32>,
    /// How many messages one user may send at once [default: 20].
    #[arg(long, env = "CONFAB_SEND_BURST")]
    pub send_burst: Option<u32>,
    /// Most open WebSocket + SSE connections [default: 10000].
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Built UI to serve at / (e.g. ./dist from `trunk build`).
    #[arg(long, env = "CONFAB_SITE_DIR")]
    pub site_dir: Option<PathBuf>,
    /// Milliseconds between server pings [default: 15000].
    #[arg(long, env = "CONFAB_HEARTBEAT_MS")]
    pub heartbeat_ms: Option<u64>,
    /// Close a connection silent this many milliseconds [default: 45000].
    #[arg(long, env = "CONFAB_CLIENT_TIMEOUT_MS")]
    pub client_timeout_ms: Option<u64>,
    /// Frames queued per connection before it is closed (1013) [default: 1024].
    #[arg(long, env = "CONFAB_OUTBOX_FRAMES")]
    pub outbox_frames: Option<usize>,
    /// Bytes queued per connection before it is closed (1013) [default: 524288].
    #[arg(long, env = "CONFAB_OUTBOX_BYTES")]
    pub outbox_bytes: Option<usize>,
    /// Milliseconds a broadcast may wait for the next one before it is
    /// written, 0 = at once [default: 10].
    #[arg(long, env = "CONFAB_WRITE_DELAY_MS")]
    pub write_delay_ms: Option<u64>,
    /// Kernel send buffer per socket in bytes, 0 = OS default [default: 131072].
    #[arg(long, env = "CONFAB_SOCKET_SEND_BUFFER")]
    pub socket_send_buffer: Option<usize>,
    /// Always mark the session cookie Secure [default: only over HTTPS].
    #[arg(long, env = "CONFAB_SECURE_COOKIE")]
    pub secure_cookie: Option<bool>,
    /// Open WebSocket + SSE connections per user, 0 = unlimited [default: 20].
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS_PER_USER")]
    pub max_connections_per_user: Option<usize>,
    /// Open WebSocket + SSE connections per address, 0 = unlimited [default: 1000].
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS_PER_IP")]
    pub max_connections_per_ip: Option<usize>,
    /// HTTP requests per second per address, 0 = unlimited [default: 50].
    #[arg(long, env = "CONFAB_HTTP_RATE_LIMIT")]
    pub http_rate_limit: Option<u32>,
    /// HTTP rate limit burst [default: 100].
    #[arg(long, env = "CONFAB_HTTP_RATE_BURST")]
    pub http_rate_burst: Option<u32>,
    /// Sessions created per minute per address, 0 = unlimited [default: 30].
    #[arg(long, env = "CONFAB_SESSION_RATE_LIMIT")]
    pub session_rate_limit: Option<u32>,
    /// Rooms one user may create, 0 = unlimited [default: 100].
    #[arg(long, env = "CONFAB_MAX_ROOMS_PER_USER")]
    pub max_rooms_per_user: Option<u32>,
    /// Bytes a user may upload per rolling 24 h, 0 = unlimited [default: 209715200].
    #[arg(long, env = "CONFAB_UPLOAD_QUOTA_BYTES")]
    pub upload_quota_bytes: Option<u64>,
    /// Seconds a session lives unused, 0 = forever [default: 2592000, 30 days].
    #[arg(long, env = "CONFAB_SESSION_TTL")]
    pub session_ttl: Option<u64>,
    /// Milliseconds between sweeps removing rooms nothing keeps, 0 = never [default: 60000].
    #[arg(long, env = "CONFAB_ROOM_SWEEP_MS")]
    pub room_sweep_ms: Option<u64>,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad configuration file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
}

impl Cli {
    /// Defaults, then the file, then env and flags (clap already merged those).
    pub fn into_settings(self) -> Result<Settings, ConfigError> {
        let mut s = match &self.config {
            Some(path) => load_file(path)?,
            None => Settings::default(),
        };
        // Flags (and their env variables) win over the file.
        macro_rules! take {
            ($($field:ident),* $(,)?) => {
                $(if let Some(v) = self.$field { s.$field = v; })*
            };
        }
        macro_rules! take_some {
            ($($field:ident),* $(,)?) => {
                $(if let Some(v) = self.$field { s.$field = Some(v); })*
            };
        }
        take!(
            listen,
            data_dir,
            rate_limit,
            rate_burst,
            send_rate,
            send_burst,
            max_connections,
            heartbeat_ms,
            client_timeout_ms,
            outbox_frames,
            outbox_bytes,
            socket_send_buffer,
            write_delay_ms,
            secure_cookie,
            max_connections_per_user,
            max_connections_per_ip,
            http_rate_limit,
            http_rate_burst,
            session_rate_limit,
            max_rooms_per_user,
            upload_quota_bytes,
            session_ttl,
            room_sweep_ms,
        );
        take_some!(database_url, redis_url, uploads_dir, site_dir);
        if !self.allowed_origins.is_empty() {
            s.allowed_origins = self.allowed_origins;
        }
        if !self.trusted_proxies.is_empty() {
            s.trusted_proxies = self.trusted_proxies;
        }
        if !self.admins.is_empty() {
            s.admins = self.admins;
        }
        Ok(s)
    }
}

fn load_file(path: &Path) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("confab-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("confab.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nrate_limit = 5\n").unwrap();
        let cli = Cli::parse_from([
            "confab",
            "--config",
            file.to_str().unwrap(),
            "--rate-limit",
            "7",
            "--allowed-origin",
            "http://a",
            "--allowed-origin",
            "http://b",
        ]);
        let s = cli.into_settings().unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.rate_limit, 7);
        assert_eq!(s.rate_burst, 40);
        assert_eq!(s.allowed_origins, vec!["http://a", "http://b"]);
        assert_eq!(s.max_connections_per_user, 20);
        assert!(s.database_url().ends_with("data/confab.db"));
        std::fs::write(&file, "max_connections_per_ip = 3\nsession_ttl = 60\n").unwrap();
        let cli = Cli::parse_from([
            "confab",
            "--config",
            file.to_str().unwrap(),
            "--session-ttl",
            "0",
            "--upload-quota-bytes",
            "0",
        ]);
        let s = cli.into_settings().unwrap();
        assert_eq!((s.max_connections_per_ip, s.session_ttl), (3, 0));
        assert_eq!(s.upload_quota_bytes, 0);
        std::fs::write(&file, "no_such_key = 1\n").unwrap();
        let cli = Cli::parse_from(["confab", "--config", file.to_str().unwrap()]);
        assert!(cli.into_settings().is_err());
    }
}
