//! Accounts: a name claimed with a password can log in from any device.
//! The bodies of the account routes and the password policy live here so
//! that the UI checks a password exactly as the server does.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Timestamp;

/// A password as the policy allows it: 8 to 1,024 characters (Unicode
/// scalar values, so a Hangul syllable counts once). Anything else goes:
/// spaces, any script, no composition rules (NIST SP 800-63B). Its `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has at least {min} characters", min = Password::MIN_CHARS)]
    TooShort,
    #[error("a password has at most {max} characters", max = Password::MAX_CHARS)]
    TooLong,
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// `POST /api/account` (claim a name) and `POST /api/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameAndPassword {
    pub name: String,
    pub password: String,
}

/// `DELETE /api/account`: the password again, so a borrowed session
/// cannot delete the account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDeletion {
    pub password: String,
}

/// `POST /api/account/password`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

/// One session of an account, as `GET /api/sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSession {
    /// What `DELETE /api/sessions/{id}` takes.
    pub id: String,
    pub created: Timestamp,
    pub last_seen: Timestamp,
    pub user_agent: Option<String>,
    /// The client address the session was opened from.
    pub address: Option<String>,
    /// The session of the request that asked.
    pub current: bool,
}

/// `GET /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub sessions: Vec<DeviceSession>,
}

/// `GET /api/blocks`: the users the asker blocks, by name. Their direct
/// messages to the asker are refused; clients hide their room messages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockList {
    pub users: Vec<crate::UserName>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_8_to_1024_characters_of_any_script() {
        assert_eq!(Password::parse("1234567"), Err(PasswordError::TooShort));
        assert!(Password::parse("12345678").is_ok());
        // Eight Hangul syllables are eight characters (24 bytes).
        assert!(Password::parse("비밀번호비밀번호").is_ok());
        assert_eq!(Password::parse("비밀번호"), Err(PasswordError::TooShort));
        assert!(Password::parse(&"é".repeat(1024)).is_ok());
        assert_eq!(
            Password::parse(&"a".repeat(1025)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            format!("{:?}", Password::parse("secret-pw").ok()),
            "Some(Password(..))"
        );
    }
}
