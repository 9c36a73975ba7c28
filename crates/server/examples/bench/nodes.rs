//! The servers a scenario runs against: one node on SQLite, one node on
//! PostgreSQL, or three nodes on one PostgreSQL database and a private Redis;
//! clients spread over them.

use std::path::PathBuf;
use std::time::Duration;

use confab_shared::Framing;
use confab_testkit::{
    fresh_database, login_all, ws_connect_lines, LinesSocket, PrivateRedis, ServerProcess,
};
use futures_util::StreamExt;
use sqlx::{Connection, PgConnection};
use tokio::time::Instant;

use crate::report::{BenchError, Context, Result};

/// What every scenario needs.
pub struct Ctx {
    pub bin: PathBuf,
    pub http: reqwest::Client,
    pub server_log: String,
    /// Extra arguments for every Confab server.
    pub server_args: Vec<String>,
    pub concurrency: usize,
    /// What the clients ask of `GET /ws`.
    pub framing: Framing,
    /// Base URL of the PostgreSQL server; each run makes a fresh database.
    pub pg_url: String,
    /// The Node `ws` relay script (`bench/node_relay/relay.js`).
    pub relay: PathBuf,
    /// The CPUs every server is pinned to (`taskset -c` syntax), if any...
    pub server_cpus: Option<String>,
    /// ... and the ones the bench keeps for itself then.
    pub bench_cpus: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One node, SQLite in its data dir (the server's default).
    Sqlite,
    /// One node on a fresh PostgreSQL database.
    Postgres,
    /// Three nodes on one fresh PostgreSQL database and a private Redis.
    Cluster,
    /// The Node.js `ws` relay beside the benchmark: no storage at all.
    NodeRelay,
}

impl Backend {
    /// How the report names a scenario run on this backend.
    pub fn label(self, scenario: &str) -> String {
        match self {
            Backend::NodeRelay => format!("{scenario} (node ws)"),
            _ => scenario.to_owned(),
        }
    }
}

/// Running nodes; dropping it kills them (and the private Redis).
pub struct Nodes {
    pub servers: Vec<ServerProcess>,
    _redis: Option<PrivateRedis>,
}

impl Nodes {
    pub fn len(&self) -> usize {
        self.servers.len()
    }

    /// Client `i`'s node: clients are dealt round-robin.
    pub fn of(&self, i: usize) -> &ServerProcess {
        &self.servers[i % self.servers.len()]
    }

    /// The CPU time every node has used so far, in seconds.
    pub fn cpu_secs(&self) -> Result<f64> {
        let mut sum = 0.0;
        for s in &self.servers {
            sum += s.cpu_secs()?;
        }
        Ok(sum)
    }

    /// The sum of a metric over every node.
    pub async fn metric_sum(&self, name: &str) -> Result<f64> {
        let mut sum = 0.0;
        for s in &self.servers {
            sum += confab_testkit::metric(&s.metrics().await?, name)?;
        }
        Ok(sum)
    }
}

/// Runs a helper of the test kit that panics (no PostgreSQL, no
/// redis-server) and turns its panic into an error.
async fn catching<T: Send + 'static>(
    what: &str,
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T> {
    tokio::spawn(fut).await.map_err(|e| {
        let why = e
            .try_into_panic()
            .ok()
            .and_then(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            })
            .unwrap_or_else(|| "failed".into());
        BenchError(format!("{what}: {why}"))
    })
}

/// Prints a few settings of the PostgreSQL server the run uses.
async fn print_pg_settings(url: &str) {
    let Ok(Ok(mut conn)) =
        tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await
    else {
        return;
    };
    let mut shown = Vec::new();
    for name in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "shared_buffers",
    ] {
        let q = format!("SHOW {name}");
        if let Ok(v) = sqlx::query_scalar::<_, String>(&q)
            .fetch_one(&mut conn)
            .await
        {
            shown.push(format!("{name}={v}"));
        }
    }
    let _ = conn.close().await;
    println!("  postgresql (shared, as found): {}", shown.join(" "));
}

/// Starts the nodes of `backend`, each with `--rate-limit 0` and
/// `--send-rate 0` (a bench sender sends far faster than a person), room for
/// `max_connections`, and the per-address limits off (every client of the
/// bench is one address: 127.0.0.1), and prints how (the printed command
/// line is every setting changed from the defaults).
pub async fn start(ctx: &Ctx, backend: Backend, max_connections: usize) -> Result<Nodes> {
    // Room for the bench's own HTTP connections (logins, /metrics) too.
    let max = (max_connections + 64).to_string();
    let mut common: Vec<String> = [
        "--rate-limit",
        "0",
        "--send-rate",
        "0",
        "--max-connections",
        max.as_str(),
        // All of them from one address (the default is 1000).
        "--max-connections-per-ip",
        max.as_str(),
        // Thousands of logins and requests from that address in seconds.
        "--http-rate-limit",
        "0",
        "--session-rate-limit",
        "0",
    ]
    .map(String::from)
    .to_vec();
    common.extend(ctx.server_args.iter().cloned());
    if backend == Backend::NodeRelay {
        return start_relay(ctx).await;
    }
    let (count, redis) = match backend {
        Backend::Sqlite | Backend::NodeRelay => (1, None),
        Backend::Postgres | Backend::Cluster => {
            let base = ctx.pg_url.clone();
            let db = catching("PostgreSQL", async move { fresh_database(&base).await }).await?;
            print_pg_settings(&db).await;
            common.extend(["--database-url".into(), db]);
            if backend == Backend::Cluster {
                let redis = catching("private Redis", async { PrivateRedis::new() }).await?;
                println!(
                    "  private redis-server --port {} --save \"\" --appendonly no",
                    redis.port()
                );
                common.extend(["--redis-url".into(), redis.url()]);
                (3, Some(redis))
            } else {
                (1, None)
            }
        }
    };
    let mut servers = Vec::with_capacity(count);
    // One after the other: the first one runs the migrations.
    for n in 1..=count {
        let server = pinned(
            ctx,
            ServerProcess::start(&ctx.bin, &common, &ctx.server_log),
        )
        .await?
        .context(format!("node {n}"))?;
        println!(
            "  node {n}: confab --listen {} --data-dir <temp> {}",
            server.addr,
            common.join(" ")
        );
        servers.push(server);
    }
    Ok(Nodes {
        servers,
        _redis: redis,
    })
}

/// Starts the Node relay (its `ws` package installed by `npm ci` in its
/// directory).
async fn start_relay(ctx: &Ctx) -> Result<Nodes> {
    let dir = ctx.relay.parent().unwrap_or(std::path::Path::new("."));
    if !dir.join("node_modules/ws").is_dir() {
        return Err(BenchError(format!(
            "the Node relay has no ws package: run npm ci --prefix {}",
            dir.display()
        )));
    }
    let server = pinned(
        ctx,
        ServerProcess::start(&ctx.relay, Vec::<String>::new(), ""),
    )
    .await?
    .context("node relay")?;
    println!(
        "  node relay: {} --listen {}",
        ctx.relay.display(),
        server.addr
    );
    Ok(Nodes {
        servers: vec![server],
        _redis: None,
    })
}

/// Runs `start` (which starts a server child) with the bench on the
/// server CPUs, so that the child inherits them from its first instruction:
/// it sizes its thread pools by the CPUs it may use (actix starts one
/// worker per CPU), as it would on a machine of that size. The server and
/// the load generator then never share a core.
pub async fn pinned<T>(ctx: &Ctx, start: impl std::future::Future<Output = T>) -> Result<T> {
    let Some(cpus) = &ctx.server_cpus else {
        return Ok(start.await);
    };
    let me = std::process::id();
    taskset(cpus, me)?;
    let started = start.await;
    taskset(&ctx.bench_cpus, me)?;
    Ok(started)
}

/// `taskset -a -p -c cpus pid`.
pub fn taskset(cpus: &str, pid: u32) -> Result<()> {
    let out = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .output()
        .context("taskset (Debian package util-linux)")?;
    if !out.status.success() {
        return Err(BenchError(format!(
            "taskset -c {cpus} {pid}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Logs `names[i]` in at client `i`'s node; tokens in the same order.
pub async fn login_spread(ctx: &Ctx, nodes: &Nodes, names: &[String]) -> Result<Vec<String>> {
    let mut tokens = vec![String::new(); names.len()];
    for (n, server) in nodes.servers.iter().enumerate() {
        let idx: Vec<usize> = (n..names.len()).step_by(nodes.len()).collect();
        let mine: Vec<String> = idx.iter().map(|&i| names[i].clone()).collect();
        let sessions = login_all(&ctx.http, &server.url(""), &mine, ctx.concurrency).await?;
        for (i, s) in idx.into_iter().zip(sessions) {
            tokens[i] = s.token;
        }
    }
    Ok(tokens)
}

/// Connects `tokens[i]` to client `i`'s node, `concurrency` handshakes at a
/// time, and hands each socket to `then` right after its welcome.
pub async fn connect_spread<T, F>(
    ctx: &Ctx,
    nodes: &Nodes,
    tokens: &[String],
    deadline: Instant,
    then: F,
) -> Result<Vec<T>>
where
    F: Fn(usize, LinesSocket) -> T,
{
    let then = &then;
    let results: Vec<Result<T>> = futures_util::stream::iter(tokens.iter().enumerate())
        .map(|(i, token)| async move {
            let url = nodes.of(i).ws_url_for(ctx.framing);
            let ws = ws_connect_lines(&url, token, deadline)
                .await
                .context(format!("socket {i}"))?;
            Ok(then(i, ws))
        })
        .buffered(ctx.concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}
