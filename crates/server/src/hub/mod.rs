//! The hub: the one task that owns the chat state.
//!
//! Sessions (WebSocket, SSE, HTTP) talk to it only through [`HubHandle`] and
//! typed [`Command`]s, so room membership, presence and fan-out need no locks
//! and happen in one well-defined order. The hub never waits on a client: it
//! pushes pre-serialized frames into each connection's bounded
//! [`Outbox`](crate::outbox::Outbox), and a full one gets that connection
//! closed (1013) instead of slowing the room.
//!
//! Posts are collected while commands keep arriving and written to the store
//! in one transaction (group commit); only after that commit are they
//! broadcast and acknowledged, so an `ack` always means "durably stored".
//! Commands whose answer depends on stored messages (`join`, `leave`, a new
//! connection's `welcome`) flush pending posts first, which keeps every
//! connection's view gap-free and in `seq` order.

mod handle;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use confab_shared::mention::mentions;
use confab_shared::{
    Attachment, ClientId, Member, NotificationKind, PresenceEvent, RoomId, RoomSummary, ServerMsg,
    Timestamp, User, DEFAULT_JOIN_MESSAGES, MAX_RESUME_MESSAGES,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use self::handle::{Action, Command, ConnId, HubGone, HubHandle, Origin, Target};
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::outbox::{CloseReason, Frame, Outbox};
use crate::store::{NewMessage, Store};

/// Commands waiting for the hub at most; senders wait beyond that.
const QUEUE_CAPACITY: usize = 8192;
/// Commands handled before pending posts are committed, at most.
const MAX_BATCH: usize = 512;
/// Notification previews are cut to this many characters.
const PREVIEW_CHARS: usize = 200;

/// Starts the hub task.
pub fn spawn(store: Arc<dyn Store>, metrics: Arc<Metrics>) -> (HubHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let hub = Hub {
        store,
        metrics,
        conns: HashMap::new(),
        online: HashMap::new(),
        rooms: HashMap::new(),
        users: HashMap::new(),
        pending: Vec::new(),
    };
    (HubHandle::new(tx), tokio::spawn(hub.run(rx)))
}

struct Conn {
    user_id: String,
    outbox: Outbox,
}

/// A user with at least one open connection.
struct OnlineUser {
    user: User,
    conns: Vec<ConnId>,
    rooms: HashSet<RoomId>,
}

/// The cached state of a room (loaded from the store on first use).
struct Room {
    /// Members by user id.
    members: HashMap<String, User>,
    latest_seq: u64,
}

struct PendingPost {
    origin: Origin,
    message: NewMessage,
}

struct Hub {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    conns: HashMap<ConnId, Conn>,
    /// Online users by user id.
    online: HashMap<String, OnlineUser>,
    rooms: HashMap<RoomId, Room>,
    /// Known users by case-folded name.
    users: HashMap<String, User>,
    pending: Vec<PendingPost>,
}

impl Hub {
    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        while let Some(cmd) = rx.recv().await {
            let mut stop = self.handle(cmd).await;
            // Take whatever else is already queued before committing, so a
            // burst of posts shares one transaction.
            let mut handled = 1;
            while stop.is_none() && handled < MAX_BATCH {
                match rx.try_recv() {
                    Ok(cmd) => {
                        stop = self.handle(cmd).await;
                        handled += 1;
                    }
                    Err(_) => break,
                }
            }
            self.flush().await;
            if let Some(done) = stop {
                self.close_all();
                let _ = done.send(());
                return;
            }
        }
        self.flush().await;
    }

    /// Handles one command; returns the shutdown reply if it was `Shutdown`.
    async fn handle(&mut self, cmd: Command) -> Option<tokio::sync::oneshot::Sender<()>> {
        match cmd {
            Command::Connect { conn, user, outbox } => {
                self.flush().await;
                self.connect(conn, user, outbox).await;
            }
            Command::Disconnect { conn } => self.disconnect(conn),
            Command::Act {
                user,
                origin,
                action,
            } => self.act(user, origin, action).await,
            Command::OnlineCounts { rooms, reply } => {
                let counts = rooms.iter().map(|r| self.online_count(r)).collect();
                let _ = reply.send(counts);
            }
            Command::Shutdown { done } => return Some(done),
        }
        None
    }

    async fn act(&mut self, user: User, origin: Origin, action: Action) {
        let skip = match &origin {
            Origin::Conn(conn) => Some(*conn),
            Origin::Http(_) => None,
        };
        let result = match action {
            Action::Join { room, since } => {
                self.flush().await;
                self.join(&user, room, since, skip).await.map(Some)
            }
            Action::Leave { room } => {
                self.flush().await;
                self.leave(&user, room, skip).await.map(Some)
            }
            Action::Typing { room } => self.typing(&user, &room).await.map(|()| None),
            Action::Post {
                target,
                text,
                client_id,
                attachment,
            } => {
                let error_id = client_id.as_ref().map(|c| c.as_str().to_owned());
                match self
                    .prepare_post(&user, target, text, client_id, attachment)
                    .await
                {
                    Ok(message) => {
                        self.pending.push(PendingPost { origin, message });
                        return;
                    }
                    Err(e) => {
                        self.reply(origin, Err(e), error_id);
                        return;
                    }
                }
            }
        };
        self.reply(origin, result, None);
    }

    /// Sends the answer to whoever asked.
    fn reply(
        &mut self,
        origin: Origin,
        result: Result<Option<ServerMsg>, AppError>,
        client_id: Option<String>,
    ) {
        match origin {
            Origin::Http(tx) => {
                let _ = match result {
                    Ok(Some(msg)) => tx.send(Ok(msg)),
                    Ok(None) => tx.send(Err(AppError::NotFound("nothing to return".into()))),
                    Err(e) => tx.send(Err(e)),
                };
            }
            Origin::Conn(conn) => {
                let msg = match result {
                    Ok(Some(msg)) => msg,
                    Ok(None) => return,
                    Err(e) => ServerMsg::error(e.code(), e.to_string(), client_id),
                };
                self.push_to(conn, &Frame::new(&msg));
            }
        }
    }

    // ---- connections and presence -------------------------------------

    async fn connect(&mut self, conn: ConnId, user: User, outbox: Outbox) {
        let memberships = match self.store.memberships(&user.id).await {
            Ok(m) => m,
            Err(e) => {
                let e = AppError::from(e);
                let _ = outbox.push(Frame::new(&ServerMsg::error(e.code(), e.to_string(), None)));
                outbox.close(CloseReason::Internal);
                return;
            }
        };
        for m in &memberships {
            if let Err(e) = self.ensure_room(&m.room).await {
                let _ = outbox.push(Frame::new(&ServerMsg::error(e.code(), e.to_string(), None)));
                outbox.close(CloseReason::Internal);
                return;
            }
        }
        self.users.insert(user.name.key(), user.clone());
        let first = !self.online.contains_key(&user.id);
        let entry = self
            .online
            .entry(user.id.clone())
            .or_insert_with(|| OnlineUser {
                user: user.clone(),
                conns: Vec::new(),
                rooms: HashSet::new(),
            });
        entry.conns.push(conn);
        entry.rooms = memberships.iter().map(|m| m.room.clone()).collect();
        self.conns.insert(
            conn,
            Conn {
                user_id: user.id.clone(),
                outbox,
            },
        );
        let rooms = memberships
            .iter()
            .map(|m| RoomSummary {
                name: m.room.clone(),
                members: self.member_count(&m.room),
                online: self.online_count(&m.room),
                unread: m.unread,
                latest_seq: self
                    .rooms
                    .get(&m.room)
                    .map_or(m.latest_seq, |r| r.latest_seq.max(m.latest_seq)),
            })
            .collect();
        self.push_to(
            conn,
            &Frame::new(&ServerMsg::Welcome {
                user: user.clone(),
                rooms,
            }),
        );
        if first {
            for room in memberships.into_iter().map(|m| m.room) {
                self.presence(&room, &user, PresenceEvent::Online, None);
            }
        }
    }

    fn disconnect(&mut self, conn: ConnId) {
        let Some(gone) = self.conns.remove(&conn) else {
            return;
        };
        let Some(entry) = self.online.get_mut(&gone.user_id) else {
            return;
        };
        entry.conns.retain(|c| *c != conn);
        if entry.conns.is_empty() {
            if let Some(offline) = self.online.remove(&gone.user_id) {
                for room in &offline.rooms {
                    self.presence(room, &offline.user, PresenceEvent::Offline, None);
                }
            }
        }
    }

    /// Tells a room's members (all of them but `user`'s connections for
    /// online/offline; all but `skip` otherwise) what changed.
    fn presence(&mut self, room: &RoomId, user: &User, event: PresenceEvent, skip: Option<ConnId>) {
        let frame = Frame::new(&ServerMsg::Presence {
            room: room.clone(),
            user: user.name.clone(),
            event,
            members: self.member_count(room),
            online: self.online_count(room),
        });
        let skip_user = matches!(event, PresenceEvent::Online | PresenceEvent::Offline)
            .then_some(user.id.as_str());
        self.deliver(room, &frame, skip, skip_user);
        if event == PresenceEvent::Left {
            // The user is no longer a member, but their other tabs must learn it.
            self.deliver_to_user(&user.id, &frame, skip);
        }
    }

    fn close_all(&mut self) {
        let notice = Frame::new(&ServerMsg::Notification {
            kind: NotificationKind::System,
            room: None,
            from: None,
            text: "The server is restarting; you will be reconnected.".into(),
            message_id: None,
        });
        for conn in self.conns.values() {
            let _ = conn.outbox.push(notice.clone());
            conn.outbox.close(CloseReason::Shutdown);
        }
        self.conns.clear();
        self.online.clear();
    }

    // ---- delivery -----------------------------------------------------

    fn push_to(&mut self, conn: ConnId, frame: &Frame) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if c.outbox.push(frame.clone()).is_ok() {
            self.metrics.frames_out.fetch_add(1, Relaxed);
        } else {
            self.evict(conn);
        }
    }

    /// A connection whose outbox overflowed is gone as far as the hub cares.
    fn evict(&mut self, conn: ConnId) {
        self.metrics.slow_consumers_closed.fetch_add(1, Relaxed);
        tracing::warn!(conn, "closing a connection that cannot keep up (1013)");
        self.disconnect(conn);
    }

    /// Pushes `frame` to every connection of every member of `room`, except
    /// connection `skip` and every connection of `skip_user`.
    fn deliver(
        &mut self,
        room: &RoomId,
        frame: &Frame,
        skip: Option<ConnId>,
        skip_user: Option<&str>,
    ) {
        let mut overflowed = Vec::new();
        let mut sent = 0;
        if let Some(r) = self.rooms.get(room) {
            for user_id in r.members.keys() {
                if skip_user == Some(user_id.as_str()) {
                    continue;
                }
                let Some(online) = self.online.get(user_id) else {
                    continue;
                };
                for conn in online.conns.iter().filter(|c| Some(**c) != skip) {
                    if let Some(c) = self.conns.get(conn) {
                        if c.outbox.push(frame.clone()).is_ok() {
                            sent += 1;
                        } else {
                            overflowed.push(*conn);
                        }
                    }
                }
            }
        }
        self.metrics.frames_out.fetch_add(sent, Relaxed);
        for conn in overflowed {
            self.evict(conn);
        }
    }

    fn deliver_to_user(&mut self, user_id: &str, frame: &Frame, skip: Option<ConnId>) {
        let conns: Vec<ConnId> = match self.online.get(user_id) {
            Some(online) => online
                .conns
                .iter()
                .copied()
                .filter(|c| Some(*c) != skip)
                .collect(),
            None => return,
        };
        for conn in conns {
            self.push_to(conn, frame);
        }
    }

    // ---- rooms --------------------------------------------------------

    fn member_count(&self, room: &RoomId) -> u32 {
        self.rooms
            .get(room)
            .map_or(0, |r| u32::try_from(r.members.len()).unwrap_or(u32::MAX))
    }

    fn online_count(&self, room: &RoomId) -> u32 {
        self.rooms.get(room).map_or(0, |r| {
            let n = r
                .members
                .keys()
                .filter(|id| self.online.contains_key(*id))
                .count();
            u32::try_from(n).unwrap_or(u32::MAX)
        })
    }

    /// Loads a room into the cache; `false` if it does not exist.
    async fn ensure_room(&mut self, room: &RoomId) -> Result<bool, AppError> {
        if self.rooms.contains_key(room) {
            return Ok(true);
        }
        let Some(latest_seq) = self.store.latest_seq(room).await? else {
            return Ok(false);
        };
        let members = self.store.members(room).await?;
        let members = members.into_iter().map(|u| (u.id.clone(), u)).collect();
        self.rooms.insert(
            room.clone(),
            Room {
                members,
                latest_seq,
            },
        );
        Ok(true)
    }

    /// Looks a user up by case-folded name.
    async fn find_user(&mut self, key: &str) -> Result<Option<User>, AppError> {
        if let Some(user) = self.users.get(key) {
            return Ok(Some(user.clone()));
        }
        let found = self.store.user_by_name(key).await?;
        if let Some(user) = &found {
            self.users.insert(key.to_owned(), user.clone());
        }
        Ok(found)
    }

    /// Makes `user` a member in the store and the cache; true if new.
    async fn add_member(&mut self, room: &RoomId, user: &User) -> Result<bool, AppError> {
        let added = self.store.join(room, &user.id).await?;
        self.ensure_room(room).await?;
        if let Some(r) = self.rooms.get_mut(room) {
            r.members.insert(user.id.clone(), user.clone());
        }
        if let Some(online) = self.online.get_mut(&user.id) {
            online.rooms.insert(room.clone());
        }
        Ok(added)
    }

    /// Checks that a DM room names two real users exactly as registered.
    async fn check_direct(&mut self, room: &RoomId, user: &User) -> Result<User, AppError> {
        let Some(peer_name) = room.peer_of(&user.name) else {
            return Err(AppError::foreign_direct(room));
        };
        let peer = self
            .find_user(&peer_name.key())
            .await?
            .ok_or_else(|| AppError::UnknownUser(peer_name.to_string()))?;
        if RoomId::direct(&user.name, &peer.name).as_ref() != Some(room) {
            return Err(AppError::Invalid(format!(
                "write this conversation as {}",
                RoomId::direct(&user.name, &peer.name).map_or_else(String::new, |r| r.to_string())
            )));
        }
        Ok(peer)
    }

    async fn join(
        &mut self,
        user: &User,
        room: RoomId,
        since: Option<u64>,
        skip: Option<ConnId>,
    ) -> Result<ServerMsg, AppError> {
        if room.is_direct() {
            self.check_direct(&room, user).await?;
        }
        let added = self.add_member(&room, user).await?;
        let page = match since {
            Some(since) => {
                self.store
                    .messages_after(&room, since, MAX_RESUME_MESSAGES as u32)
                    .await?
            }
            None => {
                self.store
                    .messages_before(&room, None, DEFAULT_JOIN_MESSAGES as u32)
                    .await?
            }
        };
        if added {
            self.presence(&room, user, PresenceEvent::Joined, skip);
        }
        let Some(cached) = self.rooms.get(&room) else {
            return Err(AppError::Internal(format!("room {room} vanished")));
        };
        let mut members: Vec<Member> = cached
            .members
            .values()
            .map(|u| Member {
                name: u.name.clone(),
                color: u.color.clone(),
                online: self.online.contains_key(&u.id),
            })
            .collect();
        members.sort_by_key(|m| m.name.key());
        Ok(ServerMsg::Joined {
            latest_seq: cached.latest_seq,
            room,
            members,
            messages: page.messages,
            more: page.more,
        })
    }

    async fn leave(
        &mut self,
        user: &User,
        room: RoomId,
        skip: Option<ConnId>,
    ) -> Result<ServerMsg, AppError> {
        if self.store.leave(&room, &user.id).await? {
            if let Some(r) = self.rooms.get_mut(&room) {
                r.members.remove(&user.id);
            }
            if let Some(online) = self.online.get_mut(&user.id) {
                online.rooms.remove(&room);
            }
            self.presence(&room, user, PresenceEvent::Left, skip);
        }
        Ok(ServerMsg::Left { room })
    }

    /// Fails unless `user` is a member of `room`.
    async fn check_member(&mut self, room: &RoomId, user: &User) -> Result<(), AppError> {
        if !room.admits(&user.name) {
            return Err(AppError::foreign_direct(room));
        }
        let member = self.ensure_room(room).await?
            && self
                .rooms
                .get(room)
                .is_some_and(|r| r.members.contains_key(&user.id));
        if member {
            Ok(())
        } else {
            Err(AppError::NotMember(room.clone()))
        }
    }

    async fn typing(&mut self, user: &User, room: &RoomId) -> Result<(), AppError> {
        self.check_member(room, user).await?;
        let frame = Frame::new(&ServerMsg::Typing {
            room: room.clone(),
            user: user.name.clone(),
        });
        self.deliver(room, &frame, None, Some(&user.id));
        Ok(())
    }

    // ---- posting ------------------------------------------------------

    async fn prepare_post(
        &mut self,
        user: &User,
        target: Target,
        text: String,
        client_id: Option<ClientId>,
        attachment: Option<Attachment>,
    ) -> Result<NewMessage, AppError> {
        let room = match target {
            Target::Room(room) => room,
            Target::User(to) => {
                let peer = self
                    .find_user(&to.key())
                    .await?
                    .ok_or_else(|| AppError::UnknownUser(to.to_string()))?;
                let room = RoomId::direct(&user.name, &peer.name).ok_or_else(|| {
                    AppError::Invalid("you cannot send a direct message to yourself".into())
                })?;
                // Both are members of a conversation from its first message.
                self.add_member(&room, user).await?;
                self.add_member(&room, &peer).await?;
                room
            }
        };
        self.check_member(&room, user).await?;
        Ok(NewMessage {
            id: uuid::Uuid::now_v7().simple().to_string(),
            room,
            sender: user.clone(),
            text,
            ts: Timestamp::now(),
            client_id,
            attachment,
        })
    }

    /// Stores pending posts in one transaction, then broadcasts and acks them.
    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let (origins, batch): (Vec<Origin>, Vec<NewMessage>) = std::mem::take(&mut self.pending)
            .into_iter()
            .map(|p| (p.origin, p.message))
            .unzip();
        let started = Instant::now();
        let result = self.store.append(&batch).await;
        self.metrics.observe_store(started.elapsed());
        let stored = match result {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(error = %e, lost = batch.len(), "could not store messages");
                for (origin, new) in origins.into_iter().zip(batch) {
                    let e = AppError::Internal("the message was not stored; send it again".into());
                    let id = new.client_id.map(|c| c.as_str().to_owned());
                    self.reply(origin, Err(e), id);
                }
                return;
            }
        };
        for ((origin, new), stored) in origins.into_iter().zip(batch).zip(stored) {
            if !stored.duplicate {
                self.metrics.messages_stored.fetch_add(1, Relaxed);
                let message = &stored.message;
                if let Some(r) = self.rooms.get_mut(&message.room) {
                    r.latest_seq = r.latest_seq.max(message.seq);
                }
                let skip = match &origin {
                    Origin::Conn(conn) => Some(*conn),
                    Origin::Http(_) => None,
                };
                let frame = Frame::with_pos(
                    &ServerMsg::Message {
                        message: message.clone(),
                    },
                    stored.pos,
                );
                self.deliver(&message.room, &frame, skip, None);
                self.notify(message, &new.sender);
            }
            let ack = ServerMsg::Ack {
                client_id: new.client_id,
                message: stored.message,
            };
            self.reply(origin, Ok(Some(ack)), None);
        }
    }

    /// DM and `@mention` notifications for a freshly stored message.
    fn notify(&mut self, message: &confab_shared::Message, sender: &User) {
        let (kind, recipients): (NotificationKind, Vec<String>) = match &message.room {
            RoomId::Direct(..) => {
                let peer = message
                    .room
                    .peer_of(&sender.name)
                    .and_then(|p| self.users.get(&p.key()))
                    .map(|u| u.id.clone());
                (NotificationKind::Dm, peer.into_iter().collect())
            }
            RoomId::Public(_) => {
                let Some(room) = self.rooms.get(&message.room) else {
                    return;
                };
                let wanted = mentions(&message.text);
                let ids = room
                    .members
                    .values()
                    .filter(|u| u.id != sender.id && wanted.contains(&u.name.key()))
                    .map(|u| u.id.clone())
                    .collect();
                (NotificationKind::Mention, ids)
            }
        };
        if recipients.is_empty() {
            return;
        }
        let text = if message.text.is_empty() && message.attachment.is_some() {
            "sent an image".to_owned()
        } else {
            message.text.chars().take(PREVIEW_CHARS).collect()
        };
        let frame = Frame::new(&ServerMsg::Notification {
            kind,
            room: Some(message.room.clone()),
            from: Some(message.from.clone()),
            text,
            message_id: Some(message.id.clone()),
        });
        for user_id in recipients {
            self.deliver_to_user(&user_id, &frame, None);
        }
    }
}
