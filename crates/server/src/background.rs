//! The tasks that do the hub's waiting for it.
//!
//! - the log reader: reads what the hub asks for (a hole in the log, a
//!   catch-up after the broker lost events) and every few seconds checks the
//!   store's newest position, which catches what pub/sub silently lost when
//!   nothing after it arrived to reveal the hole;
//! - the presence keeper: records this node's online users in the shared
//!   presence record, refreshes the node's heartbeat and hands the hub a
//!   snapshot of every live node, so users of a dead node go offline; the
//!   same snapshot gives the public room list its online counts
//!   ([`OnlineBoard`]);
//! - the room sweeper: removes rooms that nothing keeps any more (no
//!   member, no message, no setting), so joining and leaving throwaway
//!   rooms does not grow the store for ever;
//! - the session sweeper: deletes sessions idle past `session_ttl` (a use
//!   refuses and deletes an expired one anyway; this keeps the table from
//!   holding every abandoned session forever).

use std::sync::Arc;
use std::time::Duration;

use confab_engine::presence::{Presence, REFRESH_EVERY};
use confab_engine::store::Store;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::hub::{Command, HubHandle, Request};
use crate::metrics::Metrics;
use crate::online::OnlineBoard;

/// Log entries read per request.
const FILL_LIMIT: u32 = 1000;
/// How often the store's newest position is compared with the hub's.
pub const POSITION_CHECK: Duration = Duration::from_secs(2);
/// Queued hub requests at most (fills are coalesced by the hub).
pub const REQUEST_QUEUE: usize = 4096;

/// Rooms removed per store call; the sweep goes on while calls come back full.
const SWEEP_BATCH: u32 = 500;

pub fn spawn(
    store: Arc<dyn Store>,
    presence: Arc<dyn Presence>,
    hub: HubHandle,
    board: Arc<OnlineBoard>,
    mut requests: mpsc::Receiver<Request>,
    sweep: Option<(Duration, Arc<Metrics>)>,
) -> JoinHandle<()> {
    let (presence_tx, presence_rx) = mpsc::channel(REQUEST_QUEUE);
    let (fill_tx, fill_rx) = mpsc::channel::<i64>(REQUEST_QUEUE);
    let keeper = tokio::spawn(keep_presence(presence, hub.clone(), board, presence_rx));
    // Stops with the reader: both end when the hub's requests do.
    let sweeper =
        sweep.map(|(every, metrics)| tokio::spawn(sweep_rooms(store.clone(), every, metrics)));
    let reader = tokio::spawn(read_log(store, hub, fill_rx));
    tokio::spawn(async move {
        while let Some(request) = requests.recv().await {
            let sent = match request {
                Request::Fill { after } => fill_tx.send(after).await.is_ok(),
                Request::Presence { user_id, entry } => {
                    presence_tx.send((user_id, entry)).await.is_ok()
                }
            };
            if !sent {
                break;
            }
        }
        drop(fill_tx);
        drop(presence_tx);
        if let Some(sweeper) = sweeper {
            sweeper.abort();
        }
        let _ = reader.await;
        let _ = keeper.await;
    })
}

/// Every `every`, removes the rooms nothing keeps (see
/// [`Store::remove_unused_rooms`]); a failure waits for the next round.
async fn sweep_rooms(store: Arc<dyn Store>, every: Duration, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match store.remove_unused_rooms(SWEEP_BATCH).await {
                Ok(rooms) => {
                    let n = rooms.len();
                    metrics
                        .rooms_removed
                        .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                    if n > 0 {
                        tracing::info!(rooms = n, "removed rooms nothing keeps");
                    }
                    if n < SWEEP_BATCH as usize {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot remove unused rooms; trying again later");
                    break;
                }
            }
        }
    }
}

async fn read_log(store: Arc<dyn Store>, hub: HubHandle, mut asks: mpsc::Receiver<i64>) {
    let mut check = tokio::time::interval(POSITION_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            ask = asks.recv() => {
                let Some(mut after) = ask else { return };
                // Several asks queued: the oldest position covers them all.
                while let Ok(more) = asks.try_recv() {
                    after = after.min(more);
                }
                match store.log_after(after, FILL_LIMIT).await {
                    Ok(entries) => {
                        let full = entries.len() == FILL_LIMIT as usize;
                        if hub.send(Command::Fill { entries, full }).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the log to fill a gap; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        // An empty fill tells the hub to ask again when due.
                        let done = Command::Fill { entries: Vec::new(), full: false };
                        if hub.send(done).await.is_err() {
                            return;
                        }
                    }
                }
            }
            _ = check.tick() => {
                if let Ok(pos) = store.last_pos().await {
                    let _ = hub.try_send(Command::StoreAt { pos });
                }
            }
        }
    }
}

type PresenceUpdate = (String, Option<confab_engine::presence::OnlineUser>);

async fn keep_presence(
    presence: Arc<dyn Presence>,
    hub: HubHandle,
    board: Arc<OnlineBoard>,
    mut updates: mpsc::Receiver<PresenceUpdate>,
) {
    let mut refresh = tokio::time::interval(REFRESH_EVERY);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            update = updates.recv() => {
                let Some((user_id, entry)) = update else { break };
                if let Err(e) = presence.set_online(&user_id, entry.as_ref()).await {
                    tracing::warn!(error = %e, "cannot record presence");
                }
            }
            _ = refresh.tick() => {
                if let Err(e) = presence.heartbeat().await {
                    tracing::warn!(error = %e, "cannot refresh this node's heartbeat");
                    continue;
                }
                match presence.snapshot().await {
                    Ok(snapshot) => {
                        board.update(&snapshot);
                        let _ = hub.try_send(Command::Snapshot(snapshot));
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot read presence"),
                }
            }
        }
    }
    presence.retire().await;
}

/// How often idle sessions are swept: as often as their limit, at most
/// hourly, at least every second.
fn sweep_every(ttl: Duration) -> Duration {
    ttl.clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

/// Every `period` (the first time right away, for what aged while the
/// server was down), runs `sweep` with the cutoff `now - age` in ms since
/// the epoch; it answers how many rows it changed, logged as `what`.
fn sweep_older_than<F, Fut>(
    period: Duration,
    age: Duration,
    what: &'static str,
    sweep: F,
) -> JoinHandle<()>
where
    F: Fn(i64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<u64, confab_engine::store::StoreError>> + Send,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let now = confab_shared::Timestamp::now().millis();
            let cutoff = now.saturating_sub(confab_engine::store::duration_ms(age));
            match sweep(cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "{what}"),
                Err(e) => tracing::warn!(error = %e, "sweep failed: {what}"),
            }
        }
    })
}

/// Deletes sessions idle for longer than `ttl`, periodically.
pub fn sweep_sessions(store: Arc<dyn Store>, ttl: Duration) -> JoinHandle<()> {
    sweep_older_than(
        sweep_every(ttl),
        ttl,
        "expired idle sessions",
        move |cutoff| {
            let store = store.clone();
            async move { store.purge_sessions(cutoff).await }
        },
    )
}

/// Frees, hourly, the names of accounts deleted more than `reserved` ago.
pub fn sweep_deleted_names(store: Arc<dyn Store>, reserved: Duration) -> JoinHandle<()> {
    let hourly = Duration::from_secs(3600);
    sweep_older_than(
        hourly,
        reserved,
        "freed names of deleted accounts",
        move |cutoff| {
            let store = store.clone();
            async move { store.release_deleted_names(cutoff).await }
        },
    )
}
