//! Clients that post continuously to a `confab` child process until it goes
//! away (SIGTERM or SIGKILL), and the check after its restart on the same
//! data: every acked message is in history exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use confab_shared::{ErrorCode, NotificationKind, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::time::{sleep, timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use confab_testkit::*;

pub const SENDERS: usize = 3;
/// Posts per sender at most: at one every 2 ms, far more than a test
/// sends before the server goes away.
pub const MAX_SENDS: usize = 3000;
const ROOM: &str = "lobby";

/// The database a test's child server uses: `None` for SQLite in its data
/// dir, or a fresh PostgreSQL database (`CONFAB_TEST_STORE=postgres`).
pub async fn test_database() -> Option<String> {
    match std::env::var("CONFAB_TEST_STORE").as_deref() {
        Ok("postgres") => Some(fresh_database(&test_pg_url()).await),
        _ => None,
    }
}

/// The real binary, without rate limit or flood control, on `database_url`
/// (else SQLite in its data dir); restarts keep the same data.
pub async fn start_server_on(database_url: Option<&str>) -> ServerProcess {
    let mut args = ["--rate-limit", "0", "--send-rate", "0"]
        .map(String::from)
        .to_vec();
    if let Some(url) = database_url {
        args.push("--database-url".to_owned());
        args.push(url.to_owned());
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_confab"));
    ServerProcess::start(bin, args, "info")
        .await
        .unwrap_or_else(|e| panic!("the server does not start: {e}"))
}

/// [`start_server_on`] the test's store.
pub async fn start_server() -> ServerProcess {
    start_server_on(test_database().await.as_deref()).await
}

/// What one sender saw before its connection ended.
#[derive(Default, Debug)]
pub struct Outcome {
    pub who: usize,
    /// Every client_id it sent, in order.
    pub sent: Vec<String>,
    /// client_id → seq of every ack.
    pub acked: BTreeMap<String, u64>,
    /// client_ids answered `unavailable`.
    pub refused: BTreeSet<String>,
    /// It saw the shutdown notice.
    pub notice: bool,
    /// The close code, if the server closed (rather than vanished).
    pub close: Option<u16>,
}

impl Outcome {
    /// Sent and neither acked nor refused.
    pub fn unanswered(&self) -> Vec<&String> {
        self.sent
            .iter()
            .filter(|id| !self.acked.contains_key(*id) && !self.refused.contains(*id))
            .collect()
    }
}

/// Logs in `SENDERS` users and starts one sender each; `acks` counts
/// every ack they get.
pub async fn start_senders(
    server: &ServerProcess,
    stop_on_notice: bool,
    acks: &Arc<AtomicUsize>,
) -> (Vec<Session>, Vec<tokio::task::JoinHandle<Outcome>>) {
    let base = server.url("");
    let mut users = Vec::new();
    let mut tasks = Vec::new();
    for who in 0..SENDERS {
        let user = login(&http(), &base, &format!("sender{who}"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ws = ws_connect(&server.ws_url(), &user.token, Instant::now() + WAIT)
            .await
            .unwrap_or_else(|e| panic!("sender {who}: {e}"));
        tasks.push(tokio::spawn(send_until_closed(
            ws,
            who,
            stop_on_notice,
            acks.clone(),
        )));
        users.push(user);
    }
    (users, tasks)
}

/// Waits until the senders have `n` acks between them.
pub async fn wait_for_acks(acks: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + WAIT;
    while acks.load(Relaxed) < n {
        assert!(
            Instant::now() < deadline,
            "only {acks:?} acks within {WAIT:?}"
        );
        sleep(Duration::from_millis(2)).await;
    }
}

/// Posts `s<who>-<n>` to the lobby every 2 ms, reading what comes back,
/// until the connection ends; with `stop_on_notice`, stops posting (but
/// keeps reading) at the server's shutdown notice, as a client should.
///
/// One task reads and writes, so when the shutdown ping is read (after
/// the notice) every post already went out before its pong.
async fn send_until_closed(
    mut ws: WsStream,
    who: usize,
    stop_on_notice: bool,
    acks: Arc<AtomicUsize>,
) -> Outcome {
    let mut out = Outcome {
        who,
        ..Outcome::default()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopped = false;
    loop {
        tokio::select! {
            item = timeout_at(deadline, ws.next()) => match item {
                Err(_) => panic!("sender {who}: the server never went away"),
                Ok(None | Some(Err(_))) => break,
                Ok(Some(Ok(WsMessage::Close(frame)))) => {
                    out.close = frame.map(|f| u16::from(f.code));
                    break;
                }
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    let msg: ServerMsg = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("sender {who}: unreadable {text}: {e}"));
                    match msg {
                        ServerMsg::Ack { client_id, message } => {
                            let id = client_id.expect("acks carry the client_id").as_str().to_owned();
                            assert!(out.acked.insert(id, message.seq).is_none(), "sender {who}: acked twice");
                            acks.fetch_add(1, Relaxed);
                        }
                        ServerMsg::Error { code: ErrorCode::Unavailable, client_id: Some(id), .. } => {
                            out.refused.insert(id);
                        }
                        ServerMsg::Error { .. } => panic!("sender {who}: {text}"),
                        ServerMsg::Notification { kind: NotificationKind::System, .. } => {
                            out.notice = true;
                            stopped = stop_on_notice;
                        }
                        _ => {}
                    }
                }
                Ok(Some(Ok(_))) => {}
            },
            _ = tick.tick(), if !stopped && out.sent.len() < MAX_SENDS => {
                let id = format!("s{who}-{}", out.sent.len());
                let frame = json!({"type": "send", "room": ROOM, "text": id, "client_id": id});
                out.sent.push(id);
                if ws.send(WsMessage::Text(frame.to_string())).await.is_err() {
                    break;
                }
            }
        }
    }
    out
}

/// After the restart: every acked post is stored once with its seq, no
/// post twice, no gap; then each sender sends again what was not acked
/// (and one that was) with the same client_ids, and every post it ever
/// sent is stored exactly once.
pub async fn check_after_restart(server: &ServerProcess, users: &[Session], outcomes: &[Outcome]) {
    let base = server.url("");
    let history = room_history(&http(), &base, &users[0], ROOM)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stored: BTreeMap<String, u64> = history.iter().map(|m| (m.text.clone(), m.seq)).collect();
    assert_eq!(stored.len(), history.len(), "a post is stored twice");
    let gap_free: Vec<u64> = (1..=history.len() as u64).collect();
    let seqs: Vec<u64> = history.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, gap_free, "history has gaps");
    for o in outcomes {
        for (id, seq) in &o.acked {
            assert_eq!(
                stored.get(id),
                Some(seq),
                "acked {id} is not stored as acked"
            );
        }
    }

    let mut total = 0;
    for (user, o) in users.iter().zip(outcomes) {
        let stream = ws_connect(&server.ws_url(), &user.token, Instant::now() + WAIT)
            .await
            .unwrap_or_else(|e| panic!("sender {}: {e}", o.who));
        let mut ws = Ws {
            stream,
            name: user.name.clone(),
        };
        let again = o.sent.iter().filter(|id| !o.acked.contains_key(*id));
        let one_acked = o.acked.keys().next();
        for id in again.chain(one_acked) {
            let seq = ws.say(ROOM, id, id).await;
            if let Some(before) = stored.get(id) {
                assert_eq!(
                    seq, *before,
                    "{id} was stored before: its retry is that message"
                );
            }
        }
        total += o.sent.len();
    }
    let history = room_history(&http(), &base, &users[0], ROOM)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let distinct: BTreeSet<&str> = history.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(distinct.len(), history.len(), "a post is stored twice");
    assert_eq!(history.len(), total, "every post sent is stored once");
}
