//! Secrets: client secrets, the token data key, the WordPress bearer token. A trait with a Secrets
//! Manager implementation and an embedded one in the SQLite file, and a small TTL cache so a warm
//! Lambda does not call Secrets Manager on every request.
//!
//! Values are `secrecy::SecretString`: their `Debug` prints `[REDACTED]`, and reading one takes an
//! explicit `expose_secret()`.

use async_trait::async_trait;

use crate::clock::Epoch;
pub use secrecy::{ExposeSecret, SecretString};

mod aws;
mod cache;
#[cfg(feature = "embedded")]
mod embedded;
pub mod rotation;

pub use aws::SecretsManagerStore;
pub use cache::CachedSecrets;

/// Why a secret operation failed. Never carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The secret store is unreachable, throttling or failing for now (after the SDK's retries).
    #[error("{context} ({name}): the secret store is unavailable for now: {message}")]
    Unavailable {
        context: &'static str,
        name: String,
        message: String,
    },
    #[error("{context} ({name}): {message}")]
    Backend {
        context: &'static str,
        name: String,
        message: String,
    },
}

impl SecretError {
    pub(crate) fn backend(context: &'static str, name: &str, message: impl ToString) -> Self {
        SecretError::Backend {
            context,
            name: name.to_string(),
            message: message.to_string(),
        }
    }
}

/// A store of named secrets.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Creates or replaces the secret `name`.
    async fn put_secret(&self, name: &str, value: &SecretString) -> Result<(), SecretError>;
    /// Creates the secret only when it does not exist; `false` when another value was already
    /// there (which is kept). Of two processes creating one secret at once, one wins.
    async fn create_secret(&self, name: &str, value: &SecretString) -> Result<bool, SecretError>;
    /// The current value, or `None` when there is no such secret.
    async fn get_secret(&self, name: &str) -> Result<Option<SecretString>, SecretError>;
    /// Deletes the secret; `false` when there was none.
    async fn delete_secret(&self, name: &str) -> Result<bool, SecretError>;
    /// The names (never the values) of the secrets whose name starts with `prefix`, sorted.
    async fn list_secrets(&self, prefix: &str) -> Result<Vec<String>, SecretError>;
    /// When the secret's value was last set, when the store knows (`None`: unknown or absent).
    async fn changed_at(&self, _name: &str) -> Result<Option<Epoch>, SecretError> {
        Ok(None)
    }
}
