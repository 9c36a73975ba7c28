//! What a user can do — leave, post, type (joining: `joining.rs`;
//! moderating: `moderation.rs`) — run by the session that
//! asked, outside the hub: reads go to the store, changes to the writer,
//! and only routing questions to the hub. One path for sockets, SSE users
//! and HTTP bots.

use std::sync::Arc;

use confab_engine::bus::{Broker, BusBody, BusEvent};
use confab_engine::flood::FloodGate;
use confab_engine::store::{NewMessage, Store, Write};
use confab_shared::{
    Attachment, ClientId, EntryKind, MessageText, RoomId, ServerMsg, Timestamp, User, UserName,
};

use crate::error::AppError;
use crate::hub::{ConnId, HubHandle};
use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::writer::{posted, Job, Reply, WriterHandle};

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
    /// Wrong room passwords per user and room: guessing waits, as failed
    /// logins do.
    pub room_passwords: Arc<crate::limits::logins::LoginThrottle>,
}

impl Chat {
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
    pub(crate) async fn check_direct(&self, room: &RoomId, user: &User) -> Result<(), AppError> {
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
