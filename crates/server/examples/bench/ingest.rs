//! Ingest: `--senders` sockets dealt round-robin over the nodes, each in a
//! room of its own (or all in one room), pipeline `--pipeline` sends and
//! wait for every ack; acked messages/s, ack latency, messages per commit.

use std::collections::HashSet;
use std::time::Duration;

use confab_shared::{ClientId, ClientMsg, MessageText, RoomId, ServerMsg};
use confab_testkit::{join_room, next_frame, Incoming, WsStream as Ws};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::nodes::{self, Backend, Ctx};
use crate::report::{nanos_since, per_sec, secs, Context, Latencies, Report, Result};
use crate::Args;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rooms {
    /// Sender `i` posts to `ingest-<i>`.
    OwnRoom,
    /// Every sender posts to `ingest-one` (and so receives every message).
    OneRoom,
}

struct ClientReport {
    sent_at: Vec<u64>,
    /// (index, seq, receive instant) in arrival order.
    acks: Vec<(usize, u64, u64)>,
    base_seq: u64,
    problems: Vec<String>,
    /// `message` frames received until the last own ack.
    deliveries: usize,
}

#[allow(clippy::too_many_arguments)]
async fn client(
    ws: Ws,
    i: usize,
    room: RoomId,
    base_seq: u64,
    pipeline: usize,
    window: usize,
    base: Instant,
    deadline: Instant,
) -> ClientReport {
    let (mut tx, mut rx) = ws.split();
    let prefix = format!("s{i}-");
    // Unacknowledged sends at most (0 = all at once).
    let permits = Semaphore::new(if window == 0 { pipeline } else { window });
    let send = async {
        let mut sent_at = Vec::with_capacity(pipeline);
        for j in 0..pipeline {
            match timeout_at(deadline, permits.acquire()).await {
                Ok(Ok(permit)) => permit.forget(),
                _ => return (sent_at, Some(format!("send {j}: no ack in time"))),
            }
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
        let mut deliveries = 0;
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
                    permits.add_permits(1);
                }
                Incoming::Frame(ServerMsg::Error {
                    code, client_id, ..
                }) => {
                    problems.push(format!("error {code:?} for {client_id:?}"));
                    answered += 1;
                    permits.add_permits(1);
                }
                Incoming::Frame(ServerMsg::Message { .. }) => deliveries += 1,
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
        (acks, problems, deliveries)
    };
    let ((sent_at, send_problem), (acks, mut problems, deliveries)) = tokio::join!(send, receive);
    problems.extend(send_problem);
    ClientReport {
        sent_at,
        acks,
        base_seq,
        problems,
        deliveries,
    }
}

pub async fn run(
    args: &Args,
    ctx: &Ctx,
    backend: Backend,
    rooms_mode: Rooms,
    s: &str,
    report: &mut Report,
) -> Result<()> {
    let (k, p) = (args.senders, args.pipeline);
    let window = match rooms_mode {
        Rooms::OwnRoom => 0,
        Rooms::OneRoom => args.room_window,
    };
    let limit = Duration::from_secs(args.timeout_secs);
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
    let stored_before = nodes.metric_sum("confab_messages_stored_total").await?;
    let commits_before = nodes
        .metric_sum("confab_store_latency_seconds_count")
        .await?;
    let commit_secs_before = nodes.metric_sum("confab_store_latency_seconds_sum").await?;

    let base = Instant::now();
    let run_deadline = base + limit;
    let handles: Vec<JoinHandle<ClientReport>> = sockets
        .into_iter()
        .zip(rooms)
        .map(|((i, ws), (room, base_seq))| {
            tokio::spawn(client(ws, i, room, base_seq, p, window, base, run_deadline))
        })
        .collect();
    let mut clients = Vec::with_capacity(k);
    for h in futures_util::future::join_all(handles).await {
        clients.push(h.context("ingest task")?);
    }
    let stored = nodes.metric_sum("confab_messages_stored_total").await? - stored_before;
    let commits = nodes
        .metric_sum("confab_store_latency_seconds_count")
        .await?
        - commits_before;
    let commit_secs =
        nodes.metric_sum("confab_store_latency_seconds_sum").await? - commit_secs_before;

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
    let stored_mismatch = (stored as usize).abs_diff(k * p);

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
    if rooms_mode == Rooms::OneRoom {
        let what = "message frames received until own acks";
        report.row(
            s,
            what,
            format!("{deliveries} ({})", per_sec(deliveries, span)),
        );
    }
    report.row(
        s,
        "ack latency p50 / p99 / max",
        Latencies::new(latencies).summary(),
    );
    report.row(s, "messages stored (metrics)", format!("{stored:.0}"));
    report.row(
        s,
        "store commits (latency_seconds_count)",
        format!("{commits:.0}"),
    );
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
