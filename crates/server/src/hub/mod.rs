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

mod deliver;
mod handle;
mod order;
mod view;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_engine::bus::{Broker, BusBody, Delivery, NodeId};
use confab_engine::presence::OnlineUser;
use confab_engine::store::Membership;
use confab_shared::{RoomId, User};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

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
/// How often the hub looks for holes that have been open too long.
const TICK: Duration = Duration::from_millis(25);

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

/// Starts the hub; `delivered` is the store's newest position at start.
pub fn spawn(
    broker: Arc<dyn Broker>,
    metrics: Arc<Metrics>,
    delivered: i64,
    requests: mpsc::Sender<Request>,
) -> (HubHandle, JoinHandle<()>) {
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
        view: View::default(),
        evictions: VecDeque::new(),
    };
    (HubHandle::new(tx), tokio::spawn(hub.run(rx, bus)))
}

struct Conn {
    user_id: String,
    outbox: Outbox,
    /// Per room, messages up to this seq were in this connection's
    /// `joined` page already.
    floors: HashMap<RoomId, u64>,
}

/// A user with at least one connection on this node.
struct LocalUser {
    user: User,
    conns: Vec<ConnId>,
    rooms: HashSet<RoomId>,
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
    view: View,
    /// Connections whose outbox overflowed, closed one at a time.
    evictions: VecDeque<ConnId>,
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
                    self.handle(cmd);
                }
                delivery = bus.recv() => match delivery {
                    Ok(Delivery::Event(event)) => self.on_event(&event.node, &event.body),
                    Ok(Delivery::Lost) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.metrics.broker_lost.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        self.request_fill(true);
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    if self.order.hole_overdue(Instant::now()) {
                        self.request_fill(false);
                    }
                }
            }
            self.drain_evictions();
        }
        self.close_all();
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Connect {
                conn,
                user,
                outbox,
                rooms,
            } => self.connect(conn, user, outbox, rooms),
            Command::Disconnect { conn } => self.disconnect(conn),
            Command::Joining { conn, room } => {
                self.rooms.entry(room.clone()).or_default();
                self.pending_joins.insert((conn, room));
            }
            Command::JoinFailed { conn, room } => {
                self.pending_joins.remove(&(conn, room.clone()));
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
            Command::OnlineCounts { rooms, reply } => {
                let _ = reply.send(rooms.iter().map(|r| self.view.room_online(r)).collect());
            }
            Command::OnlineFlags { user_ids, reply } => {
                let _ = reply.send(user_ids.iter().map(|u| self.view.is_online(u)).collect());
            }
            Command::Fill { entries, full } => self.fill(entries, full),
            Command::StoreAt { pos } => {
                if pos > self.order.delivered() && !self.filling {
                    // Nothing arrived to reveal the hole: pub/sub lost the
                    // newest entries. Read them.
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
            Command::Shutdown { .. } => {}
        }
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

    // ---- connections ---------------------------------------------------

    fn connect(&mut self, conn: ConnId, user: User, outbox: Outbox, rooms: Vec<Membership>) {
        let first = !self.users.contains_key(&user.id);
        let local = self
            .users
            .entry(user.id.clone())
            .or_insert_with(|| LocalUser {
                user: user.clone(),
                conns: Vec::new(),
                rooms: HashSet::new(),
            });
        local.conns.push(conn);
        local.rooms = rooms.iter().map(|m| m.room.clone()).collect();
        self.names.insert(user.name.key(), user.id.clone());
        self.conns.insert(
            conn,
            Conn {
                user_id: user.id.clone(),
                outbox,
                floors: HashMap::new(),
            },
        );
        for m in &rooms {
            let route = self.rooms.entry(m.room.clone()).or_default();
            route.conns.insert(conn);
            route.members = m.members;
        }
        let welcome = self.welcome(&user, &rooms);
        self.push_to(conn, &welcome);
        if first {
            self.announce(&user, true);
        }
    }

    fn disconnect(&mut self, conn: ConnId) {
        let Some(gone) = self.conns.remove(&conn) else {
            return;
        };
        self.pending_joins.retain(|(c, _)| *c != conn);
        let Some(local) = self.users.get_mut(&gone.user_id) else {
            return;
        };
        local.conns.retain(|c| *c != conn);
        let rooms: Vec<RoomId> = local.rooms.iter().cloned().collect();
        let last = local.conns.is_empty();
        for room in &rooms {
            if let Some(route) = self.rooms.get_mut(room) {
                route.conns.remove(&conn);
            }
            self.drop_route_if_unused(room);
        }
        if last {
            if let Some(local) = self.users.remove(&gone.user_id) {
                self.names.remove(&local.user.name.key());
                self.announce(&local.user, false);
            }
        }
    }

    /// Tells the cluster (this node included, through the broker) and the
    /// shared presence record that `user` came online here or left.
    fn announce(&mut self, user: &User, online: bool) {
        let rooms: Vec<RoomId> = self
            .users
            .get(&user.id)
            .map(|l| l.rooms.iter().cloned().collect())
            .unwrap_or_default();
        let entry = online.then(|| OnlineUser {
            user: user.clone(),
            rooms: rooms.clone(),
        });
        let _ = self.requests.try_send(Request::Presence {
            user_id: user.id.clone(),
            entry,
        });
        self.broker.publish(confab_engine::bus::BusEvent {
            node: self.node.clone(),
            body: BusBody::Presence {
                user: user.clone(),
                rooms,
                online,
            },
        });
    }

    fn drop_route_if_unused(&mut self, room: &RoomId) {
        let pending = self.pending_joins.iter().any(|(_, r)| r == room);
        if !pending && self.rooms.get(room).is_some_and(|r| r.conns.is_empty()) {
            self.rooms.remove(room);
        }
    }

    fn subscribe(&mut self, conn: ConnId, room: RoomId, after: u64, joined: Frame) -> bool {
        if !self.conns.contains_key(&conn) {
            return true;
        }
        let route = self.rooms.entry(room.clone()).or_default();
        // Messages delivered here past the page: replay them from the recent
        // frames, or have the session read the page again.
        let missed: Vec<(u64, Frame)> = route
            .recent
            .iter()
            .filter(|(seq, _)| *seq > after)
            .cloned()
            .collect();
        let oldest_recent = route.recent.front().map_or(u64::MAX, |(seq, _)| *seq);
        if route.delivered_seq > after && oldest_recent > after + 1 {
            return false;
        }
        self.pending_joins.remove(&(conn, room.clone()));
        route.conns.insert(conn);
        if let Some(c) = self.conns.get_mut(&conn) {
            let newest = missed.iter().map(|(seq, _)| *seq).max().unwrap_or(after);
            c.floors.insert(room.clone(), newest);
        }
        self.push_to(conn, &joined);
        for (_, frame) in &missed {
            self.push_to(conn, frame);
        }
        true
    }

    fn close_all(&mut self) {
        let notice = Frame::new(&confab_shared::ServerMsg::Notification {
            kind: confab_shared::NotificationKind::System,
            room: None,
            from: None,
            text: "The server is restarting; you will be reconnected.".into(),
            message_id: None,
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

    fn drain_evictions(&mut self) {
        while let Some(conn) = self.evictions.pop_front() {
            if let Some(c) = self.conns.get(&conn) {
                c.outbox.close(crate::outbox::CloseReason::Overflow);
                self.metrics
                    .slow_consumers_closed
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(conn, "closing a connection that cannot keep up (1013)");
                self.disconnect(conn);
            }
        }
    }
}
