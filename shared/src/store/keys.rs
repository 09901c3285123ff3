//! The data-key store trait: the versions of the key that seals tokens, each stored wrapped.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::{KeyNumber, KeyVersion};

/// Data-key versions (a handful per deployment: one per rotation).
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Creates a version; loses with `AlreadyExists(KeyVersion)` when its number is taken (of two
    /// rotations at once, one wins).
    async fn create_key_version(&self, key: &KeyVersion) -> StoreResult<()>;
    /// Every version, retired ones included, in number order.
    async fn key_versions(&self) -> StoreResult<Vec<KeyVersion>>;
    /// Writes `key` if its version is current, and returns it with the next version.
    async fn update_key_version(&self, key: &KeyVersion) -> StoreResult<KeyVersion>;
    /// One version.
    async fn get_key_version(&self, number: KeyNumber) -> StoreResult<Option<KeyVersion>>;
}
