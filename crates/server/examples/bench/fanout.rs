//! Fan-out: `--listeners` sockets in `lobby`, dealt round-robin over the
//! nodes; the first `--fanout-senders` of them also post `--messages`
//! messages each at `--rate` a second (text = the send instant, so every
//! delivery gives an end-to-end latency). Every socket must receive every
//! message of the others once, in the room's order; the server's CPU time
//! over the run, divided by the deliveries, is its cost per delivery.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confab_shared::{ClientId, ClientMsg, MessageText, RoomId, ServerMsg};
use confab_testkit::{Incoming, LinesSocket as Ws};
use futures_util::SinkExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{interval_at, sleep, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::nodes::{self, Backend, Ctx};
use crate::report::{
    nanos_since, per_sec, secs, wait_count, BenchError, Context, Latencies, Report, Result,
};
use crate::Args;

/// The text of the message that tells every socket the run begins.
const WARMUP: &str = "warmup";

/// What one socket saw (and, for a sender, sent).
struct ClientReport {
    node: usize,
    /// Seqs of the messages of others after the warm-up, in arrival order.
    seqs: Vec<u64>,
    latencies: Vec<u64>,
    last_recv: u64,
    /// A sender's acked seqs, by send index.
    acks: Vec<Option<u64>>,
    ack_latencies: Vec<u64>,
    first_send: Option<u64>,
    ended: Option<String>,
}

/// What a client needs to know of the run.
struct Plan {
    /// Messages this client sends (0: it only listens).
    sends: usize,
    /// Messages of others it must receive.
    expect: usize,
    period: Duration,
    base: Instant,
    /// Set when every socket saw the warm-up message.
    go: watch::Receiver<bool>,
    /// Set when the run is over (time out the stragglers).
    stop: watch::Receiver<bool>,
    ready: Arc<AtomicUsize>,
    deadline: Instant,
}

async fn client(ws: Ws, i: usize, node: usize, plan: Plan) -> ClientReport {
    let Plan {
        sends,
        expect,
        period,
        base,
        mut go,
        mut stop,
        ready,
        deadline,
    } = plan;
    let (mut tx, mut rx) = ws.split();
    let mut r = ClientReport {
        node,
        seqs: Vec::with_capacity(expect),
        latencies: Vec::with_capacity(expect),
        last_recv: 0,
        acks: vec![None; sends],
        ack_latencies: Vec::with_capacity(sends),
        first_send: None,
        ended: None,
    };
    let mut sent_at: Vec<u64> = Vec::with_capacity(sends);
    let mut warmed = false;
    let mut going = false;
    let mut ticks = interval_at(Instant::now() + Duration::from_secs(3600), period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let lobby = RoomId::lobby();
    let mut acked = 0;
    while r.seqs.len() < expect || acked < sends {
        tokio::select! {
            incoming = rx.next_frame(deadline) => {
                let now = nanos_since(base);
                match incoming {
                    Incoming::Frame(ServerMsg::Message { message }) if message.text == WARMUP => {
                        if !warmed {
                            warmed = true;
                            ready.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Incoming::Frame(ServerMsg::Message { message }) => {
                        r.seqs.push(message.seq);
                        match message.text.parse::<u64>() {
                            Ok(sent) => r.latencies.push(now.saturating_sub(sent)),
                            Err(_) => {
                                r.ended = Some(format!("unexpected text {:?}", message.text));
                                break;
                            }
                        }
                        r.last_recv = now;
                    }
                    Incoming::Frame(ServerMsg::Ack { client_id, message }) => {
                        let index = client_id
                            .as_ref()
                            .and_then(|c| c.as_str().strip_prefix('b')?.parse::<usize>().ok())
                            .filter(|j| *j < sent_at.len());
                        match index {
                            Some(j) if r.acks[j].is_none() => {
                                r.acks[j] = Some(message.seq);
                                acked += 1;
                                r.ack_latencies.push(now.saturating_sub(sent_at[j]));
                            }
                            // The warm-up's ack.
                            _ if message.text == WARMUP => {}
                            _ => {
                                r.ended = Some(format!("unexpected ack {client_id:?}"));
                                break;
                            }
                        }
                    }
                    Incoming::Frame(ServerMsg::Error { code, client_id, .. }) => {
                        r.ended = Some(format!("error {code:?} for {client_id:?}"));
                        break;
                    }
                    Incoming::Frame(_) => {}
                    Incoming::Ended(why) => {
                        r.ended = Some(why);
                        break;
                    }
                    Incoming::TimedOut => {
                        r.ended = Some("timed out".into());
                        break;
                    }
                }
            }
            _ = async { go.wait_for(|g| *g).await.is_ok() }, if !going && sends > 0 => {
                going = true;
                // Senders start spread over one period, not in lockstep.
                let offset = period.mul_f64((i % 97) as f64 / 97.0);
                ticks.reset_at(Instant::now() + offset);
            }
            _ = ticks.tick(), if going && sent_at.len() < sends => {
                let j = sent_at.len();
                let now = nanos_since(base);
                let frame = match (MessageText::parse(&now.to_string()), ClientId::parse(&format!("b{j}"))) {
                    (Ok(text), Ok(client_id)) => ClientMsg::Send {
                        room: lobby.clone(),
                        text,
                        client_id: Some(client_id),
                    },
                    _ => {
                        r.ended = Some("could not build a send frame".into());
                        break;
                    }
                };
                if let Err(e) = tx.send(WsMessage::Text(frame.to_json())).await {
                    r.ended = Some(format!("send {j}: {e}"));
                    break;
                }
                r.first_send.get_or_insert(now);
                sent_at.push(now);
            }
            _ = async { stop.wait_for(|s| *s).await.is_ok() } => {
                r.ended = Some("still waiting when the grace period ended".into());
                break;
            }
        }
    }
    r
}

pub async fn run(
    args: &Args,
    ctx: &Ctx,
    backend: Backend,
    name: &str,
    report: &mut Report,
) -> Result<()> {
    let s = &backend.label(name);
    let n = args.listeners.max(args.fanout_senders + 1);
    let (k, m) = (args.fanout_senders, args.messages);
    let period = Duration::from_secs_f64(1.0 / args.rate.max(0.001));
    let limit = Duration::from_secs(args.timeout_secs);
    let nodes = nodes::start(ctx, backend, n + 16).await?;
    let setup_deadline = Instant::now() + limit;

    let names: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    let started = Instant::now();
    let tokens = nodes::login_spread(ctx, &nodes, &names).await?;
    let logins = started.elapsed();

    let base = Instant::now();
    let ready = Arc::new(AtomicUsize::new(0));
    let (go_tx, go_rx) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Sending takes m / rate; the rest is the time limit of the run.
    let run_deadline = Instant::now() + limit + period * (m as u32) + limit;
    let started = Instant::now();
    let mut handles: Vec<JoinHandle<ClientReport>> =
        nodes::connect_spread(ctx, &nodes, &tokens, setup_deadline, |i, ws| {
            let sends = if i < k { m } else { 0 };
            let plan = Plan {
                sends,
                expect: k * m - sends,
                period,
                base,
                go: go_rx.clone(),
                stop: stop_rx.clone(),
                ready: ready.clone(),
                deadline: run_deadline,
            };
            tokio::spawn(client(ws, i, i % nodes.len(), plan))
        })
        .await?;
    let connects = started.elapsed();
    // Joins and presence settle, then one message that everyone must see
    // before the run starts (frames reach a socket in order).
    sleep(Duration::from_millis(300)).await;
    let mut warm = nodes::connect_spread(
        ctx,
        &nodes,
        std::slice::from_ref(&tokens[0]),
        setup_deadline,
        |_, ws| ws,
    )
    .await?
    .pop()
    .ok_or_else(|| BenchError::new("no warm-up socket"))?;
    let warmup = ClientMsg::Send {
        room: RoomId::lobby(),
        text: MessageText::parse(WARMUP)?,
        client_id: None,
    };
    warm.get_mut()
        .send(WsMessage::Text(warmup.to_json()))
        .await
        .context("warm-up")?;
    wait_count(&ready, n, setup_deadline, "sockets saw the warm-up message").await?;
    drop(warm);
    sleep(Duration::from_millis(200)).await;

    let cpu_before = nodes.cpu_secs()?;
    let _ = go_tx.send(true);
    let all = futures_util::future::join_all(handles.drain(..));
    tokio::pin!(all);
    let sending = period * (m as u32);
    let joined = tokio::select! {
        joined = &mut all => joined,
        _ = sleep(sending + Duration::from_secs(10)) => {
            let _ = stop_tx.send(true);
            all.await
        }
    };
    let cpu = nodes.cpu_secs()? - cpu_before;
    let mut clients = Vec::with_capacity(joined.len());
    for j in joined {
        clients.push(j.context("client task")?);
    }

    // Every acked message, by seq; its sender.
    let mut acked_by: std::collections::HashMap<u64, usize> = Default::default();
    let (mut missing_acks, mut ack_latencies, mut first_send) = (0, Vec::new(), u64::MAX);
    for (i, c) in clients.iter().enumerate() {
        for a in &c.acks {
            match a {
                Some(seq) => {
                    acked_by.insert(*seq, i);
                }
                None => missing_acks += 1,
            }
        }
        ack_latencies.extend(c.ack_latencies.iter().copied());
        first_send = first_send.min(c.first_send.unwrap_or(u64::MAX));
    }
    let mut all_seqs: Vec<u64> = acked_by.keys().copied().collect();
    all_seqs.sort_unstable();
    let ack_gaps = all_seqs.windows(2).filter(|w| w[1] != w[0] + 1).count();

    let (mut lost, mut dups, mut out_of_order, mut unexpected) = (0, 0, 0, 0);
    let (mut complete, mut ended_early, mut deliveries, mut last_recv) = (0, 0, 0, 0);
    let mut first_end = None;
    let mut by_node: Vec<Vec<u64>> = vec![Vec::new(); nodes.len()];
    for (i, c) in clients.iter_mut().enumerate() {
        let want: HashSet<u64> = acked_by
            .iter()
            .filter(|(_, from)| **from != i)
            .map(|(seq, _)| *seq)
            .collect();
        let distinct: HashSet<u64> = c.seqs.iter().copied().collect();
        lost += want.difference(&distinct).count();
        unexpected += distinct.difference(&want).count();
        dups += c.seqs.len() - distinct.len();
        out_of_order += c.seqs.windows(2).filter(|w| w[1] < w[0]).count();
        if distinct == want && c.seqs.len() == want.len() {
            complete += 1;
        }
        if let Some(why) = &c.ended {
            ended_early += 1;
            first_end.get_or_insert_with(|| why.clone());
        }
        deliveries += c.seqs.len();
        last_recv = last_recv.max(c.last_recv);
        by_node[c.node].append(&mut c.latencies);
    }
    let span = last_recv.saturating_sub(first_send);

    report.row(s, "nodes", nodes.len());
    report.row(
        s,
        "sockets / senders x messages at rate",
        format!("{n} / {k} x {m} at {}/s", args.rate),
    );
    report.row(
        s,
        "setup: logins / connects",
        format!("{logins:.2?} / {connects:.2?}"),
    );
    report.row(
        s,
        "deliveries received / expected",
        format!("{deliveries} / {}", k * m * (n - 1)),
    );
    report.row(s, "first send to last delivery", secs(span));
    report.row(s, "deliveries/s", per_sec(deliveries, span));
    let per_delivery = cpu * 1e6 / deliveries.max(1) as f64;
    report.row(
        s,
        "server CPU over the run / per delivery",
        format!("{cpu:.2} s / {per_delivery:.2} µs"),
    );
    report.figure(
        "fan-out: server CPU per delivery (µs)",
        "≤ 0.75",
        backend,
        per_delivery,
    );
    if nodes.len() > 1 {
        for (j, lat) in by_node.iter().enumerate() {
            let what = format!("delivery latency on node {} p50 / p99 / max", j + 1);
            report.row(s, what, Latencies::new(lat.clone()).summary());
        }
    }
    let all = Latencies::new(by_node.into_iter().flatten().collect());
    report.row(s, "delivery latency p50 / p99 / max", all.summary());
    if let Some(p99) = all.quantile(0.99) {
        report.figure(
            "fan-out: delivery latency p99 (ms)",
            "< 100",
            backend,
            p99 as f64 / 1e6,
        );
    }
    report.row(
        s,
        "senders' ack latency p50 / p99 / max",
        Latencies::new(ack_latencies).summary(),
    );
    report.row(
        s,
        "sockets with every message in order",
        format!("{complete} / {n}"),
    );
    report.check(s, "sends not acked", missing_acks);
    report.check(s, "gaps in the acked seqs", ack_gaps);
    report.check(s, "lost deliveries", lost);
    report.check(s, "duplicated deliveries", dups);
    report.check(s, "out-of-order deliveries", out_of_order);
    report.check(s, "unexpected seqs delivered", unexpected);
    report.check(s, "sockets that stopped early", ended_early);
    if let Some(why) = first_end {
        report.row(s, "first early stop", why);
    }
    Ok(())
}
