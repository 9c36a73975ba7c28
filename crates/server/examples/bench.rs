//! Load benchmark of the real server: prints numbers, asserts only correctness.
//!
//! Build the server binary first (this example does not build it), then run:
//!
//! ```text
//! cargo build --release -p confab-server
//! cargo run --release -p confab-server --example bench [-- --help]
//! ```
//!
//! Every scenario starts its own `confab` child (the binary next to this
//! example: `target/release/confab`, or `--server-bin`) on a free port of
//! 127.0.0.1 with a fresh data directory (under `$TMPDIR`, so the disk there is
//! the one that fsyncs) and `--rate-limit 0`, waits for `/healthz`, and kills
//! it at the end, also on error. Clients are real: reqwest for
//! `POST /api/session`, tokio-tungstenite for `/ws`.
//!
//! 1. fan-out: `--listeners` sockets in `lobby`, one sender posts
//!    `--messages` messages (text = its send instant); prints deliveries/s and
//!    receive latency, and checks every listener got every message once, in
//!    seq order.
//! 2. ingest: `--senders` sockets, each in a room of its own, pipeline
//!    `--pipeline` sends and wait for every ack; prints stored messages/s, ack
//!    latency, and messages per store commit from `/metrics`.
//! 3. memory: the server's VmRSS before and with `--idle` idle sockets open.
//!
//! Exit status: 0 all fine, 1 a correctness check failed (lost, duplicated or
//! out-of-order message), 2 a scenario could not run.

use std::collections::HashSet;
use std::fmt::{self, Display};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::{Parser, ValueEnum};
use confab_shared::{ClientId, ClientMsg, MessageText, PresenceEvent, RoomId, ServerMsg};
use confab_testkit::{
    join_room, login_all, metric, next_frame, ws_connect, ws_connect_all, Incoming, ServerProcess,
    WsStream as Ws,
};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{sleep, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
enum Scenario {
    Fanout,
    Ingest,
    Memory,
}

#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Confab load benchmark (build the server first: \
    cargo build --release -p confab-server)"
)]
struct Args {
    /// Scenarios to run, comma separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "fanout,ingest,memory"
    )]
    scenarios: Vec<Scenario>,
    /// fan-out: listening sockets in lobby.
    #[arg(long, default_value_t = 500)]
    listeners: usize,
    /// fan-out: messages the sender posts.
    #[arg(long, default_value_t = 200)]
    messages: usize,
    /// fan-out: unacknowledged sends at most (0 = send all at once).
    #[arg(long, default_value_t = 0)]
    window: usize,
    /// ingest: sending sockets, each in its own room.
    #[arg(long, default_value_t = 50)]
    senders: usize,
    /// ingest: messages each sender pipelines before reading acks.
    #[arg(long, default_value_t = 100)]
    pipeline: usize,
    /// memory: idle sockets held open.
    #[arg(long, default_value_t = 1000)]
    idle: usize,
    /// Logins and WebSocket handshakes in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Time limit of each phase (setup, run) of a scenario, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Server binary [default: `confab` next to this example's directory].
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// RUST_LOG of the server child (its log goes to a file in its temp dir).
    #[arg(long, default_value = "warn")]
    server_log: String,
}

// ---------------------------------------------------------------- errors

/// Why a scenario could not run (network, server or setup trouble).
#[derive(Debug)]
struct BenchError(String);

impl BenchError {
    fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for BenchError {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

type Result<T, E = BenchError> = std::result::Result<T, E>;

trait Context<T> {
    fn context(self, what: impl Display) -> Result<T>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Result<T> {
        self.map_err(|e| BenchError(format!("{what}: {e}")))
    }
}

// ---------------------------------------------------------------- report

#[derive(Default)]
struct Report {
    rows: Vec<(&'static str, String, String)>,
    /// Failed correctness checks, each a sentence.
    violations: Vec<String>,
    /// Scenarios that could not run.
    errors: Vec<String>,
}

impl Report {
    fn row(&mut self, scenario: &'static str, what: impl Into<String>, value: impl Display) {
        self.rows.push((scenario, what.into(), value.to_string()));
    }

    /// A correctness count: shown always, a violation unless zero.
    fn check(&mut self, scenario: &'static str, what: &str, count: usize) {
        self.row(scenario, what, count);
        if count > 0 {
            self.violations.push(format!("{scenario}: {what}: {count}"));
        }
    }

    fn print(&self) {
        let width = self
            .rows
            .iter()
            .map(|r| r.1.len())
            .max()
            .unwrap_or(0)
            .max(11);
        println!();
        println!("{:<9} {:<width$} value", "scenario", "measurement");
        println!("{:-<9} {:-<width$} {:-<24}", "", "", "");
        let mut last = "";
        for (scenario, what, value) in &self.rows {
            let name = if *scenario == last { "" } else { scenario };
            last = scenario;
            println!("{name:<9} {what:<width$} {value}");
        }
        println!();
        for e in &self.errors {
            println!("ERROR      {e}");
        }
        for v in &self.violations {
            println!("VIOLATION  {v}");
        }
        if self.errors.is_empty() && self.violations.is_empty() {
            println!("all correctness checks passed");
        }
    }
}

// ---------------------------------------------------------------- server and clients

/// A `confab` child with `--rate-limit 0` and room for `max_connections`.
async fn start_server(
    bin: &Path,
    max_connections: usize,
    log_filter: &str,
) -> Result<ServerProcess> {
    let max = max_connections.to_string();
    let args = ["--rate-limit", "0", "--max-connections", max.as_str()];
    Ok(ServerProcess::start(bin, args, log_filter).await?)
}

/// Logs every name in, `concurrency` at a time; tokens in the same order.
async fn login_tokens(
    http: &reqwest::Client,
    server: &ServerProcess,
    names: &[String],
    concurrency: usize,
) -> Result<Vec<String>> {
    let sessions = login_all(http, &server.url(""), names, concurrency).await?;
    Ok(sessions.into_iter().map(|s| s.token).collect())
}

/// Polls until `count` reaches `want`.
async fn wait_count(count: &AtomicUsize, want: usize, deadline: Instant, what: &str) -> Result<()> {
    while count.load(Ordering::Relaxed) < want {
        if Instant::now() >= deadline {
            return Err(BenchError(format!(
                "only {} of {want} {what} in time",
                count.load(Ordering::Relaxed)
            )));
        }
        sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

fn nanos_since(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------- numbers

/// Sorted latencies in nanoseconds.
struct Latencies(Vec<u64>);

impl Latencies {
    fn new(mut v: Vec<u64>) -> Self {
        v.sort_unstable();
        Self(v)
    }

    fn quantile(&self, q: f64) -> Option<u64> {
        let n = self.0.len();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        Some(self.0[rank - 1])
    }

    /// "p50 / p99 / max" in milliseconds.
    fn summary(&self) -> String {
        let ms = |v: Option<u64>| match v {
            Some(ns) => format!("{:.2}", ns as f64 / 1e6),
            None => "-".into(),
        };
        format!(
            "{} / {} / {} ms",
            ms(self.quantile(0.5)),
            ms(self.quantile(0.99)),
            ms(self.0.last().copied())
        )
    }
}

fn per_sec(count: usize, nanos: u64) -> String {
    if nanos == 0 {
        return "-".into();
    }
    format!("{:.0}/s", count as f64 / (nanos as f64 / 1e9))
}

fn secs(nanos: u64) -> String {
    format!("{:.3} s", nanos as f64 / 1e9)
}

// ---------------------------------------------------------------- 1. fan-out

struct ListenerReport {
    seqs: Vec<u64>,
    latencies: Vec<u64>,
    last_recv: u64,
    ended: Option<String>,
    /// Kept so the socket stays open until every listener is done.
    _ws: Ws,
}

async fn listener(
    mut ws: Ws,
    sender: String,
    expect: usize,
    base: Instant,
    ready: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
    deadline: Instant,
) -> ListenerReport {
    let mut seqs = Vec::with_capacity(expect);
    let mut latencies = Vec::with_capacity(expect);
    let mut last_recv = 0;
    let mut ended = None;
    let mut is_ready = false;
    while seqs.len() < expect {
        let incoming = tokio::select! {
            incoming = next_frame(&mut ws, deadline) => incoming,
            _ = stop.wait_for(|s| *s) => {
                ended = Some("still waiting when the grace period ended".into());
                break;
            }
        };
        let now = nanos_since(base);
        match incoming {
            Incoming::Frame(ServerMsg::Message { message }) if message.from.as_str() == sender => {
                seqs.push(message.seq);
                match message.text.parse::<u64>() {
                    Ok(sent) => latencies.push(now.saturating_sub(sent)),
                    Err(_) => {
                        ended = Some(format!("unexpected text {:?}", message.text));
                        break;
                    }
                }
                last_recv = now;
            }
            Incoming::Frame(ServerMsg::Presence { user, event, .. })
                if !is_ready && event == PresenceEvent::Online && user.as_str() == sender =>
            {
                is_ready = true;
                ready.fetch_add(1, Ordering::Relaxed);
            }
            Incoming::Frame(_) => {}
            Incoming::Ended(why) => {
                ended = Some(why);
                break;
            }
            Incoming::TimedOut => {
                ended = Some("timed out".into());
                break;
            }
        }
    }
    ListenerReport {
        seqs,
        latencies,
        last_recv,
        ended,
        _ws: ws,
    }
}

struct SenderReport {
    /// The acknowledged seq of each message, by send index.
    acks: Vec<Option<u64>>,
    ack_latencies: Vec<u64>,
    first_send: u64,
    last_send: u64,
    problems: Vec<String>,
}

async fn fanout_sender(
    ws: &mut Ws,
    messages: usize,
    window: usize,
    base: Instant,
    deadline: Instant,
) -> Result<SenderReport> {
    let lobby = RoomId::lobby();
    let mut sent_at = Vec::with_capacity(messages);
    let mut acks = vec![None; messages];
    let mut ack_latencies = Vec::with_capacity(messages);
    let mut problems = Vec::new();
    let mut answered = 0;
    while answered < messages {
        while sent_at.len() < messages && (window == 0 || sent_at.len() - answered < window) {
            let i = sent_at.len();
            let now = nanos_since(base);
            let frame = ClientMsg::Send {
                room: lobby.clone(),
                text: MessageText::parse(&now.to_string())?,
                client_id: Some(ClientId::parse(&format!("b{i}"))?),
            };
            ws.send(WsMessage::Text(frame.to_json()))
                .await
                .context("sender")?;
            sent_at.push(now);
        }
        let incoming = next_frame(ws, deadline).await;
        let now = nanos_since(base);
        match incoming {
            Incoming::Frame(ServerMsg::Ack { client_id, message }) => {
                let index = client_id
                    .as_ref()
                    .and_then(|c| c.as_str().strip_prefix('b')?.parse::<usize>().ok())
                    .filter(|i| *i < sent_at.len());
                match index {
                    Some(i) if acks[i].is_none() => {
                        acks[i] = Some(message.seq);
                        ack_latencies.push(now.saturating_sub(sent_at[i]));
                        answered += 1;
                    }
                    _ => problems.push(format!("unexpected ack {client_id:?}")),
                }
            }
            Incoming::Frame(ServerMsg::Error {
                code, client_id, ..
            }) => {
                problems.push(format!("error {code:?} for {client_id:?}"));
                answered += 1;
            }
            Incoming::Frame(_) => {}
            Incoming::Ended(why) => return Err(BenchError(format!("sender: {why}"))),
            Incoming::TimedOut => return Err(BenchError::new("sender: acks timed out")),
        }
    }
    Ok(SenderReport {
        acks,
        ack_latencies,
        first_send: sent_at.first().copied().unwrap_or(0),
        last_send: sent_at.last().copied().unwrap_or(0),
        problems,
    })
}

async fn fanout(
    args: &Args,
    bin: &Path,
    http: &reqwest::Client,
    report: &mut Report,
) -> Result<()> {
    const S: &str = "fan-out";
    let (n, m) = (args.listeners, args.messages);
    let limit = Duration::from_secs(args.timeout_secs);
    let server = start_server(bin, n + 16, &args.server_log).await?;
    let setup_deadline = Instant::now() + limit;

    let sender_name = "fsender".to_owned();
    let mut names: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    names.push(sender_name.clone());
    let started = Instant::now();
    let mut tokens = login_tokens(http, &server, &names, args.concurrency).await?;
    let logins = started.elapsed();
    let sender_token = tokens.pop().unwrap_or_default();

    let base = Instant::now();
    let ready = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let listen_deadline = Instant::now() + 3 * limit;
    let started = Instant::now();
    let handles: Vec<JoinHandle<ListenerReport>> = ws_connect_all(
        &server.ws_url(),
        &tokens,
        args.concurrency,
        setup_deadline,
        |_, ws| {
            tokio::spawn(listener(
                ws,
                sender_name.clone(),
                m,
                base,
                ready.clone(),
                stop_rx.clone(),
                listen_deadline,
            ))
        },
    )
    .await?;
    let connects = started.elapsed();
    let mut sender = ws_connect(&server.ws_url(), &sender_token, setup_deadline)
        .await
        .context("sender socket")?;
    // Every listener has drained the presence storm once it sees the sender
    // come online (frames reach a connection in order).
    wait_count(&ready, n, setup_deadline, "listeners saw the sender online").await?;

    let run_deadline = Instant::now() + limit;
    let sent = fanout_sender(&mut sender, m, args.window, base, run_deadline).await?;
    let all = futures_util::future::join_all(handles);
    tokio::pin!(all);
    let joined = tokio::select! {
        joined = &mut all => joined,
        _ = sleep(Duration::from_secs(10)) => {
            let _ = stop_tx.send(true);
            all.await
        }
    };
    let mut listeners = Vec::with_capacity(joined.len());
    for j in joined {
        listeners.push(j.context("listener task")?);
    }
    drop(sender);

    // What the sender's acks say the listeners must see, in this order.
    let expected: Vec<u64> = sent.acks.iter().flatten().copied().collect();
    let expected_set: HashSet<u64> = expected.iter().copied().collect();
    let missing_acks = sent.acks.iter().filter(|a| a.is_none()).count();
    let ack_gaps = expected.windows(2).filter(|w| w[1] != w[0] + 1).count();

    let (mut lost, mut dups, mut out_of_order, mut unexpected) = (0, 0, 0, 0);
    let (mut complete, mut ended_early, mut deliveries, mut last_recv) = (0, 0, 0, 0);
    let mut first_end = None;
    let mut latencies = Vec::with_capacity(n * m);
    for l in &mut listeners {
        let distinct: HashSet<u64> = l.seqs.iter().copied().collect();
        lost += expected_set.difference(&distinct).count();
        unexpected += distinct.difference(&expected_set).count();
        dups += l.seqs.len() - distinct.len();
        out_of_order += l.seqs.windows(2).filter(|w| w[1] < w[0]).count();
        if l.seqs == expected {
            complete += 1;
        }
        if let Some(why) = &l.ended {
            ended_early += 1;
            first_end.get_or_insert_with(|| why.clone());
        }
        deliveries += l.seqs.len();
        last_recv = last_recv.max(l.last_recv);
        latencies.append(&mut l.latencies);
    }
    let latencies = Latencies::new(latencies);
    let span = last_recv.saturating_sub(sent.first_send);

    report.row(S, "listeners x messages", format!("{n} x {m}"));
    report.row(S, "send window (0 = all at once)", args.window.to_string());
    report.row(
        S,
        "setup: logins / connects",
        format!("{logins:.2?} / {connects:.2?}"),
    );
    report.row(
        S,
        "deliveries received / expected",
        format!("{deliveries} / {}", n * m),
    );
    report.row(
        S,
        "sending took",
        secs(sent.last_send.saturating_sub(sent.first_send)),
    );
    report.row(S, "first send to last delivery", secs(span));
    report.row(S, "deliveries/s", per_sec(deliveries, span));
    report.row(S, "delivery latency p50 / p99 / max", latencies.summary());
    report.row(
        S,
        "sender ack latency p50 / p99 / max",
        Latencies::new(sent.ack_latencies).summary(),
    );
    report.row(
        S,
        "listeners with every message in order",
        format!("{complete} / {n}"),
    );
    report.check(S, "sends not acked (missing or error)", missing_acks);
    report.check(S, "gaps in the acked seqs", ack_gaps);
    report.check(S, "lost deliveries", lost);
    report.check(S, "duplicated deliveries", dups);
    report.check(S, "out-of-order deliveries", out_of_order);
    report.check(S, "unexpected seqs delivered", unexpected);
    report.check(S, "listeners that stopped early", ended_early);
    if let Some(why) = first_end {
        report.row(S, "first listener stop", why);
    }
    for p in sent.problems.iter().take(3) {
        report.row(S, "sender problem", p);
    }
    Ok(())
}

// ---------------------------------------------------------------- 2. ingest

struct IngestReport {
    sent_at: Vec<u64>,
    /// (index, seq, receive instant) in arrival order.
    acks: Vec<(usize, u64, u64)>,
    base_seq: u64,
    problems: Vec<String>,
}

async fn ingest_client(
    ws: Ws,
    i: usize,
    room: RoomId,
    base_seq: u64,
    pipeline: usize,
    base: Instant,
    deadline: Instant,
) -> IngestReport {
    let (mut tx, mut rx) = ws.split();
    let prefix = format!("s{i}-");
    let send = async {
        let mut sent_at = Vec::with_capacity(pipeline);
        for j in 0..pipeline {
            let frame = match (
                MessageText::parse(&format!("ingest {i} {j}")),
                ClientId::parse(&format!("{prefix}{j}")),
            ) {
                (Ok(text), Ok(client_id)) => ClientMsg::Send {
                    room: room.clone(),
                    text,
                    client_id: Some(client_id),
                },
                _ => return (sent_at, Some("could not build a send frame".to_owned())),
            };
            let now = nanos_since(base);
            if let Err(e) = tx.send(WsMessage::Text(frame.to_json())).await {
                return (sent_at, Some(format!("send {j}: {e}")));
            }
            sent_at.push(now);
        }
        (sent_at, None)
    };
    let receive = async {
        let mut acks = Vec::with_capacity(pipeline);
        let mut problems = Vec::new();
        let mut answered = 0;
        while answered < pipeline {
            let incoming = next_frame(&mut rx, deadline).await;
            let now = nanos_since(base);
            match incoming {
                Incoming::Frame(ServerMsg::Ack { client_id, message }) => {
                    let index = client_id
                        .as_ref()
                        .and_then(|c| {
                            c.as_str()
                                .strip_prefix(prefix.as_str())?
                                .parse::<usize>()
                                .ok()
                        })
                        .filter(|j| *j < pipeline);
                    match index {
                        Some(j) => acks.push((j, message.seq, now)),
                        None => problems.push(format!("unexpected ack {client_id:?}")),
                    }
                    answered += 1;
                }
                Incoming::Frame(ServerMsg::Error {
                    code, client_id, ..
                }) => {
                    problems.push(format!("error {code:?} for {client_id:?}"));
                    answered += 1;
                }
                Incoming::Frame(_) => {}
                Incoming::Ended(why) => {
                    problems.push(format!("sender {i}: {why}"));
                    break;
                }
                Incoming::TimedOut => {
                    problems.push(format!("sender {i}: acks timed out"));
                    break;
                }
            }
        }
        (acks, problems)
    };
    let ((sent_at, send_problem), (acks, mut problems)) = tokio::join!(send, receive);
    problems.extend(send_problem);
    IngestReport {
        sent_at,
        acks,
        base_seq,
        problems,
    }
}

async fn ingest(
    args: &Args,
    bin: &Path,
    http: &reqwest::Client,
    report: &mut Report,
) -> Result<()> {
    const S: &str = "ingest";
    let (k, p) = (args.senders, args.pipeline);
    let limit = Duration::from_secs(args.timeout_secs);
    let server = start_server(bin, k + 16, &args.server_log).await?;
    let setup_deadline = Instant::now() + limit;
    let names: Vec<String> = (0..k).map(|i| format!("i{i}")).collect();
    let tokens = login_tokens(http, &server, &names, args.concurrency).await?;
    let mut sockets = ws_connect_all(
        &server.ws_url(),
        &tokens,
        args.concurrency,
        setup_deadline,
        |i, ws| (i, ws),
    )
    .await?;
    let mut rooms = Vec::with_capacity(k);
    for (i, ws) in &mut sockets {
        let room = RoomId::parse(&format!("ingest-{i}"))?;
        let base_seq = join_room(ws, &room, setup_deadline).await?;
        rooms.push((room, base_seq));
    }
    // Let the presence of the joins settle before measuring.
    sleep(Duration::from_millis(200)).await;
    let before = server.metrics().await?;

    let base = Instant::now();
    let run_deadline = base + limit;
    let handles: Vec<JoinHandle<IngestReport>> = sockets
        .into_iter()
        .zip(rooms)
        .map(|((i, ws), (room, base_seq))| {
            tokio::spawn(ingest_client(ws, i, room, base_seq, p, base, run_deadline))
        })
        .collect();
    let mut clients = Vec::with_capacity(k);
    for h in futures_util::future::join_all(handles).await {
        clients.push(h.context("ingest task")?);
    }
    let after = server.metrics().await?;

    let (mut missing, mut dups, mut wrong_seq, mut errors) = (0, 0, 0, 0);
    let mut latencies = Vec::with_capacity(k * p);
    let (mut first_send, mut last_ack, mut acked) = (u64::MAX, 0, 0);
    let mut problems = Vec::new();
    for c in &clients {
        let mut seen = vec![false; p];
        for &(j, seq, at) in &c.acks {
            if seen[j] {
                dups += 1;
                continue;
            }
            seen[j] = true;
            acked += 1;
            // One connection, one room, sent in order: message j gets seq base+j+1.
            if seq != c.base_seq + j as u64 + 1 {
                wrong_seq += 1;
            }
            if let Some(sent) = c.sent_at.get(j) {
                latencies.push(at.saturating_sub(*sent));
            }
            last_ack = last_ack.max(at);
        }
        missing += seen.iter().filter(|s| !**s).count();
        errors += c.problems.len();
        problems.extend(c.problems.iter().take(2).cloned());
        first_send = first_send.min(c.sent_at.first().copied().unwrap_or(u64::MAX));
    }
    let span = last_ack.saturating_sub(first_send);
    let stored = metric(&after, "confab_messages_stored_total")?
        - metric(&before, "confab_messages_stored_total")?;
    let commits = metric(&after, "confab_store_latency_seconds_count")?
        - metric(&before, "confab_store_latency_seconds_count")?;
    let commit_secs = metric(&after, "confab_store_latency_seconds_sum")?
        - metric(&before, "confab_store_latency_seconds_sum")?;
    let stored_mismatch = (stored as usize).abs_diff(k * p);

    report.row(S, "senders x pipelined messages", format!("{k} x {p}"));
    report.row(S, "acked / sent", format!("{acked} / {}", k * p));
    report.row(S, "first send to last ack", secs(span));
    report.row(S, "stored messages/s", per_sec(acked, span));
    report.row(
        S,
        "ack latency p50 / p99 / max",
        Latencies::new(latencies).summary(),
    );
    report.row(S, "messages stored (metrics)", format!("{stored:.0}"));
    report.row(
        S,
        "store commits (latency_seconds_count)",
        format!("{commits:.0}"),
    );
    if commits > 0.0 {
        report.row(S, "messages per commit", format!("{:.1}", stored / commits));
        report.row(
            S,
            "mean commit time",
            format!("{:.2} ms", commit_secs / commits * 1e3),
        );
    }
    report.check(S, "sends without ack", missing);
    report.check(S, "duplicated acks", dups);
    report.check(S, "acks with an unexpected seq", wrong_seq);
    report.check(S, "error frames / socket problems", errors);
    report.check(S, "metrics stored != sent", stored_mismatch);
    for p in problems.iter().take(3) {
        report.row(S, "problem", p);
    }
    Ok(())
}

// ---------------------------------------------------------------- 3. memory

/// Reads (and drops) whatever an idle socket is sent, until told to stop.
async fn drain(
    mut ws: Ws,
    marker: String,
    ready: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
    deadline: Instant,
) -> (Ws, Option<String>) {
    let mut is_ready = false;
    loop {
        let incoming = tokio::select! {
            incoming = next_frame(&mut ws, deadline) => incoming,
            _ = stop.wait_for(|s| *s) => return (ws, None),
        };
        match incoming {
            Incoming::Frame(ServerMsg::Presence { user, event, .. })
                if !is_ready && event == PresenceEvent::Online && user.as_str() == marker =>
            {
                is_ready = true;
                ready.fetch_add(1, Ordering::Relaxed);
            }
            Incoming::Frame(_) => {}
            Incoming::Ended(why) => return (ws, Some(why)),
            Incoming::TimedOut => return (ws, Some("timed out".into())),
        }
    }
}

async fn memory(
    args: &Args,
    bin: &Path,
    http: &reqwest::Client,
    report: &mut Report,
) -> Result<()> {
    const S: &str = "memory";
    let c = args.idle;
    let limit = Duration::from_secs(args.timeout_secs);
    let server = start_server(bin, c + 16, &args.server_log).await?;
    let rss_start = server.rss_kib()?;
    let setup_deadline = Instant::now() + limit;
    let marker = "mmarker".to_owned();
    let mut names: Vec<String> = (0..c).map(|i| format!("m{i}")).collect();
    names.push(marker.clone());
    let mut tokens = login_tokens(http, &server, &names, args.concurrency).await?;
    let marker_token = tokens.pop().unwrap_or_default();
    sleep(Duration::from_millis(300)).await;
    let rss_before = server.rss_kib()?;

    let ready = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let drain_deadline = Instant::now() + 3 * limit;
    let handles = ws_connect_all(
        &server.ws_url(),
        &tokens,
        args.concurrency,
        setup_deadline,
        |_, ws| {
            tokio::spawn(drain(
                ws,
                marker.clone(),
                ready.clone(),
                stop_rx.clone(),
                drain_deadline,
            ))
        },
    )
    .await?;
    let marker_ws = ws_connect(&server.ws_url(), &marker_token, setup_deadline)
        .await
        .context("marker socket")?;
    wait_count(
        &ready,
        c,
        setup_deadline,
        "idle sockets saw the last one come online",
    )
    .await?;
    sleep(Duration::from_millis(500)).await;
    let rss_open = server.rss_kib()?;
    let open = metric(
        &server.metrics().await?,
        "confab_connections{transport=\"websocket\"}",
    )?;

    let _ = stop_tx.send(true);
    let mut closed_early = 0;
    let mut first_close = None;
    let mut sockets = Vec::with_capacity(c);
    for h in futures_util::future::join_all(handles).await {
        let (ws, ended) = h.context("drain task")?;
        if let Some(why) = ended {
            closed_early += 1;
            first_close.get_or_insert(why);
        }
        sockets.push(ws);
    }
    drop(sockets);
    drop(marker_ws);
    let close_deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = server.metrics().await?;
        let still = metric(&text, "confab_connections{transport=\"websocket\"}")?;
        if still == 0.0 || Instant::now() >= close_deadline {
            break;
        }
        sleep(Duration::from_millis(50)).await;
    }
    sleep(Duration::from_millis(300)).await;
    let rss_closed = server.rss_kib()?;

    let sockets_open = c + 1;
    let per_conn = rss_open.saturating_sub(rss_before) as f64 / sockets_open as f64;
    report.row(S, "idle sockets (+1 marker)", format!("{c} + 1"));
    report.row(S, "server says open (websocket)", format!("{open:.0}"));
    report.row(S, "RSS at start", format!("{rss_start} KiB"));
    report.row(
        S,
        "RSS after logins, no sockets",
        format!("{rss_before} KiB"),
    );
    report.row(S, "RSS with sockets open", format!("{rss_open} KiB"));
    report.row(S, "RSS per socket", format!("{per_conn:.1} KiB"));
    report.row(S, "RSS after all closed", format!("{rss_closed} KiB"));
    report.check(S, "sockets closed by the server early", closed_early);
    if let Some(why) = first_close {
        report.row(S, "first early close", why);
    }
    Ok(())
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
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(got) if got < needed => {
            eprintln!("bench: warning: open file limit {got} < {needed} needed");
        }
        Ok(_) => {}
        Err(e) => eprintln!("bench: warning: cannot raise the open file limit: {e}"),
    }
    let http = confab_testkit::http();
    println!(
        "confab bench: server {}, {} CPUs",
        bin.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut report = Report::default();
    let mut seen = HashSet::new();
    for scenario in args.scenarios.iter().filter(|s| seen.insert(**s)) {
        let started = Instant::now();
        eprintln!("bench: running {scenario:?} ...");
        let result = match scenario {
            Scenario::Fanout => fanout(&args, &bin, &http, &mut report).await,
            Scenario::Ingest => ingest(&args, &bin, &http, &mut report).await,
            Scenario::Memory => memory(&args, &bin, &http, &mut report).await,
        };
        eprintln!("bench: {scenario:?} done in {:.1?}", started.elapsed());
        if let Err(e) = result {
            report.errors.push(format!("{scenario:?}: {e}"));
        }
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
