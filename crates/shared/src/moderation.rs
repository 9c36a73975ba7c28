//! Room moderation: what owners, moderators and server admins may do to a
//! room (protocol version 2), and how each action is recorded in the
//! room's log.
//!
//! A request ([`ModAction`]) comes from a `moderate` frame or one of the
//! HTTP routes; once committed it becomes a log entry of kind `moderation`
//! whose [`RoomEvent`] holds the facts (actor in `from`, target user,
//! duration, reason). No sentence is stored: each client words the event in
//! its reader's language.

use serde::{Deserialize, Serialize};

use crate::names::UserName;

/// Who someone is in a room, from least to most powerful.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RoomRole {
    #[default]
    Member,
    /// Appointed by the owner: deletes any message, kicks, bans, unbans,
    /// mutes, sets the topic and invites.
    Moderator,
    /// Created the room: everything a moderator does, plus appointing
    /// moderators and the room's settings (privacy, password, member cap).
    Owner,
    /// A server admin (`--admin NAME`): an owner of every room, `lobby`
    /// included.
    Admin,
}

impl RoomRole {
    /// Whether this role may moderate (kick, ban, mute, topic, invite,
    /// delete others' messages).
    pub fn moderates(self) -> bool {
        self >= Self::Moderator
    }

    /// Whether this role may change the room's settings and moderators.
    pub fn owns(self) -> bool {
        self >= Self::Owner
    }
}

/// A short free text of at most `MAX` characters (a reason, a topic); may
/// be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShortText(String);

impl ShortText {
    pub const MAX_CHARS: usize = 300;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let got = raw.chars().count();
        if got > Self::MAX_CHARS {
            return Err(format!("at most {} characters, got {got}", Self::MAX_CHARS));
        }
        if raw.chars().any(|c| c.is_control() && c != '\n') {
            return Err("control characters are not allowed".into());
        }
        Ok(Self(raw.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<String> for ShortText {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ShortText> for String {
    fn from(value: ShortText) -> String {
        value.0
    }
}

/// A room password: 1 to 128 characters. The server keeps only its
/// argon2id hash; it is never echoed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomPassword(String);

impl RoomPassword {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.chars().count() {
            0 => Err("a room password cannot be empty".into()),
            n if n > Self::MAX_CHARS => Err(format!(
                "a room password has at most {} characters",
                Self::MAX_CHARS
            )),
            _ => Ok(Self(raw.to_owned())),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RoomPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoomPassword(..)")
    }
}

impl TryFrom<String> for RoomPassword {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RoomPassword> for String {
    fn from(value: RoomPassword) -> String {
        value.0
    }
}

/// A mute lasts at most this long (30 days); 0 seconds lifts a mute.
pub const MAX_MUTE_SECONDS: u32 = 30 * 24 * 3600;

/// A room's member cap at most.
pub const MAX_MEMBER_CAP: u32 = 100_000;

/// Who may join a room, set by its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSettings {
    /// Not listed in `GET /api/rooms`; joinable only by invitation, or with
    /// the password when one is set.
    pub private: bool,
    /// Joining takes the password (or an invitation). Absent: the room
    /// keeps the password it has (or has none); `null` removes it; a string
    /// sets it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub password: Option<Option<RoomPassword>>,
    /// Members at most (`null`: no cap); owners, moderators and admins
    /// may join a full room.
    #[serde(default)]
    pub max_members: Option<u32>,
}

/// A field that is present, `null` or not: `Some(None)` for `null` (an
/// absent one is `None` by `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// One moderation request, tagged by `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ModAction {
    /// End `user`'s membership; they may join again.
    Kick {
        user: UserName,
        #[serde(default)]
        reason: ShortText,
    },
    /// End `user`'s membership and keep them out (no join, read or post)
    /// until unbanned.
    Ban {
        user: UserName,
        #[serde(default)]
        reason: ShortText,
    },
    Unban {
        user: UserName,
    },
    /// Refuse `user`'s sends (`muted`, with `retry_after`) for `seconds`
    /// (at most [`MAX_MUTE_SECONDS`]); 0 lifts the mute.
    Mute {
        user: UserName,
        seconds: u32,
        #[serde(default)]
        reason: ShortText,
    },
    /// The room's topic; empty clears it.
    Topic {
        topic: ShortText,
    },
    /// Owners only: appoint (`true`) or dismiss a moderator.
    Moderator {
        user: UserName,
        appoint: bool,
    },
    /// Owners only: who may join.
    Settings(RoomSettings),
    /// Let `user` join a private or password-protected room.
    Invite {
        user: UserName,
    },
}

impl ModAction {
    /// The user the action is about, if any.
    pub fn user(&self) -> Option<&UserName> {
        match self {
            Self::Kick { user, .. }
            | Self::Ban { user, .. }
            | Self::Unban { user }
            | Self::Mute { user, .. }
            | Self::Moderator { user, .. }
            | Self::Invite { user } => Some(user),
            Self::Topic { .. } | Self::Settings(_) => None,
        }
    }

    /// Whether only an owner (or admin) may do it.
    pub fn needs_owner(&self) -> bool {
        matches!(self, Self::Moderator { .. } | Self::Settings(_))
    }

    /// Checks the bounds serde cannot: a mute's length, a cap.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Self::Mute { seconds, .. } if *seconds > MAX_MUTE_SECONDS => {
                Err(format!("a mute lasts at most {MAX_MUTE_SECONDS} seconds"))
            }
            Self::Settings(RoomSettings {
                max_members: Some(cap),
                ..
            }) if *cap == 0 || *cap > MAX_MEMBER_CAP => Err(format!(
                "max_members is between 1 and {MAX_MEMBER_CAP}, or null"
            )),
            _ => Ok(()),
        }
    }

    /// The log entry's facts (a password becomes whether there is one).
    pub fn event(&self) -> RoomEvent {
        match self.clone() {
            Self::Kick { user, reason } => RoomEvent::Kick { user, reason },
            Self::Ban { user, reason } => RoomEvent::Ban { user, reason },
            Self::Unban { user } => RoomEvent::Unban { user },
            Self::Mute {
                user,
                seconds,
                reason,
            } => RoomEvent::Mute {
                user,
                seconds,
                reason,
            },
            Self::Topic { topic } => RoomEvent::Topic { topic },
            Self::Moderator { user, appoint } => RoomEvent::Moderator { user, appoint },
            // Whether a kept password exists is the store's to say.
            Self::Settings(s) => RoomEvent::Settings {
                private: s.private,
                password: matches!(s.password, Some(Some(_))),
                max_members: s.max_members,
            },
            Self::Invite { user } => RoomEvent::Invite { user },
        }
    }
}

/// What a `moderation` log entry records, tagged by `action`. The actor is
/// the entry's `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RoomEvent {
    Kick {
        user: UserName,
        #[serde(default, skip_serializing_if = "ShortText::is_empty")]
        reason: ShortText,
    },
    Ban {
        user: UserName,
        #[serde(default, skip_serializing_if = "ShortText::is_empty")]
        reason: ShortText,
    },
    Unban {
        user: UserName,
    },
    Mute {
        user: UserName,
        seconds: u32,
        #[serde(default, skip_serializing_if = "ShortText::is_empty")]
        reason: ShortText,
    },
    Topic {
        topic: ShortText,
    },
    Moderator {
        user: UserName,
        appoint: bool,
    },
    Settings {
        private: bool,
        /// Whether joining takes a password now.
        password: bool,
        max_members: Option<u32>,
    },
    Invite {
        user: UserName,
    },
}

impl RoomEvent {
    /// The user the event is about, if any.
    pub fn user(&self) -> Option<&UserName> {
        match self {
            Self::Kick { user, .. }
            | Self::Ban { user, .. }
            | Self::Unban { user }
            | Self::Mute { user, .. }
            | Self::Moderator { user, .. }
            | Self::Invite { user } => Some(user),
            Self::Topic { .. } | Self::Settings { .. } => None,
        }
    }

    /// Whether the event ends the user's membership.
    pub fn removes_member(&self) -> bool {
        matches!(self, Self::Kick { .. } | Self::Ban { .. })
    }
}

/// `GET /api/rooms/{room}/settings`: the room as its staff manage it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomAdmin {
    pub owner: Option<UserName>,
    /// The reader's own role.
    pub role: RoomRole,
    pub topic: String,
    pub private: bool,
    /// Whether joining takes a password.
    pub password: bool,
    pub max_members: Option<u32>,
    pub moderators: Vec<UserName>,
    pub bans: Vec<UserName>,
    /// Muted users with the end of their mute.
    pub mutes: Vec<Muted>,
    pub invites: Vec<UserName>,
}

/// A user muted until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Muted {
    pub user: UserName,
    pub until: crate::Timestamp,
}

/// Body of `POST /api/rooms/{room}/kick`, `/ban`, `/unban`, `/invites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTarget {
    pub user: UserName,
    #[serde(default)]
    pub reason: ShortText,
}

/// Body of `POST /api/rooms/{room}/mute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteRequest {
    pub user: UserName,
    pub seconds: u32,
    #[serde(default)]
    pub reason: ShortText,
}

/// Body of `PUT /api/rooms/{room}/topic`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRequest {
    pub topic: ShortText,
}

/// Body of `POST /api/rooms/{room}/join` (optional): the room password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    #[serde(default)]
    pub password: Option<RoomPassword>,
}
