//! The API-token store trait.

use async_trait::async_trait;

use super::{Page, PageRequest, StoreResult};
use crate::domain::ApiToken;

/// API tokens, keyed by the SHA-256 of their value.
#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// Creates a token; loses with `AlreadyExists(ApiToken)` when the hash is taken.
    async fn create_api_token(&self, token: &ApiToken) -> StoreResult<()>;
    async fn get_api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// Writes `token` if its version is current, and returns it with the next version.
    async fn update_api_token(&self, token: &ApiToken) -> StoreResult<ApiToken>;
    async fn delete_api_token(&self, token_hash: &str) -> StoreResult<bool>;
    /// The copy of `token_hash`'s token this process keeps, when it keeps one: no store call. A
    /// store that keeps no copies answers `None`.
    fn kept_api_token(&self, _token_hash: &str) -> Option<ApiToken> {
        None
    }
    /// One page, in hash order.
    async fn list_api_tokens(&self, page: &PageRequest) -> StoreResult<Page<ApiToken>>;
}
