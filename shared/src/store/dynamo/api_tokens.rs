//! API tokens in DynamoDB: item `APITOKEN#<sha256>`, listed under `API_TOKENS`.

use async_trait::async_trait;

use super::DynamoStore;
use crate::domain::ApiToken;
use crate::store::{ApiTokenStore, Page, PageRequest, StoreError, StoreResult, Unique, Update};

const KIND: &str = "API_TOKENS";

fn pk(hash: &str) -> String {
    format!("APITOKEN#{hash}")
}

#[async_trait]
impl ApiTokenStore for DynamoStore {
    async fn create_api_token(&self, token: &ApiToken) -> StoreResult<()> {
        let item = Self::encode(
            token,
            pk(&token.token_hash),
            Some((KIND, token.token_hash.as_str())),
        )?;
        self.put_new(
            item,
            "creating an API token",
            StoreError::AlreadyExists(Unique::ApiToken),
        )
        .await
    }

    async fn get_api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        self.get_item(pk(token_hash), "reading an API token")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn update_api_token(&self, token: &ApiToken) -> StoreResult<ApiToken> {
        let Update { next, expected } = Update::of(token);
        let item = Self::encode(
            &next,
            pk(&next.token_hash),
            Some((KIND, next.token_hash.as_str())),
        )?;
        self.put_versioned(item, expected, "updating an API token")
            .await?;
        Ok(next)
    }

    async fn delete_api_token(&self, token_hash: &str) -> StoreResult<bool> {
        self.delete_item(pk(token_hash), "deleting an API token")
            .await
    }

    async fn list_api_tokens(&self, page: &PageRequest) -> StoreResult<Page<ApiToken>> {
        self.list_kind(KIND, page, "listing API tokens").await
    }
}
