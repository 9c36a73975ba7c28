//! Joining a room: the commit that makes the membership (through the
//! room's gates), then the `joined` page, queued by the hub in order with
//! the room's live messages.

use confab_engine::store::{Outcome, Refusal, Standing, Write};
use confab_shared::moderation::{RoomPassword, RoomRole};
use confab_shared::{
    Member, RoomId, ServerMsg, User, DEFAULT_JOIN_MESSAGES, MAX_JOINED_MEMBERS, MAX_RESUME_MESSAGES,
};
use tokio::sync::oneshot;

use crate::chat::{Asker, Chat};
use crate::error::AppError;
use crate::hub::{Command, HubHandle};
use crate::outbox::Frame;

/// Times a `joined` page is read again when the room moved on meanwhile.
const JOIN_ATTEMPTS: usize = 5;

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
            admin: self.is_admin(user).await?,
        }];
        match self.writer.commit(writes).await? {
            Outcome::Logged(_) | Outcome::Unchanged => Ok(()),
            Outcome::Refused(Refusal::TooManyRooms) => Err(AppError::TooManyRooms(format!(
                "{room} does not exist, and you already created {} rooms, the most you \
                 may: join an existing room instead",
                self.max_rooms_per_user
            ))),
            Outcome::Refused(refusal) => Err(AppError::refused(refusal, Some(&room))),
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
        let proven = self.proven_password(user, &room, password).await?;
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
        // One read for the role and the topic; a conversation has neither.
        let Standing { mut role, topic } = match room {
            RoomId::Public(_) => self.store.standing(room, &user.id).await?,
            RoomId::Direct(..) => Standing::default(),
        };
        if !room.is_direct() && self.is_admin(user).await? {
            role = RoomRole::Admin;
        }
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
