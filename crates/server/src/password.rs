//! Password hashing: argon2id with OWASP's parameters (19 MiB, 2 passes,
//! 1 lane; `argon2`'s defaults), a random salt per hash, PHC strings in the
//! store. Hashing takes tens of milliseconds of CPU on purpose, so it runs
//! on the blocking pool, at most [`CONCURRENT`] at a time: a burst of
//! logins queues there instead of taking every core and 19 MiB each.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;
use confab_shared::Password;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Hashes computed at once at most.
const CONCURRENT: usize = 4;
static HASHING: Semaphore = Semaphore::const_new(CONCURRENT);

/// Runs `work` on the blocking pool under the [`HASHING`] cap.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| AppError::Internal("the hashing semaphore closed".into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

/// The PHC string of a new hash of `password`.
pub async fn hash(password: &Password) -> Result<String, AppError> {
    hash_secret(password.as_str().to_owned()).await
}

/// The PHC string of a new hash of any secret (a room password).
pub async fn hash_secret(secret: String) -> Result<String, AppError> {
    blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
    })
    .await?
}

/// Whether `password` matches `stored` (a PHC string). Without a stored
/// hash (no such user, or a guest) a hash of the same cost is still
/// verified, so the answer takes as long either way and cannot tell who
/// exists. The comparison inside is constant-time.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool, AppError> {
    let password = password.to_owned();
    blocking(move || {
        let (phc, real) = match stored {
            Some(phc) => (phc, true),
            None => (decoy().to_owned(), false),
        };
        let matches = PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        real && matches
    })
    .await
}

/// A hash of a random password, made once: what [`verify`] checks against
/// when there is no real one.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let secret = crate::auth::new_token();
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = Password::parse("correct horse").expect("password");
        let phc = hash(&password).await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse", Some(phc.clone()))
            .await
            .expect("verify"));
        assert!(!verify("correct horsf", Some(phc.clone()))
            .await
            .expect("verify"));
        // Two hashes of one password differ (salted).
        assert_ne!(hash(&password).await.expect("hash"), phc);
        // No stored hash: never a match, whatever the password.
        assert!(!verify("correct horse", None).await.expect("verify"));
        assert!(!verify("", Some("not a phc string".into()))
            .await
            .expect("verify"));
    }
}
