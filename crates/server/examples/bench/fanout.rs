//! Fan-out: `--listeners` sockets in `lobby`, dealt round-robin over the
//! nodes; one sender on node 1 posts `--messages` messages whose text is
//! their send instant, so every delivery gives an end-to-end latency.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confab_shared::{ClientId, ClientMsg, MessageText, PresenceEvent, RoomId, ServerMsg};
use confab_testkit::{next_frame, ws_connect, Incoming, WsStream as Ws};
use futures_util::SinkExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{sleep, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::nodes::{self, Backend, Ctx};
use crate::report::{
    nanos_since, per_sec, secs, wait_count, BenchError, Context, Latencies, Report, Result,
};
use crate::Args;

struct ListenerReport {
    node: usize,
    seqs: Vec<u64>,
    latencies: Vec<u64>,
    last_recv: u64,
    ended: Option<String>,
    /// Kept so the socket stays open until every listener is done.
    _ws: Ws,
}

#[allow(clippy::too_many_arguments)]
async fn listener(
    mut ws: Ws,
    node: usize,
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
            Incoming::Frame(msg @ ServerMsg::Presence { event, .. })
                if !is_ready
                    && event == PresenceEvent::Online
                    && msg.presence_users().iter().any(|u| u.as_str() == sender) =>
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
        node,
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

async fn sender(
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

pub async fn run(
    args: &Args,
    ctx: &Ctx,
    backend: Backend,
    s: &str,
    report: &mut Report,
) -> Result<()> {
    let (n, m) = (args.listeners, args.messages);
    let limit = Duration::from_secs(args.timeout_secs);
    let nodes = nodes::start(ctx, backend, n + 16).await?;
    let setup_deadline = Instant::now() + limit;

    let sender_name = "fsender".to_owned();
    let names: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    let started = Instant::now();
    let tokens = nodes::login_spread(ctx, &nodes, &names).await?;
    let sender_token = nodes::login_spread(ctx, &nodes, std::slice::from_ref(&sender_name))
        .await?
        .pop()
        .unwrap_or_default();
    let logins = started.elapsed();

    let base = Instant::now();
    let ready = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let listen_deadline = Instant::now() + 3 * limit;
    let started = Instant::now();
    let handles: Vec<JoinHandle<ListenerReport>> =
        nodes::connect_spread(ctx, &nodes, &tokens, setup_deadline, |i, ws| {
            tokio::spawn(listener(
                ws,
                i % nodes.len(),
                sender_name.clone(),
                m,
                base,
                ready.clone(),
                stop_rx.clone(),
                listen_deadline,
            ))
        })
        .await?;
    let connects = started.elapsed();
    let mut sender_ws = ws_connect(&nodes.servers[0].ws_url(), &sender_token, setup_deadline)
        .await
        .context("sender socket")?;
    // Every listener has drained the presence storm once it sees the sender
    // come online (frames reach a connection in order).
    wait_count(&ready, n, setup_deadline, "listeners saw the sender online").await?;

    let run_deadline = Instant::now() + limit;
    let sent = sender(&mut sender_ws, m, args.window, base, run_deadline).await?;
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
    drop(sender_ws);

    // What the sender's acks say the listeners must see, in this order.
    let expected: Vec<u64> = sent.acks.iter().flatten().copied().collect();
    let expected_set: HashSet<u64> = expected.iter().copied().collect();
    let missing_acks = sent.acks.iter().filter(|a| a.is_none()).count();
    let ack_gaps = expected.windows(2).filter(|w| w[1] != w[0] + 1).count();

    let (mut lost, mut dups, mut out_of_order, mut unexpected) = (0, 0, 0, 0);
    let (mut complete, mut ended_early, mut deliveries, mut last_recv) = (0, 0, 0, 0);
    let mut first_end = None;
    let mut by_node: Vec<Vec<u64>> = vec![Vec::new(); nodes.len()];
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
        by_node[l.node].append(&mut l.latencies);
    }
    let span = last_recv.saturating_sub(sent.first_send);

    report.row(s, "nodes", nodes.len());
    report.row(s, "listeners x messages", format!("{n} x {m}"));
    report.row(s, "send window (0 = all at once)", args.window.to_string());
    report.row(
        s,
        "setup: logins / connects",
        format!("{logins:.2?} / {connects:.2?}"),
    );
    report.row(
        s,
        "deliveries received / expected",
        format!("{deliveries} / {}", n * m),
    );
    report.row(
        s,
        "sending took",
        secs(sent.last_send.saturating_sub(sent.first_send)),
    );
    report.row(s, "first send to last delivery", secs(span));
    report.row(s, "deliveries/s", per_sec(deliveries, span));
    if nodes.len() > 1 {
        for (k, lat) in by_node.iter().enumerate() {
            let what = format!("delivery latency on node {} p50 / p99 / max", k + 1);
            report.row(s, what, Latencies::new(lat.clone()).summary());
        }
        let remote: Vec<u64> = by_node[1..].iter().flatten().copied().collect();
        report.row(
            s,
            "end-to-end node 1 -> nodes 2+ p50 / p99 / max",
            Latencies::new(remote).summary(),
        );
    }
    let all: Vec<u64> = by_node.into_iter().flatten().collect();
    report.row(
        s,
        "delivery latency p50 / p99 / max",
        Latencies::new(all).summary(),
    );
    report.row(
        s,
        "sender ack latency p50 / p99 / max",
        Latencies::new(sent.ack_latencies).summary(),
    );
    report.row(
        s,
        "listeners with every message in order",
        format!("{complete} / {n}"),
    );
    report.check(s, "sends not acked (missing or error)", missing_acks);
    report.check(s, "gaps in the acked seqs", ack_gaps);
    report.check(s, "lost deliveries", lost);
    report.check(s, "duplicated deliveries", dups);
    report.check(s, "out-of-order deliveries", out_of_order);
    report.check(s, "unexpected seqs delivered", unexpected);
    report.check(s, "listeners that stopped early", ended_early);
    if let Some(why) = first_end {
        report.row(s, "first listener stop", why);
    }
    for p in sent.problems.iter().take(3) {
        report.row(s, "sender problem", p);
    }
    Ok(())
}
