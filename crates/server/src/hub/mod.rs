//! The hub: a pure in-memory router, one task per node.
//!
//! It knows which local connections are in which room, the last seq it
//! delivered per room, and who is online anywhere (its [`view::View`]). It
//! delivers what the broker brings — committed log entries, typing,
//! presence — to local sockets, in the global log's `pos` order
//! ([`order::Order`]); it never awaits the database or the network.
//! Whatever it has to read (a hole in the log, a catch-up after the broker
//! lost events) is read by the background tasks ([`crate::background`]),
//! which send the result back as a command.
//!
//! Sessions talk to it only through [`HubHandle`] and typed [`Command`]s.
//! It never waits on a client either: each connection has a bounded
//! [`Outbox`]; a full one gets the connection closed (1013), queued and
//! handled one at a time so a mass disconnect never recurses.

mod conns;
mod deliver;
mod handle;
mod order;
mod presence;
mod room_set;
mod view;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_engine::bus::{Broker, BusBody, Delivery, NodeId};
use confab_engine::presence::OnlineUser;
use confab_shared::{RoomId, User};
use tokio::sync::{broadcast, mpsc};

pub use self::handle::{Command, ConnId, HubGone, HubHandle};
use self::order::{Arrival, Order};
use self::view::View;
use crate::metrics::Metrics;
use crate::outbox::{Frame, Outbox};

/// Commands waiting for the hub at most; senders wait beyond that.
const QUEUE_CAPACITY: usize = 8192;
/// Recent message frames kept per room, to bring a joining connection from
/// its `joined` page up to what the hub has delivered.
const RECENT_FRAMES: usize = 128;
/// Broker deliveries taken in one turn at most, beyond the first.
const BUS_BATCH: usize = 1024;
/// How often the hub looks for holes that have been open too long (and
/// for presence changes that are due).
const TICK: Duration = Duration::from_millis(25);
/// How long presence changes gather before they are announced together.
const PRESENCE_DELAY: Duration = Duration::from_millis(100);

/// What the hub asks of the background tasks.
pub enum Request {
    /// Read the log after this position from the store.
    Fill { after: i64 },
    /// Record (or remove) a local online user in the shared presence record.
    Presence {
        user_id: String,
        entry: Option<OnlineUser>,
    },
}

/// Makes the hub; `delivered` is the store's newest position at start.
/// The caller runs the returned future where the sockets live
/// ([`crate::worker_tasks`]).
pub fn build(
    broker: Arc<dyn Broker>,
    metrics: Arc<Metrics>,
    delivered: i64,
    requests: mpsc::Sender<Request>,
) -> (
    HubHandle,
    impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let bus = broker.subscribe();
    let hub = Hub {
        node: broker.node().clone(),
        broker,
        metrics,
        requests,
        conns: HashMap::new(),
        users: HashMap::new(),
        names: HashMap::new(),
        rooms: HashMap::new(),
        pending_joins: HashSet::new(),
        order: Order::new(delivered),
        filling: false,
        store_at: None,
        view: View::default(),
        evictions: conns::Evictions::default(),
        pending_presence: HashMap::new(),
        presence_due: None,
    };
    (HubHandle::new(tx), hub.run(rx, bus))
}

struct Conn {
    user_id: String,
    /// The session's token hash.
    session: String,
    outbox: Outbox,
    /// Per room, messages up to this seq were in this connection's
    /// `joined` page already.
    floors: HashMap<RoomId, u64>,
}

/// A user with at least one connection on this node.
struct LocalUser {
    user: User,
    conns: Vec<ConnId>,
    rooms: room_set::RoomSet,
}

/// A room some local connection is in (or joining).
#[derive(Default)]
struct Route {
    conns: HashSet<ConnId>,
    /// The newest seq delivered here.
    delivered_seq: u64,
    members: u32,
    recent: VecDeque<(u64, Frame)>,
}

struct Hub {
    node: NodeId,
    broker: Arc<dyn Broker>,
    metrics: Arc<Metrics>,
    requests: mpsc::Sender<Request>,
    conns: HashMap<ConnId, Conn>,
    /// Local users by id.
    users: HashMap<String, LocalUser>,
    /// Local users' ids by case-folded name (for mentions).
    names: HashMap<String, String>,
    rooms: HashMap<RoomId, Route>,
    pending_joins: HashSet<(ConnId, RoomId)>,
    order: Order,
    /// A store read for the log is under way.
    filling: bool,
    /// The store's newest position at the last position check.
    store_at: Option<i64>,
    view: View,
    /// Connections whose outbox overflowed, closed one at a time.
    evictions: conns::Evictions,
    /// Online/offline changes not yet announced, per room, and when the
    /// first of them is due ([`PRESENCE_DELAY`] or more after the first
    /// change of its room: see `presence.rs`).
    pending_presence: HashMap<RoomId, presence::Pending>,
    presence_due: Option<Instant>,
}

impl Hub {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Command>,
        mut bus: broadcast::Receiver<Delivery>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                cmd = rx.recv() => {
                    let Some(cmd) = cmd else { break };
                    if let Command::Shutdown { done } = cmd {
                        self.close_all();
                        let _ = done.send(());
                        return;
                    }
                    // What the broker delivered before this command was sent
                    // is routed first (up to BUS_BATCH deliveries: a longer
                    // backlog means the hub is far behind). The writer
                    // publishes before it acks, so a client that got its ack
                    // and then joins with that seq as `since` does not have
                    // its join overtake the message's delivery here (the
                    // join's floor would skip it).
                    if !self.drain_bus(&mut bus) {
                        break;
                    }
                    self.handle(cmd);
                }
                delivery = bus.recv() => {
                    if !self.on_delivery(delivery) {
                        break;
                    }
                    // What else is queued joins this turn, so a burst (many
                    // users going offline at once) is announced together.
                    if !self.drain_bus(&mut bus) {
                        break;
                    }
                }
                _ = tick.tick() => {
                    if self.order.hole_overdue(Instant::now()) {
                        self.request_fill(false);
                    }
                }
            }
            self.drain_evictions();
            if self.presence_due.is_some_and(|due| Instant::now() >= due) {
                self.flush_presence();
            }
            self.count_cached();
        }
        self.close_all();
    }

    /// Routes what the broker has queued, at most [`BUS_BATCH`]
    /// deliveries; `false` once the broker is gone.
    fn drain_bus(&mut self, bus: &mut broadcast::Receiver<Delivery>) -> bool {
        for _ in 0..BUS_BATCH {
            let delivery = match bus.try_recv() {
                Ok(d) => Ok(d),
                Err(broadcast::error::TryRecvError::Empty) => return true,
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    Err(broadcast::error::RecvError::Lagged(n))
                }
                Err(broadcast::error::TryRecvError::Closed) => {
                    Err(broadcast::error::RecvError::Closed)
                }
            };
            if !self.on_delivery(delivery) {
                return false;
            }
        }
        true
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Connect {
                conn,
                user,
                session,
                outbox,
                rooms,
            } => self.connect(conn, user, session, outbox, rooms),
            Command::EndSession { session } => {
                // Here at once (the broker may drop an event), then on every
                // other node; our own copy coming back finds nothing left.
                self.end_session(&session);
                self.broker.publish(confab_engine::bus::BusEvent {
                    node: self.node.clone(),
                    body: BusBody::SessionEnded { session },
                });
            }
            Command::Disconnect { conn } => self.disconnect(conn),
            Command::Joining { conn, room } if self.conns.contains_key(&conn) => {
                // Paused until `Subscribe`: what arrives meanwhile is in the
                // `joined` page or replayed from the recent frames, so the
                // connection gets each message once, in order.
                self.rooms
                    .entry(room.clone())
                    .or_default()
                    .conns
                    .remove(&conn);
                self.pending_joins.insert((conn, room));
            }
            Command::JoinFailed { conn, room } => {
                self.pending_joins.remove(&(conn, room.clone()));
                let member = self.conns.get(&conn).is_some_and(|c| {
                    self.users
                        .get(&c.user_id)
                        .is_some_and(|u| u.rooms.contains(&room))
                });
                if member {
                    self.rooms
                        .entry(room.clone())
                        .or_default()
                        .conns
                        .insert(conn);
                }
                self.drop_route_if_unused(&room);
            }
            Command::Subscribe {
                conn,
                room,
                after,
                joined,
                reply,
            } => {
                let ok = self.subscribe(conn, room, after, joined);
                let _ = reply.send(ok);
            }
            Command::OnlineFlags { user_ids, reply } => {
                let _ = reply.send(user_ids.iter().map(|u| self.view.is_online(u)).collect());
            }
            Command::Fill { entries, full } => self.fill(entries, full),
            Command::StoreAt { pos } => {
                // Behind what the store had at the previous check, a period
                // ago: nothing arrived to reveal the hole, pub/sub lost the
                // newest entries. (Behind the current position only means
                // entries are on their way.) Read them.
                let behind = self
                    .store_at
                    .is_some_and(|prev| self.order.delivered() < prev);
                self.store_at = Some(pos);
                if behind && !self.filling {
                    self.metrics
                        .position_repairs
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    self.request_fill(true);
                }
            }
            Command::Snapshot(snapshot) => {
                for change in self.view.reconcile(&snapshot, &self.node) {
                    self.presence_changed(change);
                }
            }
            // A connection already gone (evicted while it asked).
            Command::Joining { .. } | Command::Shutdown { .. } => {}
        }
    }

    /// One delivery from the broker; false once the broker is gone.
    fn on_delivery(&mut self, delivery: Result<Delivery, broadcast::error::RecvError>) -> bool {
        match delivery {
            Ok(Delivery::Event(event)) => self.on_event(&event.node, &event.body),
            Ok(Delivery::Lost) | Err(broadcast::error::RecvError::Lagged(_)) => {
                self.metrics
                    .broker_lost
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.request_fill(true);
            }
            Err(broadcast::error::RecvError::Closed) => return false,
        }
        true
    }

    fn on_event(&mut self, node: &NodeId, body: &BusBody) {
        match body {
            BusBody::Logged {
                entry,
                frame,
                origin,
            } => {
                let arrival = Arrival {
                    entry: entry.clone(),
                    frame: frame.clone(),
                    origin: origin.map(|c| (node.clone(), c)),
                };
                self.order.offer(arrival);
                self.deliver_ready();
            }
            BusBody::Typing {
                room,
                user_id,
                frame,
            } => self.typing(room, user_id, frame),
            BusBody::Presence {
                user,
                rooms,
                online,
            } => {
                let change = if *online {
                    self.view.up(node, user, rooms)
                } else {
                    self.view.down(node, &user.id)
                };
                if let Some(change) = change {
                    self.presence_changed(change);
                }
            }
            BusBody::SessionEnded { session } => self.end_session(session),
        }
    }

    /// Asks for the log after what was delivered (`now`: even if a read is
    /// under way, because events may have been lost since it started).
    fn request_fill(&mut self, now: bool) {
        if self.filling && !now {
            return;
        }
        let after = self.order.delivered();
        if self.requests.try_send(Request::Fill { after }).is_ok() {
            self.filling = true;
            self.order.hole_reading(Instant::now());
        }
    }

    fn fill(&mut self, entries: Vec<confab_engine::store::LogEntry>, full: bool) {
        self.filling = false;
        let mut filled = 0;
        for entry in entries {
            let arrival = Arrival {
                entry,
                frame: bytestring::ByteString::new(),
                origin: None,
            };
            if self.order.offer(arrival) {
                filled += 1;
            }
        }
        self.metrics
            .gaps_filled
            .fetch_add(filled, std::sync::atomic::Ordering::Relaxed);
        self.deliver_ready();
        if full {
            self.request_fill(true);
        }
    }

    fn close_all(&mut self) {
        let notice = Frame::new(&confab_shared::ServerMsg::Notification {
            kind: confab_shared::NotificationKind::System,
            room: None,
            from: None,
            text: "The server is restarting; you will be reconnected.".into(),
            message_id: None,
            notice: Some(confab_shared::SystemNotice::ServerRestarting),
        });
        for conn in self.conns.values() {
            let _ = conn.outbox.push(notice.clone());
            conn.outbox.close(crate::outbox::CloseReason::Shutdown);
        }
        let users: Vec<User> = self.users.values().map(|l| l.user.clone()).collect();
        for user in &users {
            self.announce(user, false);
        }
        self.conns.clear();
        self.users.clear();
        self.rooms.clear();
    }
}
