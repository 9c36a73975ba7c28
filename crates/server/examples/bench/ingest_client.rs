//! One sender of the ingest scenarios: sends its messages (all at once,
//! windowed, or paced) and reads its acks and the room's messages.

use std::time::Duration;

use confab_shared::{ClientId, ClientMsg, MessageText, RoomId, ServerMsg};
use confab_testkit::{Incoming, LinesSocket as Ws};
use futures_util::SinkExt;
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::report::nanos_since;

pub struct ClientReport {
    pub sent_at: Vec<u64>,
    /// (index, seq, receive instant) in arrival order.
    pub acks: Vec<(usize, u64, u64)>,
    pub base_seq: u64,
    pub problems: Vec<String>,
    /// `message` frames received until the last own ack.
    pub deliveries: usize,
}

#[allow(clippy::too_many_arguments)]
pub async fn client(
    ws: Ws,
    i: usize,
    room: RoomId,
    base_seq: u64,
    pipeline: usize,
    window: usize,
    pace: Option<Duration>,
    base: Instant,
    deadline: Instant,
) -> ClientReport {
    let (mut tx, mut rx) = ws.split();
    // Paced senders start spread over one period, not in lockstep.
    let mut ticks = pace.map(|period| {
        let start = Instant::now() + period.mul_f64((i % 101) as f64 / 101.0);
        let mut t = tokio::time::interval_at(start, period);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        t
    });
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
            if let Some(ticks) = ticks.as_mut() {
                ticks.tick().await;
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
            // Deliveries are only counted (and not decoded: see next_answer).
            let (incoming, passed) = rx.next_answer(deadline).await;
            deliveries += passed;
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
