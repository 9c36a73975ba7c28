//! Load benchmark of the real server: prints numbers, asserts only correctness.
//!
//! Build the server binary first (this example does not build it), then run:
//!
//! ```text
//! cargo build --release -p confab-server --bin confab --examples
//! target/release/examples/bench [--help]
//! ```
//!
//! Every scenario starts its own `confab` children (the binary next to this
//! example: `target/release/confab`, or `--server-bin`) on free ports of
//! 127.0.0.1, each with a fresh data directory (under `$TMPDIR`, so the disk
//! there is the one that fsyncs), `--rate-limit 0`, `--send-rate 0`, `--max-connections` and
//! `--max-connections-per-ip` raised to what the scenario opens,
//! `--http-rate-limit 0` and `--session-rate-limit 0` (every client is
//! 127.0.0.1), waits for `/healthz`, and kills them at
//! the end, also on error. Clients are real: reqwest for `POST /api/session`,
//! tokio-tungstenite for `/ws`. Every setting that differs from the server's
//! defaults is printed.
//!
//! - `fanout`: `--listeners` sockets in `lobby`, one sender posts
//!   `--messages` messages (text = its send instant); deliveries/s and
//!   receive latency; every listener must get every message once, in order.
//! - `ingest`: `--senders` sockets, each in a room of its own, pipeline
//!   `--pipeline` sends and wait for every ack; acked messages/s, ack
//!   latency, messages per store commit from `/metrics`.
//! - `one-room`: the same with every sender in one room; each also receives
//!   every message of the others, so sends are windowed (`--room-window`).
//! - `memory`: the server's VmRSS before and with `--idle` idle sockets open.
//! - `pg`: `ingest` against one node on a fresh PostgreSQL database (made on
//!   `--pg-url`'s server).
//! - `cluster`: three nodes on one fresh PostgreSQL database and a private
//!   `redis-server` of this run; `ingest` with the senders dealt round-robin
//!   over the nodes, then `fanout` with the listeners dealt over the nodes
//!   and the sender on node 1 (end-to-end latency to nodes 2 and 3).
//!
//! Loopback only; every wait is bounded by `--timeout-secs`.
//! Exit status: 0 all fine, 1 a correctness check failed (lost, duplicated or
//! out-of-order message), 2 a scenario could not run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Parser, ValueEnum};
use confab_shared::Framing;
use tokio::time::Instant;

#[path = "bench/fanout.rs"]
mod fanout;
#[path = "bench/ingest.rs"]
mod ingest;
#[path = "bench/ingest_client.rs"]
mod ingest_client;
#[path = "bench/memory.rs"]
mod memory;
#[path = "bench/nodes.rs"]
mod nodes;
#[path = "bench/report.rs"]
mod report;

use ingest::{Load, Rooms, Run};
use nodes::{Backend, Ctx};
use report::{BenchError, Context, Report, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
enum Scenario {
    Fanout,
    Ingest,
    OneRoom,
    Latency,
    Memory,
    Pg,
    Cluster,
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "bench",
    about = "Confab load benchmark (build the server first: \
    cargo build --release -p confab-server)"
)]
pub struct Args {
    /// Scenarios to run, comma separated (pg and cluster need PostgreSQL;
    /// cluster also redis-server).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "fanout,ingest,one-room,latency,memory"
    )]
    scenarios: Vec<Scenario>,
    /// Skip the same loads against the Node `ws` relay.
    #[arg(long)]
    no_node: bool,
    /// CPUs the servers run on (`taskset -c` list); the bench itself runs
    /// on the others [default: 0 when there are at least 2 CPUs; "none"
    /// turns pinning off].
    #[arg(long)]
    server_cpus: Option<String>,
    /// fan-out: sockets in lobby (the senders among them).
    #[arg(long, default_value_t = 200)]
    pub listeners: usize,
    /// fan-out: how many of those sockets also send.
    #[arg(long, default_value_t = 10)]
    pub fanout_senders: usize,
    /// fan-out: messages each sender posts.
    #[arg(long, default_value_t = 300)]
    pub messages: usize,
    /// fan-out: messages a second each sender posts.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// ingest: sending sockets, each in its own room (one-room: all in one).
    #[arg(long, default_value_t = 100)]
    pub senders: usize,
    /// one-room: sending sockets, all in one room.
    #[arg(long, default_value_t = 50)]
    pub room_senders: usize,
    /// ingest: messages each sender pipelines before reading acks.
    #[arg(long, default_value_t = 300)]
    pub pipeline: usize,
    /// latency: messages a second offered over all `--senders`.
    #[arg(long, default_value_t = 5000.0)]
    pub offered: f64,
    /// latency: seconds the offered load lasts.
    #[arg(long, default_value_t = 5.0)]
    pub offered_secs: f64,
    /// one-room: unacknowledged sends per sender at most (0 = all at once;
    /// every sender reads every message, and a socket that falls 1024
    /// frames behind is closed with 1013).
    #[arg(long, default_value_t = 4)]
    pub room_window: usize,
    /// memory: idle sockets held open.
    #[arg(long, default_value_t = 10_000)]
    pub idle: usize,
    /// Logins and WebSocket handshakes in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Clients connect without `?frames=lines` (one server frame per
    /// WebSocket frame), to compare.
    #[arg(long)]
    pub single_frames: bool,
    /// Time limit of each phase (setup, run) of a scenario, in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
    /// Server binary [default: `confab` next to this example's directory].
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// An extra argument for every Confab server (repeat it; for example
    /// `--server-arg=--write-delay-ms --server-arg=0`).
    #[arg(long, allow_hyphen_values = true)]
    server_arg: Vec<String>,
    /// RUST_LOG of the server children (their logs go to their temp dirs).
    #[arg(long, default_value = "warn")]
    server_log: String,
    /// pg, cluster: PostgreSQL server to make a fresh database on
    /// [default: CONFAB_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test].
    #[arg(long)]
    pg_url: Option<String>,
}

// ---------------------------------------------------------------- main

/// `target/release/confab` for `target/release/examples/bench`.
fn default_server_bin() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("current_exe")?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| BenchError::new("cannot locate the target directory"))?;
    Ok(dir.join(format!("confab{}", std::env::consts::EXE_SUFFIX)))
}

/// Warns when the server sources changed after the binary was built.
fn warn_if_stale(bin: &Path) {
    fn newest(dir: &Path, depth: u32) -> Option<SystemTime> {
        let mut best = None;
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            let t = if path.is_dir() && depth > 0 {
                newest(&path, depth - 1)
            } else {
                entry.metadata().and_then(|m| m.modified()).ok()
            };
            best = best.max(t);
        }
        best
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let built = std::fs::metadata(bin).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(changed)) = (built, newest(&src, 4)) {
        if changed > built {
            eprintln!(
                "bench: warning: {} is older than crates/server/src; \
                 rebuild with cargo build --release -p confab-server",
                bin.display()
            );
        }
    }
}

/// The latency of `count` 4 KiB writes each followed by `fdatasync`, in a
/// file under `dir` (where the servers' data directories go): what one
/// durable commit costs at least, so what group commit has to amortise.
fn fsync_latency(dir: &Path, count: usize) -> std::io::Result<report::Latencies> {
    use std::io::Write as _;
    let probe = tempfile::NamedTempFile::new_in(dir)?;
    let mut file = probe.as_file();
    let block = [0u8; 4096];
    let mut took = Vec::with_capacity(count);
    for _ in 0..count {
        let started = std::time::Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        took.push(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok(report::Latencies::new(took))
}

async fn run(args: Args) -> ExitCode {
    let bin = match args.server_bin.clone().map_or_else(default_server_bin, Ok) {
        Ok(bin) if bin.is_file() => bin,
        Ok(bin) => {
            eprintln!(
                "bench: no server binary at {}; build it first with \
                 cargo build --release -p confab-server (or pass --server-bin)",
                bin.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::from(2);
        }
    };
    warn_if_stale(&bin);
    // Every client socket is a file descriptor of this process.
    let needed = (args.listeners.max(args.senders).max(args.idle) + 64) as u64;
    println!(
        "confab bench: server {}, {} CPUs",
        bin.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("  {args:?}");
    println!(
        "  clients connect to {}{}",
        if args.single_frames {
            Framing::Single
        } else {
            Framing::Lines
        }
        .ws_path(),
        if args.single_frames {
            " (--single-frames): one server frame per WebSocket frame"
        } else {
            ", as the browser client does: a text frame may carry several server frames"
        }
    );
    let (soft_before, hard_before) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap_or((0, 0));
    // The servers inherit this limit and hold as many sockets as the bench:
    // raise the hard one too where we may (as root), with room to spare.
    let want = needed + 1024;
    if hard_before < want && rlimit::setrlimit(rlimit::Resource::NOFILE, want, want).is_ok() {
        println!("  open-file hard limit raised: {hard_before} -> {want}");
    }
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(got) => {
            println!("  open-file limit of the bench (servers inherit it): {soft_before} -> {got}");
            if got < want {
                eprintln!(
                    "bench: warning: open file limit {got} < {want}: servers may refuse sockets"
                );
            }
        }
        Err(e) => eprintln!("bench: warning: cannot raise the open file limit: {e}"),
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let server_cpus = match args.server_cpus.as_deref() {
        Some("none") => None,
        Some(list) => Some(list.to_owned()),
        None if cpus >= 2 => Some("0".to_owned()),
        None => None,
    };
    // The bench on every CPU but the servers' (all of them if that leaves
    // none).
    let bench_cpus = {
        let servers: Vec<String> = server_cpus
            .iter()
            .flat_map(|list| list.split(','))
            .map(str::to_owned)
            .collect();
        let others: Vec<String> = (0..cpus)
            .map(|c| c.to_string())
            .filter(|c| !servers.contains(c))
            .collect();
        if others.is_empty() {
            format!("0-{}", cpus.saturating_sub(1))
        } else {
            others.join(",")
        }
    };
    if let Some(list) = &server_cpus {
        match nodes::taskset(&bench_cpus, std::process::id()) {
            Ok(()) => println!(
                "  servers pinned to CPU {list} from their start, the bench to CPU {bench_cpus} (taskset)"
            ),
            Err(e) => eprintln!("bench: warning: {e}"),
        }
    }
    let ctx = Ctx {
        relay: Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bench/node_relay/relay.js"),
        server_cpus,
        bench_cpus,
        bin,
        http: confab_testkit::http(),
        server_log: args.server_log.clone(),
        server_args: args.server_arg.clone(),
        concurrency: args.concurrency,
        framing: if args.single_frames {
            Framing::Single
        } else {
            Framing::Lines
        },
        pg_url: args
            .pg_url
            .clone()
            .unwrap_or_else(confab_testkit::test_pg_url),
    };
    let mut report = Report::default();
    match fsync_latency(&std::env::temp_dir(), 100) {
        Ok(latencies) => report.row(
            "disk",
            "fsync of 4 KiB, p50 / p99 / max",
            latencies.summary(),
        ),
        Err(e) => report.errors.push(format!("fsync probe: {e}")),
    }
    let mut seen = HashSet::new();
    for scenario in args.scenarios.iter().filter(|s| seen.insert(**s)) {
        let started = Instant::now();
        println!("bench: running {scenario:?} ...");
        let backends: &[Backend] = match scenario {
            Scenario::Pg | Scenario::Cluster => &[Backend::Sqlite],
            _ if args.no_node => &[Backend::Sqlite],
            _ => &[Backend::Sqlite, Backend::NodeRelay],
        };
        for &b in backends {
            let result = run_scenario(&args, &ctx, *scenario, b, &mut report).await;
            if let Err(e) = result {
                report
                    .errors
                    .push(format!("{}: {e}", b.label(&format!("{scenario:?}"))));
            }
        }
        println!("bench: {scenario:?} done in {:.1?}", started.elapsed());
    }
    report.print();
    if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if !report.violations.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs one scenario against `backend` (Pg and Cluster pick their own).
async fn run_scenario(
    args: &Args,
    ctx: &Ctx,
    scenario: Scenario,
    backend: Backend,
    r: &mut Report,
) -> Result<()> {
    let spec = |backend, rooms, load, name| Run {
        backend,
        rooms,
        load,
        name,
    };
    match scenario {
        Scenario::Fanout => fanout::run(args, ctx, backend, "fan-out", r).await,
        Scenario::Ingest => {
            let run = spec(backend, Rooms::OwnRoom, Load::Saturate, "ingest");
            ingest::run(args, ctx, run, r).await
        }
        Scenario::OneRoom => {
            let one_room = Args {
                senders: args.room_senders,
                ..args.clone()
            };
            let run = spec(backend, Rooms::OneRoom, Load::Saturate, "one-room");
            ingest::run(&one_room, ctx, run, r).await
        }
        Scenario::Latency => {
            let load = Load::Offered {
                per_sec: args.offered,
                secs: args.offered_secs,
            };
            let run = spec(backend, Rooms::OwnRoom, load, "latency");
            ingest::run(args, ctx, run, r).await
        }
        Scenario::Memory => memory::run(args, ctx, backend, r).await,
        Scenario::Pg => {
            let run = spec(
                Backend::Postgres,
                Rooms::OwnRoom,
                Load::Saturate,
                "pg-ingest",
            );
            ingest::run(args, ctx, run, r).await
        }
        Scenario::Cluster => {
            let run = spec(
                Backend::Cluster,
                Rooms::OwnRoom,
                Load::Saturate,
                "cluster-ingest",
            );
            if let Err(e) = ingest::run(args, ctx, run, r).await {
                r.errors.push(format!("cluster-ingest: {e}"));
            }
            fanout::run(args, ctx, Backend::Cluster, "cluster-fan-out", r).await
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tokio::select! {
        code = run(args) => code,
        _ = tokio::signal::ctrl_c() => {
            // Dropping `run` drops its `Server`, which kills the child.
            eprintln!("bench: interrupted");
            ExitCode::from(130)
        }
    }
}
