//! Room moderation for every kind of session: the `moderate` frame, the
//! HTTP routes and a moderator's deletion all end here, as one
//! [`Write::Moderate`] for the writer. The store decides, under the room's
//! lock, whether the actor's role allows it (see
//! `confab_engine::store::moderation`); this module resolves names, hashes
//! a new room password and words the refusals.

use std::collections::HashSet;

use confab_engine::store::{Forbidden, ModOp, ModWrite, Refusal, Write};
use confab_shared::moderation::{ModAction, RoomAdmin, RoomPassword, RoomRole};
use confab_shared::{ClientId, Message, RoomId, Timestamp, User, UserName};

use crate::chat::{Asker, Chat};
use crate::error::AppError;
use crate::startup::StartupError;

/// Server admins (`--admin NAME`), by case-folded name. A name is an
/// admin only once claimed with a password: a guest who merely picks an
/// admin's name before its owner claims it gets nothing (see
/// [`Chat::is_admin`]).
#[derive(Debug, Clone, Default)]
pub struct Admins(HashSet<String>);

impl Admins {
    pub fn parse(names: &[String]) -> Result<Self, StartupError> {
        names
            .iter()
            .map(|raw| {
                UserName::parse(raw)
                    .map(|name| name.key())
                    .map_err(|e| StartupError::Admin(raw.clone(), e.to_string()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn names(&self, name: &UserName) -> bool {
        !self.0.is_empty() && self.0.contains(&name.key())
    }
}

impl Chat {
    /// Whether `user` is a server admin: named by `--admin` and holding
    /// a password (the store is asked only for those names).
    pub async fn is_admin(&self, user: &User) -> Result<bool, AppError> {
        if !self.admins.names(&user.name) {
            return Ok(false);
        }
        let credentials = self.store.credentials(&user.name.key()).await?;
        Ok(credentials.is_some_and(|c| c.user.id == user.id && c.password_hash.is_some()))
    }

    /// `user`'s role in `room`.
    pub async fn role(&self, user: &User, room: &RoomId) -> Result<RoomRole, AppError> {
        if self.is_admin(user).await? {
            return Ok(RoomRole::Admin);
        }
        Ok(self.store.standing(room, &user.id).await?.role)
    }

    /// The hash of `room`'s password when `password` is it: what a join
    /// shows the store, which compares it with the room's under its lock.
    /// A wrong password is refused here, before any write.
    pub async fn proven_password(
        &self,
        user: &User,
        room: &RoomId,
        password: Option<RoomPassword>,
    ) -> Result<Option<String>, AppError> {
        let Some(password) = password else {
            return Ok(None);
        };
        let hash = self
            .store
            .room_gate(room)
            .await?
            .and_then(|gate| gate.password_hash);
        let Some(hash) = hash else {
            // No password to prove: the join goes on without one.
            return Ok(None);
        };
        // Guessing waits: a few wrong passwords per user and room, then
        // waits that double with each further one (as failed logins).
        let key = format!("{room}\n{}", user.id);
        self.room_passwords.check(&key, None).map_err(|e| match e {
            AppError::RateLimited { retry_after, .. } => AppError::RateLimited {
                message: "too many wrong room passwords: wait and try again".into(),
                retry_after,
            },
            other => other,
        })?;
        if crate::password::verify(password.expose(), Some(hash.clone())).await? {
            self.room_passwords.succeeded(&key);
            Ok(Some(hash))
        } else {
            self.room_passwords.failed(&key, None);
            Err(AppError::refused(
                Refusal::Forbidden(Forbidden::WrongPassword),
                Some(room),
            ))
        }
    }

    /// Commits a moderation action by `user` in `room`: answered like a
    /// post (a socket's `ack` in its outbox; otherwise the stored entry).
    pub async fn moderate(
        &self,
        user: &User,
        room: RoomId,
        action: ModAction,
        client_id: Option<ClientId>,
        asker: Option<&Asker>,
    ) -> Result<Option<Message>, AppError> {
        action.check().map_err(AppError::Invalid)?;
        if room.is_direct() {
            return Err(AppError::Forbidden(
                "a direct conversation has no moderators".into(),
            ));
        }
        // Asked here too (the store decides again at commit time): someone
        // without the role costs one read, not a password hash nor a
        // transaction of the writer's.
        let role = self.role(user, &room).await?;
        let op = ModOp::Action(action.clone());
        if let Some(refusal @ Refusal::Forbidden(Forbidden::NoRole)) =
            confab_engine::store::moderation_refusal(role, &op, None)
        {
            return Err(AppError::refused(refusal, Some(&room)));
        }
        // Moderations count against the user's send allowance like posts.
        self.take_send(user).await?;
        let target = match action.user() {
            Some(name) => {
                let found = self
                    .store
                    .user_by_name(&name.key())
                    .await?
                    .ok_or_else(|| AppError::UnknownUser(name.to_string()))?;
                let admin = self.is_admin(&found).await?;
                Some((found, admin))
            }
            None => None,
        };
        let password_hash = match &action {
            ModAction::Settings(settings) => match &settings.password {
                Some(Some(p)) => Some(crate::password::hash_secret(p.expose().to_owned()).await?),
                _ => None,
            },
            _ => None,
        };
        let write = self
            .mod_write(user, &room, op, target, password_hash)
            .await?;
        self.commit_post(room, vec![write], client_id, asker).await
    }

    /// Deletes the message `seq` of `room` as a moderation: one's own, or
    /// anyone's for a moderator (checked at commit time).
    pub async fn moderator_delete(
        &self,
        user: &User,
        room: RoomId,
        seq: u64,
        client_id: Option<ClientId>,
        asker: Option<&Asker>,
    ) -> Result<Option<Message>, AppError> {
        let write = self
            .mod_write(user, &room, ModOp::Delete { seq }, None, None)
            .await?;
        self.commit_post(room, vec![write], client_id, asker).await
    }

    async fn mod_write(
        &self,
        user: &User,
        room: &RoomId,
        op: ModOp,
        target: Option<(User, bool)>,
        password_hash: Option<String>,
    ) -> Result<Write, AppError> {
        Ok(Write::Moderate(Box::new(ModWrite {
            id: uuid::Uuid::now_v7().simple().to_string(),
            room: room.clone(),
            actor: user.clone(),
            actor_admin: self.is_admin(user).await?,
            target,
            op,
            password_hash,
            ts: Timestamp::now(),
        })))
    }

    /// The room as its staff see it; `forbidden` for anyone else.
    pub async fn room_admin(&self, user: &User, room: &RoomId) -> Result<RoomAdmin, AppError> {
        let role = self.role(user, room).await?;
        if !role.moderates() {
            return Err(AppError::refused(
                Refusal::Forbidden(Forbidden::NoRole),
                Some(room),
            ));
        }
        let staff = self
            .store
            .room_staff(room, Timestamp::now().millis())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("there is no room {room}")))?;
        Ok(RoomAdmin {
            owner: staff.owner,
            role,
            topic: staff.topic,
            private: staff.private,
            password: staff.password,
            max_members: staff.max_members,
            moderators: staff.moderators.into_iter().map(|u| u.name).collect(),
            bans: staff.bans,
            mutes: staff.mutes,
            invites: staff.invites,
        })
    }
}
