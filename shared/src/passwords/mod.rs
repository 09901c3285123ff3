//! Passwords: new ones are hashed with Argon2id under [`Policy::CURRENT`]; hashes imported from
//! WordPress (phpass `$P$`, `$wp$` bcrypt, plain bcrypt, bare MD5) still verify, and ask to be
//! replaced by an Argon2id hash of the same password after the next successful login (lazy
//! migration, like Auth0's automatic migration).
//!
//! Hashing and verifying cost tens of milliseconds of CPU: from async code call the `*_blocking`
//! wrappers. Argon2 runs on a bounded pool of worker threads (one per core, each reusing one
//! 19 MiB block; see `pool`), queued beyond; legacy formats run on `tokio::task::spawn_blocking`.
//! A refusal, whatever was refused, ends with [`finish_refusal`], so that every refusal spends the
//! same ([`refusal`]). A stored hash whose cost is beyond [`cost`]'s bounds is never run.
//!
//! No function here prints, logs or puts in an error a password or a stored hash.

mod argon;
mod blocking;
pub mod cost;
mod format;
mod legacy_md5;
mod memory;
mod phpass;
mod pool;
pub mod refusal;
mod wordpress;
pub mod work;

#[cfg(test)]
mod tests;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::user::PasswordHash;

pub use argon::{Policy, hash_password, verify_dummy};
pub use blocking::{hash_password_blocking, verify_dummy_blocking, verify_password_blocking};
pub use cost::{BeyondBounds, Cost};
pub use format::HashFormat;
pub use refusal::finish_refusal;
pub use work::{Work, counting};

/// How many Argon2 hashes or verifications this process runs at once (one per core); further
/// ones wait their turn. Each running one holds one reused block of [`Policy::CURRENT`]'s memory.
pub fn argon2_concurrency() -> usize {
    pool::Pool::global().max_workers()
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password does not match the hash.
    Invalid,
    /// The password matches. With `needs_rehash`, the stored hash is of a legacy format or weaker
    /// than [`Policy::CURRENT`]: store [`hash_password`] of the password just verified.
    Valid {
        /// Whether the stored hash should be replaced by a fresh one.
        needs_rehash: bool,
    },
}

impl Verification {
    /// Whether the password matched.
    pub fn is_valid(self) -> bool {
        matches!(self, Verification::Valid { .. })
    }
}

/// Why a password could not be hashed or checked. Never carries a password or a hash.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The stored hash is in none of the formats of [`HashFormat`].
    #[error("the stored password hash is in no recognised format")]
    UnknownFormat,
    /// The stored hash starts like the given format but is not a valid hash of it.
    #[error("the stored {0} password hash is malformed")]
    Malformed(HashFormat),
    /// The stored hash asks for more work than authbridge runs (see [`cost`]).
    #[error("the stored password hash asks for {0}, beyond authbridge's bounds")]
    CostBeyondBounds(BeyondBounds),
    /// Argon2 refused to hash (invalid parameters or salt).
    #[error("hashing the password failed")]
    Hashing(#[source] argon2::password_hash::Error),
    /// The blocking task that hashed or verified was cancelled or panicked.
    #[error("the password hashing task did not complete")]
    Task(#[source] tokio::task::JoinError),
    /// The Argon2 worker gave no answer (it panicked, or no worker thread could be started).
    #[error("the password hashing worker did not answer")]
    Worker,
}

/// Checks `password` against a stored hash of any recognised format (see [`HashFormat`]) whose
/// cost is within the bounds of [`cost`] (else [`PasswordError::CostBeyondBounds`], nothing run).
///
/// Argon2 hashes need a rehash when weaker than [`Policy::CURRENT`] or not Argon2id; every legacy
/// format always does. CPU-heavy: from async code use [`verify_password_blocking`].
pub fn verify_password(
    password: &SecretString,
    stored: &PasswordHash,
) -> Result<Verification, PasswordError> {
    Cost::of(stored)?;
    let password = password.expose_secret().as_bytes();
    let stored = stored.0.as_str();
    let format = HashFormat::detect(stored).ok_or(PasswordError::UnknownFormat)?;
    let matches = match format {
        HashFormat::Argon2 => return argon::verify(password, stored),
        HashFormat::Phpass => phpass::verify(password, stored)?,
        HashFormat::WordpressBcrypt => wordpress::verify_wp_bcrypt(password, stored)?,
        HashFormat::Bcrypt => wordpress::verify_bcrypt(password, stored)?,
        HashFormat::Md5 => legacy_md5::verify(password, stored),
    };
    Ok(if matches {
        Verification::Valid { needs_rehash: true }
    } else {
        Verification::Invalid
    })
}
