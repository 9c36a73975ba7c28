//! What a user can do — join, leave, post, type — run by the session that
//! asked, outside the hub: reads go to the store, changes to the writer,
//! and only routing questions to the hub. One path for sockets, SSE users
//! and HTTP bots.

use std::sync::Arc;

use confab_engine::bus::{Broker, BusBody, BusEvent};
use confab_engine::flood::FloodGate;
use confab_engine::store::{NewMessage, Outcome, Refusal, Store, Write};
use confab_shared::moderation::{RoomPassword, RoomRole};
use confab_shared::{
    Attachment, ClientId, EntryKind, Member, MessageText, RoomId, ServerMsg, Timestamp, User,
    UserName, DEFAULT_JOIN_MESSAGES, MAX_JOINED_MEMBERS, MAX_RESUME_MESSAGES,
};
use tokio::sync::oneshot;

use crate::error::AppError;
use crate::hub::{Command, ConnId, HubHandle};
use crate::metrics::Metrics;
use crate::outbox::{Frame, Outbox};
use crate::writer::{posted, Job, Reply, WriterHandle};

/// Times a `joined` page is read again when the room moved on meanwhile.
const JOIN_ATTEMPTS: usize = 5;

/// Where a post goes.
#[derive(Debug, Clone)]
pub enum Target {
    Room(RoomId),
    /// The direct conversation with this user.
    User(UserName),
}

/// A post: already validated text (or an empty caption for an image).
#[derive(Debug, Clone)]
pub struct Post {
    pub target: Target,
    pub text: String,
    pub client_id: Option<ClientId>,
    pub attachment: Option<Attachment>,
}

impl Post {
    pub fn text(target: Target, text: MessageText, client_id: Option<ClientId>) -> Self {
        Self {
            target,
            text: text.into(),
            client_id,
            attachment: None,
        }
    }
}

/// What [`Chat::change`] does to a message.
#[derive(Debug, Clone)]
pub enum Change {
    /// Replace its text.
    Edit(MessageText),
    /// Take it back.
    Delete,
}

/// A socket asking: its answers go to its outbox.
#[derive(Clone)]
pub struct Asker {
    pub conn: ConnId,
    pub outbox: Outbox,
}

#[derive(Clone)]
pub struct Chat {
    pub store: Arc<dyn Store>,
    pub writer: WriterHandle,
    pub hub: HubHandle,
    pub broker: Arc<dyn Broker>,
    pub metrics: Arc<Metrics>,
    /// Rooms one user may create (`--max-rooms-per-user`, 0 = no limit);
    /// the store counts them when it commits the join that would create one.
    pub max_rooms_per_user: u32,
    /// Each user's send allowance, over all their connections and nodes.
    pub flood: Arc<dyn FloodGate>,
    /// Server admins (`--admin`): they moderate every room.
    pub admins: crate::moderation::Admins,
}

impl Chat {
    /// Makes `user` a member of `room` and nothing more: no page, no member
    /// list, no hub round trip. For callers whose answer does not show the
    /// room (a new session joining `lobby`). The room's members still see
    /// the user arrive: the committed membership is published like any.
    pub async fn enter(&self, user: &User, room: RoomId) -> Result<(), AppError> {
        self.enter_with(user, room, None).await
    }

    /// [`Chat::enter`] showing the hash of the room password the user
    /// proved to know ([`Chat::proven_password`]).
    async fn enter_with(
        &self,
        user: &User,
        room: RoomId,
        proven: Option<String>,
    ) -> Result<(), AppError> {
        let writes = vec![Write::Join {
            room: room.clone(),
            user: user.clone(),
            max_created: self.max_rooms_per_user,
            proven,
            admin: self.is_admin(user),
        }];
        match self.writer.commit(writes).await? {
            Outcome::Logged(_) | Outcome::Unchanged => Ok(()),
            Outcome::Refused(Refusal::TooManyRooms) => Err(AppError::TooManyRooms(format!(
                "{room} does not exist, and you already created {} rooms, the most you \
                 may: join an existing room instead",
                self.max_rooms_per_user
            ))),
            Outcome::Refused(refusal) => Err(crate::moderation::refused(refusal, Some(&room))),
            other => Err(AppError::Internal(format!("a join ended as {other:?}"))),
        }
    }

    /// Joins `room`; the answer is the `joined` frame. For a socket it is
    /// queued in its outbox before any live message of the room.
    pub async fn join(
        &self,
        user: &User,
        room: RoomId,
        since: Option<u64>,
        password: Option<RoomPassword>,
        asker: Option<&Asker>,
    ) -> Result<ServerMsg, AppError> {
        if room.is_direct() {
            self.check_direct(&room, user).await?;
        }
        let proven = self.proven_password(&room, password).await?;
        if let Some(a) = asker {
            self.hub
                .send(Command::Joining {
                    conn: a.conn,
                    room: room.clone(),
                })
                .await?;
        }
        let result = self.join_inner(user, &room, since, proven, asker).await;
        if let (Err(_), Some(a)) = (&result, asker) {
            let _ = self
                .hub
                .send(Command::JoinFailed { conn: a.conn, room })
                .await;
        }
        result
    }

    async fn join_inner(
        &self,
        user: &User,
        room: &RoomId,
        since: Option<u64>,
        proven: Option<String>,
        asker: Option<&Asker>,
    ) -> Result<ServerMsg, AppError> {
        self.enter_with(user, room.clone(), proven).await?;
        for _ in 0..JOIN_ATTEMPTS {
            let joined = self.joined(user, room, since).await?;
            let Some(a) = asker else {
                return Ok(joined);
            };
            let after = match &joined {
                // A resume page that did not reach the end: the client joins
                // again from its last message, and that join subscribes; until
                // then, live messages of the room would only overtake the pages.
                ServerMsg::Joined { more: true, .. } if since.is_some() => u64::MAX,
                ServerMsg::Joined {
                    messages,
                    latest_seq,
                    ..
                } => messages
                    .last()
                    .map_or(since.unwrap_or(*latest_seq), |m| m.seq),
                _ => 0,
            };
            let (reply, rx) = oneshot::channel();
            self.hub
                .send(Command::Subscribe {
                    conn: a.conn,
                    room: room.clone(),
                    after,
                    joined: Frame::new(&joined),
                    reply,
                })
                .await?;
            if rx.await.unwrap_or(true) {
                // Queued by the hub, in order with the room's messages.
                return Ok(joined);
            }
        }
        Err(AppError::Unavailable(
            "the room is too busy to join right now; try again".into(),
        ))
    }

    /// The `joined` frame: the page the join asked for and the members.
    async fn joined(
        &self,
        user: &User,
        room: &RoomId,
        since: Option<u64>,
    ) -> Result<ServerMsg, AppError> {
        let latest_seq = self.store.latest_seq(room).await?.unwrap_or(0);
        let topic = match room {
            RoomId::Public(_) => self.store.room_gate(room).await?.unwrap_or_default().topic,
            RoomId::Direct(..) => String::new(),
        };
        let role = match room {
            RoomId::Public(_) => self.role(user, room).await?,
            RoomId::Direct(..) => RoomRole::Member,
        };
        let page = match since {
            Some(since) => {
                self.store
                    .messages_after(room, since, MAX_RESUME_MESSAGES as u32)
                    .await?
            }
            None => {
                self.store
                    .messages_before(room, None, DEFAULT_JOIN_MESSAGES as u32)
                    .await?
            }
        };
        self.metrics
            .joined_built
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let users = self.store.members(room).await?;
        let members_total = u32::try_from(users.len()).unwrap_or(u32::MAX);
        let members = with_online(&self.hub, users).await?;
        // Who is online matters most; the rest pages over REST. The store
        // lists members by case-folded name, so a stable partition keeps
        // each half in that order without sorting (or case-folding) them.
        let (online, offline): (Vec<Member>, Vec<Member>) =
            members.into_iter().partition(|m| m.online);
        let mut members: Vec<Member> = online
            .into_iter()
            .chain(offline)
            .take(MAX_JOINED_MEMBERS)
            .collect();
        members.sort_by_cached_key(|m| m.name.key());
        let latest_seq = page
            .messages
            .last()
            .map_or(latest_seq, |m| m.seq.max(latest_seq));
        // A resume page keeps its oldest messages (the client asks for the
        // next ones); a latest page its newest (older ones page backwards).
        let keep_oldest = since.is_some();
        let (messages, cut) = crate::history::fit_page(page.messages, keep_oldest);
        Ok(ServerMsg::Joined {
            room: room.clone(),
            members,
            members_total,
            messages,
            more: page.more || cut,
            latest_seq,
            topic,
            role,
        })
    }

    /// Leaves `room`; the answer (`left`) follows the commit.
    pub async fn leave(&self, user: &User, room: RoomId) -> Result<ServerMsg, AppError> {
        let writes = vec![Write::Leave {
            room: room.clone(),
            user: user.clone(),
        }];
        self.writer.commit(writes).await?;
        Ok(ServerMsg::Left { room })
    }

    /// Posts a message. A socket's `ack` (or `error`) arrives in its outbox
    /// after the commit, so the socket can read its next frame at once;
    /// without a socket the stored message is returned.
    pub async fn post(
        &self,
        user: &User,
        post: Post,
        asker: Option<&Asker>,
    ) -> Result<Option<confab_shared::Message>, AppError> {
        let (room, mut writes) = match &post.target {
            Target::Room(room) => {
                if !room.admits(&user.name) {
                    return Err(AppError::foreign_direct(room));
                }
                self.check_not_blocked(user, room).await?;
                (room.clone(), Vec::new())
            }
            Target::User(to) => {
                let peer = self
                    .store
                    .user_by_name(&to.key())
                    .await?
                    .ok_or_else(|| AppError::UnknownUser(to.to_string()))?;
                let room = RoomId::direct(&user.name, &peer.name).ok_or_else(|| {
                    AppError::Invalid("you cannot send a direct message to yourself".into())
                })?;
                if self.store.blocks(&peer.id, &user.id).await? {
                    return Err(AppError::blocked_by(&peer.name));
                }
                // Both are members of a conversation from its first message,
                // also a peer who is offline now.
                let joins = vec![
                    // Conversations count for nobody's room cap.
                    Write::Join {
                        room: room.clone(),
                        user: user.clone(),
                        max_created: 0,
                        proven: None,
                        admin: false,
                    },
                    Write::Join {
                        room: room.clone(),
                        user: peer,
                        max_created: 0,
                        proven: None,
                        admin: false,
                    },
                ];
                (room, joins)
            }
        };
        self.take_send(user).await?;
        writes.push(Write::Post(NewMessage {
            id: uuid::Uuid::now_v7().simple().to_string(),
            room: room.clone(),
            sender: user.clone(),
            text: post.text,
            ts: Timestamp::now(),
            client_id: post.client_id.clone(),
            attachment: post.attachment,
            kind: EntryKind::Message,
            target: None,
        }));
        self.commit_post(room, writes, post.client_id, asker).await
    }

    /// Edits or deletes `user`'s own message `seq` in `room` (protocol
    /// version 2): a new log entry, answered like a post. The store checks,
    /// under the room's lock, that the target is the user's message and
    /// not deleted.
    pub async fn change(
        &self,
        user: &User,
        room: RoomId,
        seq: u64,
        change: Change,
        client_id: Option<ClientId>,
        asker: Option<&Asker>,
    ) -> Result<Option<confab_shared::Message>, AppError> {
        if !room.admits(&user.name) {
            return Err(AppError::foreign_direct(&room));
        }
        if matches!(change, Change::Edit(_)) {
            self.check_not_blocked(user, &room).await?;
        }
        self.take_send(user).await?;
        // A moderator's deletion may take anyone's message: it goes as a
        // moderation, checked against the role at commit time.
        if matches!(change, Change::Delete) && self.role(user, &room).await?.moderates() {
            return self
                .moderator_delete(user, room, seq, client_id, asker)
                .await;
        }
        let (kind, text) = match change {
            Change::Edit(text) => (EntryKind::Edit, text.into()),
            Change::Delete => (EntryKind::Delete, String::new()),
        };
        let writes = vec![Write::Post(NewMessage {
            id: uuid::Uuid::now_v7().simple().to_string(),
            room: room.clone(),
            sender: user.clone(),
            text,
            ts: Timestamp::now(),
            client_id: client_id.clone(),
            attachment: None,
            kind,
            target: Some(seq),
        })];
        self.commit_post(room, writes, client_id, asker).await
    }

    /// Hands a post's writes to the writer: a socket gets its answer in its
    /// outbox, anyone else waits for the stored entry.
    pub(crate) async fn commit_post(
        &self,
        room: RoomId,
        writes: Vec<Write>,
        client_id: Option<ClientId>,
        asker: Option<&Asker>,
    ) -> Result<Option<confab_shared::Message>, AppError> {
        match asker {
            Some(a) => {
                self.writer
                    .submit(Job {
                        writes,
                        reply: Reply::Conn {
                            conn: a.conn,
                            outbox: a.outbox.clone(),
                            client_id,
                            owed: a.outbox.ticket(),
                        },
                    })
                    .await?;
                Ok(None)
            }
            None => {
                let outcome = self.writer.commit(writes).await?;
                posted(outcome, Some(&room)).map(Some)
            }
        }
    }

    /// Tells the room's other members `user` is typing (not stored).
    pub async fn typing(&self, user: &User, room: RoomId) -> Result<(), AppError> {
        crate::history::check_member(self.store.as_ref(), user, &room).await?;
        let frame = ServerMsg::Typing {
            room: room.clone(),
            user: user.name.clone(),
        }
        .to_json()
        .into();
        self.broker.publish(BusEvent {
            node: self.broker.node().clone(),
            body: BusBody::Typing {
                room,
                user_id: user.id.clone(),
                frame,
            },
        });
        Ok(())
    }

    /// Checks that a DM room names two real users exactly as registered.
    async fn check_direct(&self, room: &RoomId, user: &User) -> Result<(), AppError> {
        let Some(peer_name) = room.peer_of(&user.name) else {
            return Err(AppError::foreign_direct(room));
        };
        let peer = self
            .store
            .user_by_name(&peer_name.key())
            .await?
            .ok_or_else(|| AppError::UnknownUser(peer_name.to_string()))?;
        let canonical = RoomId::direct(&user.name, &peer.name);
        if canonical.as_ref() != Some(room) {
            return Err(AppError::Invalid(format!(
                "write this conversation as {}",
                canonical.map_or_else(String::new, |r| r.to_string())
            )));
        }
        Ok(())
    }
}

/// Users as members of a room, each with whether they are online anywhere.
pub async fn with_online(hub: &HubHandle, users: Vec<User>) -> Result<Vec<Member>, AppError> {
    let online = hub
        .online_flags(users.iter().map(|u| u.id.clone()).collect())
        .await?;
    Ok(users
        .into_iter()
        .zip(online)
        .map(|(u, online)| Member {
            name: u.name,
            color: u.color,
            online,
        })
        .collect())
}
