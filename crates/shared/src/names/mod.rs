//! Names that identify users and rooms.
//!
//! Each type can only be built through `parse` (or serde, which calls it), so
//! any `UserName` in the program is already normalised and within the rules;
//! `parse` is the one place those rules live. The Unicode side of them
//! (normalisation, caseless keys, confusable skeletons, which characters
//! count as letters) is in [`rules`].

use std::fmt;

use serde::Deserialize;

pub mod rules;

use self::rules::{caseless_key, confusable_skeleton, is_invisible, is_word_char, may_start, nfkc};

/// Why a name was refused; the text is shown to users as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a name must be 1 to {max} characters, got {got}")]
    Length { max: usize, got: usize },
    #[error("{what} may not contain {ch:?}")]
    BadChar { what: &'static str, ch: char },
    #[error("{what} may not contain control, bidi or zero-width characters (found U+{:04X})", *ch as u32)]
    Invisible { what: &'static str, ch: char },
    #[error("a direct conversation is written dm:<name>:<name> with two different names in code point order")]
    BadDirect,
}

/// The checks user and room names share, on the NFKC text `name`: its
/// length in characters, no invisible character, only word characters and
/// the `extra` punctuation, and no mark first.
fn check(what: &'static str, name: &str, max: usize, extra: &[char]) -> Result<(), NameError> {
    let count = name.chars().count();
    if count == 0 || count > max {
        return Err(NameError::Length { max, got: count });
    }
    if let Some(ch) = name.chars().find(|c| is_invisible(*c)) {
        return Err(NameError::Invisible { what, ch });
    }
    if let Some(ch) = name
        .chars()
        .find(|c| !is_word_char(*c) && !extra.contains(c))
    {
        return Err(NameError::BadChar { what, ch });
    }
    match name.chars().next() {
        Some(ch) if !may_start(ch) => Err(NameError::BadChar { what, ch }),
        _ => Ok(()),
    }
}

/// Input longer than `max * 4 + 16` characters is refused before it is
/// normalised, so the work stays bounded whatever a peer sends. The margin
/// leaves room for what normalisation and trimming remove: NFKC composes a
/// few characters into one (three Hangul jamo into a syllable, a letter and
/// its accents into one letter).
fn check_raw_length(raw: &str, max: usize) -> Result<(), NameError> {
    let got = raw.chars().count();
    if got > max * 4 + 16 {
        return Err(NameError::Length { max, got });
    }
    Ok(())
}

/// A user's nickname: after NFKC normalisation and trimming, 1 to 32
/// characters, each a letter of any script, a combining mark (not first), a
/// number, or `_ - .`; no spaces, no controls, no bidi or zero-width
/// characters.
///
/// It keeps the case it was written in, for display. Names are unique
/// without regard to case (`Alice` and `alice` are the same user, so nobody
/// can pose as someone by changing case); [`UserName::key`] is the form used
/// for that comparison, and [`UserName::skeleton`] the one for "looks like"
/// (Cyrillic `аlice` is refused while `alice` exists).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct UserName(String);

impl UserName {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        check_raw_length(raw, Self::MAX_CHARS)?;
        let normal = nfkc(raw);
        let name = normal.trim();
        check("a name", name, Self::MAX_CHARS, &['_', '-', '.'])?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The caseless form under which the name is unique: full Unicode case
    /// folding of the NFKC name (see [`rules::caseless_key`]).
    pub fn key(&self) -> String {
        caseless_key(&self.0)
    }

    /// The UTS #39 skeleton of [`UserName::key`]: two names with the same
    /// skeleton are confusable, and only the first to be taken is accepted.
    pub fn skeleton(&self) -> String {
        confusable_skeleton(&self.key())
    }
}

/// Characters allowed in a user name; also what ends an `@mention`.
pub fn is_name_char(c: char) -> bool {
    is_word_char(c) || matches!(c, '_' | '-' | '.')
}

/// A public room's name: after NFKC normalisation and case folding, 1 to 48
/// characters, each a letter of any script, a combining mark (not first), a
/// number, `-` or `_`.
///
/// The canonical name *is* the caseless form (room names were lowercase
/// from the start), so `Rust` and `rust` are the same room and every copy of
/// a room name compares with plain string equality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct RoomName(String);

impl RoomName {
    pub const MAX_CHARS: usize = 48;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        check_raw_length(raw, Self::MAX_CHARS)?;
        let name = caseless_key(&nfkc(raw));
        check("a room name", &name, Self::MAX_CHARS, &['-', '_'])?;
        Ok(Self(name))
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
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
        // Written through `Display`, straight into the output: every
        // message names its room and sender, and serde's `into = "String"`
        // cloned both for each serialization.
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
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
mod tests;
