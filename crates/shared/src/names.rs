//! Names that identify users and rooms.
//!
//! Each type can only be built through `parse` (or serde, which calls it), so
//! any `UserName` in the program is already trimmed and within the rules.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a name was refused; the text is shown to users as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a name must be 1 to {max} characters, got {got}")]
    Length { max: usize, got: usize },
    #[error("{what} may not contain {ch:?}")]
    BadChar { what: &'static str, ch: char },
    #[error("a direct conversation is written dm:<name>:<name> with two different names in code point order")]
    BadDirect,
}

/// A user's nickname: after trimming, 1 to 32 Unicode letters or digits or
/// `_ - .`, no spaces.
///
/// Names are unique without regard to case (`Alice` and `alice` are the same
/// user, so nobody can pose as someone by changing case); [`UserName::key`]
/// is the form used for that comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim();
        let count = name.chars().count();
        if count == 0 || count > Self::MAX_CHARS {
            return Err(NameError::Length {
                max: Self::MAX_CHARS,
                got: count,
            });
        }
        if let Some(ch) = name.chars().find(|c| !is_name_char(*c)) {
            return Err(NameError::BadChar { what: "a name", ch });
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form under which the name is unique.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Characters allowed in a user name; also what ends an `@mention`.
pub fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// A public room's name: 1 to 48 lowercase letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomName(String);

impl RoomName {
    pub const MAX_CHARS: usize = 48;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let count = raw.chars().count();
        if count == 0 || count > Self::MAX_CHARS {
            return Err(NameError::Length {
                max: Self::MAX_CHARS,
                got: count,
            });
        }
        let allowed = |c: char| {
            (c.is_alphabetic() && c.is_lowercase()) || c.is_ascii_digit() || c == '-' || c == '_'
        };
        if let Some(ch) = raw.chars().find(|c| !allowed(*c)) {
            return Err(NameError::BadChar {
                what: "a room name",
                ch,
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The room every user starts in.
    pub fn lobby() -> Self {
        Self(crate::LOBBY.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a message lives: a public room, or the direct conversation of two
/// users, written `dm:<a>:<b>` with the names in code point order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RoomId {
    Public(RoomName),
    Direct(UserName, UserName),
}

impl RoomId {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        match raw.strip_prefix("dm:") {
            Some(rest) => {
                let (raw_a, raw_b) = rest.split_once(':').ok_or(NameError::BadDirect)?;
                let (a, b) = (UserName::parse(raw_a)?, UserName::parse(raw_b)?);
                // Only the canonical spelling is accepted (untrimmed, ordered,
                // two different users), so a pair has exactly one conversation.
                if a.as_str() != raw_a
                    || b.as_str() != raw_b
                    || a.as_str() >= b.as_str()
                    || a.key() == b.key()
                {
                    return Err(NameError::BadDirect);
                }
                Ok(Self::Direct(a, b))
            }
            None => RoomName::parse(raw).map(Self::Public),
        }
    }

    /// The conversation between two users, whatever order they are given in.
    /// `None` when both are the same user.
    pub fn direct(x: &UserName, y: &UserName) -> Option<Self> {
        if x.key() == y.key() {
            return None;
        }
        let (a, b) = if x.as_str() < y.as_str() {
            (x, y)
        } else {
            (y, x)
        };
        Some(Self::Direct(a.clone(), b.clone()))
    }

    pub fn lobby() -> Self {
        Self::Public(RoomName::lobby())
    }

    pub fn is_direct(&self) -> bool {
        matches!(self, Self::Direct(..))
    }

    /// For a direct conversation, the participant who is not `me`.
    pub fn peer_of(&self, me: &UserName) -> Option<&UserName> {
        match self {
            Self::Direct(a, b) if a.key() == me.key() => Some(b),
            Self::Direct(a, b) if b.key() == me.key() => Some(a),
            _ => None,
        }
    }

    /// Whether `user` may take part: anyone for a public room, only the two
    /// participants for a direct conversation.
    pub fn admits(&self, user: &UserName) -> bool {
        match self {
            Self::Public(_) => true,
            Self::Direct(..) => self.peer_of(user).is_some(),
        }
    }
}

macro_rules! string_newtype {
    ($ty:ty) => {
        impl TryFrom<String> for $ty {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.to_string()
            }
        }
    };
}
string_newtype!(UserName);
string_newtype!(RoomName);
string_newtype!(RoomId);

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Public(name) => f.write_str(name.as_str()),
            Self::Direct(a, b) => write!(f, "dm:{a}:{b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_trimmed_and_checked() {
        assert_eq!(UserName::parse("  alice ").unwrap().as_str(), "alice");
        assert!(UserName::parse("José.B-1_").is_ok());
        assert!(UserName::parse("").is_err());
        assert!(UserName::parse("   ").is_err());
        assert!(UserName::parse("a b").is_err());
        assert!(UserName::parse("a:b").is_err());
        assert!(UserName::parse("<script>").is_err());
        assert!(UserName::parse(&"x".repeat(32)).is_ok());
        assert!(UserName::parse(&"x".repeat(33)).is_err());
        assert_eq!(UserName::parse("ALICE").unwrap().key(), "alice");
    }

    #[test]
    fn room_names_are_lowercase() {
        assert!(RoomName::parse("rust-dev_2").is_ok());
        assert!(RoomName::parse("Rust").is_err());
        assert!(RoomName::parse("a b").is_err());
        assert!(RoomName::parse("").is_err());
        assert!(RoomName::parse(&"r".repeat(48)).is_ok());
        assert!(RoomName::parse(&"r".repeat(49)).is_err());
    }

    #[test]
    fn direct_rooms_are_canonical() {
        let alice = UserName::parse("alice").unwrap();
        let bob = UserName::parse("bob").unwrap();
        let room = RoomId::direct(&bob, &alice).unwrap();
        assert_eq!(room.to_string(), "dm:alice:bob");
        assert_eq!(RoomId::parse("dm:alice:bob").unwrap(), room);
        assert!(RoomId::parse("dm:bob:alice").is_err());
        assert!(RoomId::parse("dm:alice:alice").is_err());
        assert!(RoomId::parse("dm:alice").is_err());
        assert!(RoomId::direct(&alice, &UserName::parse("Alice").unwrap()).is_none());
        assert_eq!(room.peer_of(&alice), Some(&bob));
        assert!(!room.admits(&UserName::parse("carol").unwrap()));
        assert!(RoomId::lobby().admits(&alice));
    }
}
