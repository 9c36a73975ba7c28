//! Room moderation in the store: who may do what (decided here, once, for
//! both stores), the write that commits an action, and the reads behind the
//! settings panel and the join and read checks.
//!
//! Every decision is taken inside the committing transaction from what it
//! reads under the room's lock, so a moderator dismissed on another node a
//! moment ago can no longer kick, and a ban committed a moment ago keeps
//! its user out of a join that was already on its way.

use async_trait::async_trait;
use confab_shared::moderation::{ModAction, Muted, RoomRole};
use confab_shared::{RoomId, Timestamp, User, UserName};

use super::{Refusal, StoreResult};

/// What a moderation write does.
#[derive(Debug, Clone)]
pub enum ModOp {
    /// One of the actions of [`ModAction`]. For `Settings`, the password is
    /// in [`ModWrite::password_hash`] (hashed), never stored in the clear.
    Action(ModAction),
    /// Delete the message at `seq`, one's own or (as a moderator) anyone's:
    /// logged as an ordinary `delete` entry.
    Delete { seq: u64 },
}

/// One moderation request for the writer, committed in a batch of its own.
#[derive(Debug, Clone)]
pub struct ModWrite {
    /// The id of the log entry it makes.
    pub id: String,
    pub room: RoomId,
    pub actor: User,
    /// The actor is a server admin (`--admin`).
    pub actor_admin: bool,
    /// The user the action is about, looked up by name, and whether they
    /// are a server admin.
    pub target: Option<(User, bool)>,
    pub op: ModOp,
    /// The new room password's argon2id hash, for `Settings` that set one
    /// (`password: Some(Some(_))`); `Some(None)` removes the password and
    /// `None` keeps it.
    pub password_hash: Option<String>,
    pub ts: Timestamp,
}

/// Why a moderation, join or read is refused with `forbidden`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// The actor's role does not allow the action.
    NoRole,
    /// The target's role is as high as the actor's.
    Outranked,
    /// The user is banned from the room.
    Banned,
    /// The room is invite-only and the user has no invitation.
    InviteOnly,
    /// The room takes a password, and the one given was not it.
    WrongPassword,
}

impl Forbidden {
    /// An English explanation for the error frame (clients word the code).
    pub fn explain(self, room: &RoomId) -> String {
        match self {
            Self::NoRole => format!("you are not allowed to do that in {room}"),
            Self::Outranked => "you cannot do that to someone of your rank or above".into(),
            Self::Banned => format!("you are banned from {room}"),
            Self::InviteOnly => format!("{room} is invite-only"),
            Self::WrongPassword => format!("{room} takes a password, and that was not it"),
        }
    }
}

/// A user's role from the stored facts: admin flag, owner id, moderator.
pub fn role_of(user_id: &str, admin: bool, owner: Option<&str>, moderator: bool) -> RoomRole {
    if admin {
        RoomRole::Admin
    } else if owner == Some(user_id) {
        RoomRole::Owner
    } else if moderator {
        RoomRole::Moderator
    } else {
        RoomRole::Member
    }
}

/// Whether `actor` may do `op` to a user of role `target` (`None`: the
/// action is about no user, or about a message).
pub fn moderation_refusal(
    actor: RoomRole,
    op: &ModOp,
    target: Option<RoomRole>,
) -> Option<Refusal> {
    let allowed = match op {
        ModOp::Action(action) if action.needs_owner() => actor.owns(),
        ModOp::Action(_) => actor.moderates(),
        // Deleting another's message (one's own never comes here as a
        // refusal: the store checks the author first).
        ModOp::Delete { .. } => actor.moderates(),
    };
    if !allowed {
        return Some(Refusal::Forbidden(Forbidden::NoRole));
    }
    let acts_on_rank = matches!(
        op,
        ModOp::Action(ModAction::Kick { .. } | ModAction::Ban { .. } | ModAction::Mute { .. })
    );
    match target {
        Some(target) if acts_on_rank && target >= actor => {
            Some(Refusal::Forbidden(Forbidden::Outranked))
        }
        _ => None,
    }
}

/// What a join depends on, read under the room's lock.
#[derive(Debug, Clone, Default)]
pub struct JoinFacts {
    pub role: RoomRole,
    pub banned: bool,
    pub invited: bool,
    pub private: bool,
    pub password_hash: Option<String>,
    pub max_members: Option<i64>,
    /// Members before this join.
    pub members: i64,
}

/// Whether a join with `proven` (the password hash the joiner proved to
/// know, checked before the commit) may go ahead. Staff pass everything but
/// a ban (admins pass that too); an invitation passes privacy and the
/// password; nobody but staff passes the cap.
pub fn join_refusal(facts: &JoinFacts, proven: Option<&str>) -> Option<Refusal> {
    let staff = facts.role.moderates();
    if facts.banned && facts.role != RoomRole::Admin {
        return Some(Refusal::Forbidden(Forbidden::Banned));
    }
    if staff {
        return None;
    }
    if !facts.invited {
        match &facts.password_hash {
            Some(hash) if proven != Some(hash.as_str()) => {
                return Some(Refusal::Forbidden(Forbidden::WrongPassword))
            }
            None if facts.private => return Some(Refusal::Forbidden(Forbidden::InviteOnly)),
            _ => {}
        }
    }
    match facts.max_members {
        Some(cap) if facts.members >= cap => Some(Refusal::RoomFull),
        _ => None,
    }
}

/// A room's settings and staff, for `GET /api/rooms/{room}/settings`.
#[derive(Debug, Clone, Default)]
pub struct RoomStaff {
    pub owner: Option<UserName>,
    pub owner_id: Option<String>,
    pub topic: String,
    pub private: bool,
    pub password: bool,
    pub max_members: Option<u32>,
    pub moderators: Vec<User>,
    pub bans: Vec<UserName>,
    pub mutes: Vec<Muted>,
    pub invites: Vec<UserName>,
}

/// A user's role in a room, with the room's topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub role: RoomRole,
    pub topic: String,
}

/// What a joining user needs to know of a room before the commit.
#[derive(Debug, Clone, Default)]
pub struct RoomGate {
    pub topic: String,
    pub private: bool,
    /// The password's argon2id hash, if the room has one.
    pub password_hash: Option<String>,
}

/// Moderation reads; writes go through [`Store::commit`](super::Store::commit).
#[async_trait]
pub trait Moderation: Send + Sync {
    /// The user's role in the room, not counting server admins (the
    /// caller knows those), and the room's topic: one read, what a `joined`
    /// needs (`Member` and no topic for a room that does not exist).
    async fn standing(&self, room: &RoomId, user_id: &str) -> StoreResult<Standing>;
    /// Whether the user is banned from the room.
    async fn is_banned(&self, room: &RoomId, user_id: &str) -> StoreResult<bool>;
    /// The room's topic, privacy and password hash; `None` if there is no
    /// such room.
    async fn room_gate(&self, room: &RoomId) -> StoreResult<Option<RoomGate>>;
    /// The room's settings and staff lists (mutes still running at `now`).
    async fn room_staff(&self, room: &RoomId, now: i64) -> StoreResult<Option<RoomStaff>>;
}

/// Seconds until `until_ms`, at least 1, from `now_ms`.
pub fn seconds_left(until_ms: i64, now_ms: i64) -> u64 {
    u64::try_from((until_ms - now_ms + 999) / 1000)
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_decide() {
        let kick = ModOp::Action(ModAction::Kick {
            user: UserName::parse("bob").expect("name"),
            reason: Default::default(),
        });
        assert_eq!(
            moderation_refusal(RoomRole::Member, &kick, Some(RoomRole::Member)),
            Some(Refusal::Forbidden(Forbidden::NoRole))
        );
        assert_eq!(
            moderation_refusal(RoomRole::Moderator, &kick, Some(RoomRole::Member)),
            None
        );
        assert_eq!(
            moderation_refusal(RoomRole::Moderator, &kick, Some(RoomRole::Owner)),
            Some(Refusal::Forbidden(Forbidden::Outranked))
        );
        assert_eq!(
            moderation_refusal(RoomRole::Moderator, &kick, Some(RoomRole::Moderator)),
            Some(Refusal::Forbidden(Forbidden::Outranked))
        );
        let appoint = ModOp::Action(ModAction::Moderator {
            user: UserName::parse("bob").expect("name"),
            appoint: true,
        });
        assert!(moderation_refusal(RoomRole::Moderator, &appoint, None).is_some());
        assert!(moderation_refusal(RoomRole::Owner, &appoint, None).is_none());
        assert!(moderation_refusal(RoomRole::Admin, &kick, Some(RoomRole::Owner)).is_none());
    }

    #[test]
    fn joins_pass_their_gates() {
        let open = JoinFacts::default();
        assert_eq!(join_refusal(&open, None), None);
        let banned = JoinFacts {
            banned: true,
            ..Default::default()
        };
        assert_eq!(
            join_refusal(&banned, None),
            Some(Refusal::Forbidden(Forbidden::Banned))
        );
        let private = JoinFacts {
            private: true,
            ..Default::default()
        };
        assert_eq!(
            join_refusal(&private, None),
            Some(Refusal::Forbidden(Forbidden::InviteOnly))
        );
        let invited = JoinFacts {
            invited: true,
            ..private.clone()
        };
        assert_eq!(join_refusal(&invited, None), None);
        let locked = JoinFacts {
            password_hash: Some("h".into()),
            ..Default::default()
        };
        assert_eq!(
            join_refusal(&locked, Some("other")),
            Some(Refusal::Forbidden(Forbidden::WrongPassword))
        );
        assert_eq!(join_refusal(&locked, Some("h")), None);
        let full = JoinFacts {
            max_members: Some(2),
            members: 2,
            ..Default::default()
        };
        assert_eq!(join_refusal(&full, None), Some(Refusal::RoomFull));
        let owner = JoinFacts {
            role: RoomRole::Owner,
            ..full
        };
        assert_eq!(join_refusal(&owner, None), None);
    }
}
