//! Ingest: `--senders` sockets dealt round-robin over the nodes, each in a
//! room of its own (or all in one room), pipeline `--pipeline` sends and
//! wait for every ack; acked messages/s, ack latency, messages per commit.

use std::collections::HashSet;
use std::time::Duration;

use confab_shared::RoomId;
use confab_testkit::join_room;
use tokio::task::JoinHandle;
use tokio::time::{sleep, Instant};

use crate::ingest_client::{client, ClientReport};
use crate::nodes::{self, Backend, Ctx};
use crate::report::{per_sec, secs, Context, Latencies, Report, Result};
use crate::Args;

/// How fast the senders send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// As fast as acks come back: `--pipeline` messages each, all at once
    /// (one room: at most `--room-window` unacknowledged).
    Saturate,
    /// `per_sec` messages a second over all senders, for `secs` seconds.
    Offered { per_sec: f64, secs: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rooms {
    /// Sender `i` posts to `ingest-<i>`.
    OwnRoom,
    /// Every sender posts to `ingest-one` (and so receives every message).
    OneRoom,
}

/// What a run measures and how it is named.
pub struct Run {
    pub backend: Backend,
    pub rooms: Rooms,
    pub load: Load,
    /// The scenario's name (the report adds the backend's).
    pub name: &'static str,
}

pub async fn run(args: &Args, ctx: &Ctx, spec: Run, report: &mut Report) -> Result<()> {
    let Run {
        backend,
        rooms: rooms_mode,
        load,
        name,
    } = spec;
    let s = &backend.label(name);
    let k = args.senders;
    let (p, pace) = match load {
        Load::Saturate => (args.pipeline, None),
        Load::Offered { per_sec, secs } => (
            ((per_sec * secs) / k as f64).ceil().max(1.0) as usize,
            Some(Duration::from_secs_f64(k as f64 / per_sec.max(0.001))),
        ),
    };
    let window = match (rooms_mode, load) {
        (_, Load::Offered { .. }) => 0,
        (Rooms::OwnRoom, _) => 0,
        (Rooms::OneRoom, _) => args.room_window,
    };
    let with_metrics = backend != Backend::NodeRelay;
    let limit =
        Duration::from_secs(args.timeout_secs) + pace.map_or(Duration::ZERO, |t| t * p as u32);
    let nodes = nodes::start(ctx, backend, k + 16).await?;
    let setup_deadline = Instant::now() + limit;
    let names: Vec<String> = (0..k).map(|i| format!("i{i}")).collect();
    let tokens = nodes::login_spread(ctx, &nodes, &names).await?;
    let mut sockets =
        nodes::connect_spread(ctx, &nodes, &tokens, setup_deadline, |i, ws| (i, ws)).await?;
    let mut rooms = Vec::with_capacity(k);
    for (i, ws) in &mut sockets {
        let room = match rooms_mode {
            Rooms::OwnRoom => RoomId::parse(&format!("ingest-{i}"))?,
            Rooms::OneRoom => RoomId::parse("ingest-one")?,
        };
        let base_seq = join_room(ws, &room, setup_deadline).await?;
        rooms.push((room, base_seq));
    }
    // Let the presence of the joins settle before measuring.
    sleep(Duration::from_millis(300)).await;
    let sums = [
        "confab_messages_stored_total",
        "confab_store_latency_seconds_count",
        "confab_store_latency_seconds_sum",
    ];
    let before = metric_sums(&nodes, with_metrics, &sums).await?;
    let cpu_before = nodes.cpu_secs()?;

    let base = Instant::now();
    let run_deadline = base + limit;
    let handles: Vec<JoinHandle<ClientReport>> = sockets
        .into_iter()
        .zip(rooms)
        .map(|((i, ws), (room, base_seq))| {
            tokio::spawn(client(
                ws,
                i,
                room,
                base_seq,
                p,
                window,
                pace,
                base,
                run_deadline,
            ))
        })
        .collect();
    let mut clients = Vec::with_capacity(k);
    for h in futures_util::future::join_all(handles).await {
        clients.push(h.context("ingest task")?);
    }
    let cpu = nodes.cpu_secs()? - cpu_before;
    let after = metric_sums(&nodes, with_metrics, &sums).await?;
    let [stored, commits, commit_secs] = [0, 1, 2].map(|i| after[i] - before[i]);
    // Every ack's arrival, to find the longest stretch without one.
    let mut ack_times: Vec<u64> = clients
        .iter()
        .flat_map(|c| c.acks.iter().map(|a| a.2))
        .collect();
    ack_times.sort_unstable();
    let gaps = |from: usize| {
        let times = ack_times.get(from..).unwrap_or_default();
        times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    };
    let longest_gap = gaps(0);
    // Past the start, when a fresh database's first commits grow its files.
    let steady_gap = gaps(ack_times.len() / 20);

    let (mut missing, mut dups, mut wrong_seq, mut errors) = (0, 0, 0, 0);
    let mut latencies = Vec::with_capacity(k * p);
    let (mut first_send, mut last_ack, mut acked, mut deliveries) = (u64::MAX, 0, 0, 0);
    let mut problems = Vec::new();
    // One room: every acked seq, to check they are distinct and gap-free.
    let mut shared_seqs = HashSet::new();
    let mut shared_base = 0;
    for c in &clients {
        let mut seen = vec![false; p];
        let mut by_index = vec![None; p];
        for &(j, seq, at) in &c.acks {
            if seen[j] {
                dups += 1;
                continue;
            }
            seen[j] = true;
            by_index[j] = Some(seq);
            acked += 1;
            match rooms_mode {
                // One connection, one room, sent in order: message j gets seq base+j+1.
                Rooms::OwnRoom if seq != c.base_seq + j as u64 + 1 => wrong_seq += 1,
                Rooms::OwnRoom => {}
                Rooms::OneRoom => {
                    if !shared_seqs.insert(seq) {
                        wrong_seq += 1;
                    }
                }
            }
            if let Some(sent) = c.sent_at.get(j) {
                latencies.push(at.saturating_sub(*sent));
            }
            last_ack = last_ack.max(at);
        }
        if rooms_mode == Rooms::OneRoom {
            shared_base = shared_base.max(c.base_seq);
            // One connection's sends keep their order in the room.
            let seqs: Vec<u64> = by_index.iter().flatten().copied().collect();
            wrong_seq += seqs.windows(2).filter(|w| w[1] <= w[0]).count();
        }
        deliveries += c.deliveries;
        missing += seen.iter().filter(|s| !**s).count();
        errors += c.problems.len();
        problems.extend(c.problems.iter().take(2).cloned());
        first_send = first_send.min(c.sent_at.first().copied().unwrap_or(u64::MAX));
    }
    if rooms_mode == Rooms::OneRoom {
        // The joins (one after the other) came before every send: seqs are
        // last join's latest+1 ..= +k*p.
        let want = (shared_base + 1)..=(shared_base + (k * p) as u64);
        wrong_seq += shared_seqs.iter().filter(|s| !want.contains(s)).count();
    }
    let span = last_ack.saturating_sub(first_send);
    let stored_mismatch = if with_metrics {
        (stored as usize).abs_diff(k * p)
    } else {
        0
    };

    let rooms_text = match rooms_mode {
        Rooms::OwnRoom => format!("{k}"),
        Rooms::OneRoom => "1".to_owned(),
    };
    report.row(s, "nodes", nodes.len());
    report.row(s, "rooms", rooms_text);
    report.row(s, "senders x pipelined messages", format!("{k} x {p}"));
    if rooms_mode == Rooms::OneRoom {
        report.row(s, "unacked sends per sender at most", window);
    }
    report.row(s, "acked / sent", format!("{acked} / {}", k * p));
    report.row(s, "first send to last ack", secs(span));
    report.row(s, "acked messages/s", per_sec(acked, span));
    if let Load::Offered {
        per_sec: offered, ..
    } = load
    {
        report.row(s, "offered messages/s", format!("{offered:.0}/s"));
    }
    let per_ack = cpu * 1e6 / acked.max(1) as f64;
    report.row(
        s,
        "server CPU over the run / per ack",
        format!("{cpu:.2} s / {per_ack:.1} µs"),
    );
    report.row(
        s,
        "longest stretch without an ack: all / after the first 5 %",
        format!(
            "{:.1} / {:.1} ms",
            longest_gap as f64 / 1e6,
            steady_gap as f64 / 1e6
        ),
    );
    let rate = if span > 0 {
        acked as f64 / (span as f64 / 1e9)
    } else {
        0.0
    };
    let latencies = Latencies::new(latencies);
    let p99_ms = latencies.quantile(0.99).unwrap_or(0) as f64 / 1e6;
    let (gap_ms, steady_ms) = (longest_gap as f64 / 1e6, steady_gap as f64 / 1e6);
    match (load, rooms_mode, backend) {
        (Load::Offered { per_sec, .. }, _, _) => {
            let at = format!("at {per_sec:.0}/s offered");
            report.figure(
                &format!("ack latency p99 {at} (ms)"),
                "< 10",
                backend,
                p99_ms,
            );
            report.figure(
                &format!("server CPU per ack {at} (µs)"),
                "≤ 20",
                backend,
                per_ack,
            );
        }
        (_, Rooms::OneRoom, _) => {
            report.figure(
                &format!("one room, {k} senders: acked/s"),
                "≥ 20000",
                backend,
                rate,
            );
        }
        (_, Rooms::OwnRoom, Backend::Postgres) => {
            report.figure(
                &format!("PostgreSQL, {k} rooms: acked/s"),
                "≥ 10000",
                backend,
                rate,
            );
        }
        (_, Rooms::OwnRoom, Backend::Sqlite | Backend::NodeRelay) => {
            report.figure(
                &format!("ingest, {k} rooms: acked/s"),
                "≥ 50000",
                backend,
                rate,
            );
            report.figure(
                "ingest: longest stretch without acks (ms)",
                "≤ 20",
                backend,
                gap_ms,
            );
            let what = "ingest: the same after the first 5 % of acks (ms)";
            report.figure(what, "≤ 20", backend, steady_ms);
        }
        (_, Rooms::OwnRoom, Backend::Cluster) => {}
    }
    if rooms_mode == Rooms::OneRoom {
        let what = "message frames received until own acks";
        report.row(
            s,
            what,
            format!("{deliveries} ({})", per_sec(deliveries, span)),
        );
    }
    report.row(s, "ack latency p50 / p99 / max", latencies.summary());
    if with_metrics {
        report.row(s, "messages stored (metrics)", format!("{stored:.0}"));
        report.row(
            s,
            "store commits (latency_seconds_count)",
            format!("{commits:.0}"),
        );
    }
    if commits > 0.0 {
        report.row(s, "messages per commit", format!("{:.1}", stored / commits));
        report.row(
            s,
            "mean commit time",
            format!("{:.2} ms", commit_secs / commits * 1e3),
        );
    }
    report.check(s, "sends without ack", missing);
    report.check(s, "duplicated acks", dups);
    report.check(s, "acks with an unexpected seq", wrong_seq);
    report.check(s, "error frames / socket problems", errors);
    report.check(s, "metrics stored != sent", stored_mismatch);
    for p in problems.iter().take(3) {
        report.row(s, "problem", p);
    }
    Ok(())
}

/// The sums over the nodes of the metrics `names` (zeros for a server
/// without Confab's metrics).
async fn metric_sums<const N: usize>(
    nodes: &nodes::Nodes,
    with_metrics: bool,
    names: &[&str; N],
) -> Result<[f64; N]> {
    let mut out = [0.0; N];
    if with_metrics {
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = nodes.metric_sum(name).await?;
        }
    }
    Ok(out)
}
