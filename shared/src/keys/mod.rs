//! Keys an operator can rotate: the data keys that seal stored tokens, in numbered versions, each
//! stored only wrapped by a key-encryption key (a KMS key on AWS, the token-key secret where there
//! is no KMS, the local key file on the local stack).
//!
//! - [`wrap`]: the [`KeyWrapper`] trait and the key-encryption keys authbridge holds itself;
//!   [`kms`]: the KMS one; [`local_file`]: the local stack's key file.
//! - [`sealed`]: the sealed-value format (version 2: key version and record bound in).
//! - [`ring`]: the [`Keyring`] (versions, rotation, retirement, a bounded cache of unwrapped
//!   keys); [`set`]: the [`KeySet`] a caller seals and opens with.
//! - [`secret`]: the token-key secret as key-encryption key; [`setup`]: which one a
//!   deployment uses.
//! - [`reseal`]: counting what each version seals, and re-sealing records under the newest.
//!
//! How to rotate each key and secret: `docs/book/src/operating.md`.

pub mod kms;
pub mod local_file;
pub mod reseal;
pub mod ring;
pub mod sealed;
pub mod secret;
pub mod set;
pub mod setup;
pub mod wrap;

pub use reseal::{ResealReport, Usage};
pub use ring::Keyring;
pub use sealed::{RecordId, SealedBy};
pub use set::KeySet;
pub use wrap::{AesKek, DataKey, KeyWrapper};

use crate::domain::KeyNumber;
use crate::secrets::SecretError;
use crate::store::StoreError;

/// Why a key could not be had, or a value not sealed or opened. Never carries key material or a
/// plaintext.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store of key versions or of token records failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret store failed.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// KMS refused or failed; `transient` when worth trying again shortly.
    #[error("KMS {operation}: {message}")]
    Kms {
        operation: &'static str,
        message: String,
        transient: bool,
    },
    /// The local key file cannot be used.
    #[error("the key file {path}: {reason}")]
    KeyFile {
        path: String,
        reason: String,
        missing: bool,
    },
    /// A secret meant as a key is too short.
    #[error(
        "the secret {name:?} must have at least {} characters",
        crate::vault::MIN_SECRET_CHARS
    )]
    SecretTooShort { name: String },
    /// A secret the keys need does not exist.
    #[error("the secret {name:?} does not exist")]
    MissingSecret { name: String },
    /// A wrapped key did not unwrap: another key-encryption key, or an altered item.
    #[error("key version {number} does not unwrap under this key-encryption key")]
    Unwrap { number: KeyNumber },
    /// A version is wrapped by another key-encryption key than the one this deployment holds.
    #[error("key version {number} is wrapped by {wrapped_by}, but this deployment uses {have}")]
    OtherWrapper {
        number: KeyNumber,
        wrapped_by: String,
        have: String,
    },
    /// A value names a version that does not exist.
    #[error("key version {0} does not exist")]
    UnknownVersion(KeyNumber),
    /// A value names a retired version, which opens nothing.
    #[error("key version {0} is retired")]
    Retired(KeyNumber),
    /// A format-1 value, and no token-key secret to open it with.
    #[error("a value sealed in format 1 needs the token-key secret, which is not there")]
    NoLegacyKey,
    /// A rotation or retirement was refused; the reason says what to do.
    #[error("{0}")]
    Refused(String),
    /// A data key has the wrong length.
    #[error("a data key must be 256 bits")]
    BadDataKey,
    /// The value is not a sealed value (bad base64, too short, or an unknown format).
    #[error("not a sealed value: {0}")]
    Malformed(&'static str),
    /// Authentication failed: the value was altered, sealed under another key, or belongs to
    /// another record, connection, field or key version.
    #[error("the sealed value was altered, or belongs to another key, record or field")]
    Tampered,
    /// The cipher refused the operation.
    #[error("the cipher refused the operation")]
    Crypto,
}

impl KeyError {
    /// Whether trying again shortly may succeed (a store, secret store or KMS outage).
    pub fn is_transient(&self) -> bool {
        match self {
            KeyError::Store(e) => matches!(e, StoreError::Unavailable { .. }),
            KeyError::Secrets(e) => matches!(e, SecretError::Unavailable { .. }),
            KeyError::Kms { transient, .. } => *transient,
            _ => false,
        }
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests;
