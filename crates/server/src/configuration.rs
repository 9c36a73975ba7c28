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
    /// Frames per second per connection (0 = no limit).
    pub rate_limit: u32,
    /// Burst allowance of the rate limit.
    pub rate_burst: u32,
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
    /// Kernel send buffer per accepted socket in bytes (0 = OS default). A
    /// bounded one keeps a stalled client from hiding megabytes in the
    /// kernel before its outbox shows it is not reading.
    pub socket_send_buffer: usize,
    /// Mark the session cookie `Secure` (serve over HTTPS).
    pub secure_cookie: bool,
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
            trusted_proxies: Vec::new(),
            rate_limit: 20,
            rate_burst: 40,
            max_connections: 10_000,
            site_dir: None,
            heartbeat_ms: 15_000,
            client_timeout_ms: 45_000,
            outbox_frames: 1024,
            outbox_bytes: 512 * 1024,
            socket_send_buffer: 128 * 1024,
            secure_cookie: false,
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

    /// Silence after which a socket is dropped (at least 10 ms).
    pub fn client_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.client_timeout_ms.max(10))
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
    /// Most open WebSocket + SSE connections [default: 10000].
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Built UI to serve at / (e.g. ./dist from `trunk build`).
    #[arg(long, env = "CONFAB_SITE_DIR")]
    pub site_dir: Option<PathBuf>,
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
        if let Some(v) = self.listen {
            s.listen = v;
        }
        if let Some(v) = self.data_dir {
            s.data_dir = v;
        }
        if let Some(v) = self.database_url {
            s.database_url = Some(v);
        }
        if let Some(v) = self.redis_url {
            s.redis_url = Some(v);
        }
        if let Some(v) = self.uploads_dir {
            s.uploads_dir = Some(v);
        }
        if !self.allowed_origins.is_empty() {
            s.allowed_origins = self.allowed_origins;
        }
        if !self.trusted_proxies.is_empty() {
            s.trusted_proxies = self.trusted_proxies;
        }
        if let Some(v) = self.rate_limit {
            s.rate_limit = v;
        }
        if let Some(v) = self.rate_burst {
            s.rate_burst = v;
        }
        if let Some(v) = self.max_connections {
            s.max_connections = v;
        }
        if let Some(v) = self.site_dir {
            s.site_dir = Some(v);
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
        assert!(s.database_url().ends_with("data/confab.db"));
        std::fs::write(&file, "no_such_key = 1\n").unwrap();
        let cli = Cli::parse_from(["confab", "--config", file.to_str().unwrap()]);
        assert!(cli.into_settings().is_err());
    }
}
