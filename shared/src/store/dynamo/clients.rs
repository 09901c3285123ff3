//! OAuth clients in DynamoDB: item `CLIENT#<id>`, listed under `CLIENTS`.

use async_trait::async_trait;

use super::DynamoStore;
use crate::domain::{ClientId, OAuthClient};
use crate::store::{ClientStore, Page, PageRequest, StoreError, StoreResult, Unique, Update};

const KIND: &str = "CLIENTS";

fn pk(id: &ClientId) -> String {
    format!("CLIENT#{id}")
}

#[async_trait]
impl ClientStore for DynamoStore {
    async fn create_client(&self, client: &OAuthClient) -> StoreResult<()> {
        let item = Self::encode(client, pk(&client.id), Some((KIND, client.id.as_str())))?;
        self.put_new(
            item,
            "creating a client",
            StoreError::AlreadyExists(Unique::Client),
        )
        .await
    }

    async fn get_client(&self, id: &ClientId) -> StoreResult<Option<OAuthClient>> {
        self.get_item(pk(id), "reading a client")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn update_client(&self, client: &OAuthClient) -> StoreResult<OAuthClient> {
        let Update { next, expected } = Update::of(client);
        let item = Self::encode(&next, pk(&next.id), Some((KIND, next.id.as_str())))?;
        self.put_versioned(item, expected, "updating a client")
            .await?;
        Ok(next)
    }

    async fn delete_client(&self, id: &ClientId) -> StoreResult<bool> {
        self.delete_item(pk(id), "deleting a client").await
    }

    async fn list_clients(&self, page: &PageRequest) -> StoreResult<Page<OAuthClient>> {
        self.list_kind(KIND, page, "listing clients").await
    }
}
