//! Data-key versions in DynamoDB: item `DATAKEY#<number>`, listed under `DATA_KEYS` in number
//! order (the sort key is the number zero-padded to ten digits).

use async_trait::async_trait;

use super::DynamoStore;
use crate::domain::{KeyNumber, KeyVersion};
use crate::store::{KeyStore, PageRequest, StoreError, StoreResult, Unique, Update};

const KIND: &str = "DATA_KEYS";

fn pk(number: KeyNumber) -> String {
    format!("DATAKEY#{}", number.0)
}

fn sort_key(number: KeyNumber) -> String {
    format!("{:010}", number.0)
}

#[async_trait]
impl KeyStore for DynamoStore {
    async fn create_key_version(&self, key: &KeyVersion) -> StoreResult<()> {
        let item = Self::encode(key, pk(key.number), Some((KIND, &sort_key(key.number))))?;
        self.put_new(
            item,
            "creating a key version",
            StoreError::AlreadyExists(Unique::KeyVersion),
        )
        .await
    }

    async fn key_versions(&self) -> StoreResult<Vec<KeyVersion>> {
        let mut versions = Vec::new();
        let mut page = PageRequest::first(1000);
        loop {
            let listed = self
                .list_kind::<KeyVersion>(KIND, &page, "listing key versions")
                .await?;
            versions.extend(listed.items);
            match listed.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        // The listing index is eventually consistent: read each version again.
        let mut consistent = Vec::with_capacity(versions.len());
        for listed in versions {
            if let Some(key) = self.get_key_version(listed.number).await? {
                consistent.push(key);
            }
        }
        Ok(consistent)
    }

    async fn update_key_version(&self, key: &KeyVersion) -> StoreResult<KeyVersion> {
        let Update { next, expected } = Update::of(key);
        let item = Self::encode(&next, pk(next.number), Some((KIND, &sort_key(next.number))))?;
        self.put_versioned(item, expected, "updating a key version")
            .await?;
        Ok(next)
    }

    async fn get_key_version(&self, number: KeyNumber) -> StoreResult<Option<KeyVersion>> {
        self.get_item(pk(number), "reading a key version")
            .await?
            .map(Self::decode)
            .transpose()
    }
}
