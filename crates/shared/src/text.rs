//! The other bounded inputs of client frames.

use serde::{Deserialize, Serialize};

/// Why a text field was refused; the text is shown to users as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("a message must not be empty")]
    Empty,
    #[error("a message is at most {max} characters, got {got}")]
    TooLong { max: usize, got: usize },
    #[error("a client_id is 1 to {max} printable characters")]
    BadClientId { max: usize },
    #[error("limit must be between 1 and {max}")]
    BadLimit { max: u32 },
}

/// A message body: plain text, at most 4000 characters, not blank.
///
/// It is never interpreted as HTML by anyone; clients render it as text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct MessageText(String);

impl MessageText {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        if raw.trim().is_empty() {
            return Err(TextError::Empty);
        }
        let got = raw.chars().count();
        if got > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                max: Self::MAX_CHARS,
                got,
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The text of a message that carries an attachment may be empty.
    pub fn caption(raw: &str) -> Result<Self, TextError> {
        if raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        Self::parse(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id a client gives a message it sends, so that sending it again (after
/// a reconnect, say) is recognised and stores nothing new.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let count = raw.chars().count();
        if count == 0 || count > Self::MAX_CHARS || raw.chars().any(char::is_control) {
            return Err(TextError::BadClientId {
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many messages one `history` request may ask for: 1 to 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct HistoryLimit(u32);

impl HistoryLimit {
    pub const MAX: u32 = 200;
    pub const DEFAULT: HistoryLimit = HistoryLimit(50);

    pub fn parse(raw: u32) -> Result<Self, TextError> {
        if raw == 0 || raw > Self::MAX {
            return Err(TextError::BadLimit { max: Self::MAX });
        }
        Ok(Self(raw))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for HistoryLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for HistoryLimit {
    type Error = TextError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<HistoryLimit> for u32 {
    fn from(value: HistoryLimit) -> u32 {
        value.0
    }
}

macro_rules! text_newtype {
    ($ty:ty) => {
        impl TryFrom<String> for $ty {
            type Error = TextError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
        // Written as the str it holds: `into = "String"` would clone it
        // for every serialization.
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}
text_newtype!(MessageText);
text_newtype!(ClientId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_limits_count_characters() {
        assert!(MessageText::parse("hi").is_ok());
        assert_eq!(MessageText::parse(" \n "), Err(TextError::Empty));
        assert!(MessageText::parse(&"é".repeat(4000)).is_ok());
        assert!(MessageText::parse(&"é".repeat(4001)).is_err());
        assert_eq!(MessageText::caption("  ").unwrap().as_str(), "");
    }

    #[test]
    fn client_ids_and_limits() {
        assert!(ClientId::parse("c-1").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("a\nb").is_err());
        assert!(ClientId::parse(&"x".repeat(65)).is_err());
        assert!(HistoryLimit::parse(0).is_err());
        assert!(HistoryLimit::parse(200).is_ok());
        assert!(HistoryLimit::parse(201).is_err());
    }
}
