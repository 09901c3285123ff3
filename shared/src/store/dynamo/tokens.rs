//! Token records in DynamoDB: item `TOKEN#<tag>`, listed under `TOKENS`, in the sparse `due`
//! index while it has a `due_at`, in the sparse `by-owner` index when it has an owner, and in the
//! sparse `by-account` index when its resource owner has a stable id.

use async_trait::async_trait;

use super::{Condition, DynamoStore, Item, backend, number};
use crate::clock::Epoch;
use crate::domain::token_lifecycle::SeenRecord;
use crate::domain::{AccountKey, ClientId, ConnectionStatus, Owner, StoredToken, Tag};
use crate::store::schema;
use crate::store::{
    DueCursor, LeaseAttempt, Page, PageRequest, StoreError, StoreResult, TokenStore, Unique, Update,
};
use aws_sdk_dynamodb::types::AttributeValue;

pub(super) const KIND: &str = "TOKENS";

/// Shard label of the due index. One shard holds every due token: a sweep reads only the due ones,
/// and one partition takes thousands of writes a second, far above a refresh sweep's rate.
pub(crate) const DUE_SHARD: &str = "due";

pub(super) fn pk(tag: &str) -> String {
    format!("TOKEN#{tag}")
}

/// The partition of the `by-client-status` index holding `client`'s records in `status`.
pub(super) fn client_status_partition(client: &ClientId, status: ConnectionStatus) -> String {
    format!("{client}#{}", status.name())
}

fn item(token: &StoredToken) -> StoreResult<Item> {
    let mut item = DynamoStore::encode(
        token,
        pk(token.tag.as_str()),
        Some((KIND, token.tag.as_str())),
    )?;
    match token.due_at {
        Some(due) => {
            item.insert(
                schema::GSI_DUE_PK.into(),
                AttributeValue::S(DUE_SHARD.into()),
            );
            item.insert(schema::GSI_DUE_SK.into(), number(due));
        }
        None => {
            item.remove(schema::GSI_DUE_SK);
        }
    }
    if let Some(owner) = &token.owner {
        item.insert(
            schema::GSI_OWNER_PK.into(),
            AttributeValue::S(owner.to_string()),
        );
    }
    item.insert(
        schema::GSI_CLIENT_STATUS_PK.into(),
        AttributeValue::S(client_status_partition(
            &token.client_id,
            token.connection_status(),
        )),
    );
    if let Some(account) = token.account_key() {
        item.insert(
            schema::GSI_ACCOUNT_PK.into(),
            AttributeValue::S(account.as_str().to_string()),
        );
    }
    Ok(item)
}

#[async_trait]
impl TokenStore for DynamoStore {
    async fn create_token(&self, token: &StoredToken) -> StoreResult<()> {
        self.put_new(
            item(token)?,
            "creating a token record",
            StoreError::AlreadyExists(Unique::Token),
        )
        .await
    }

    async fn get_token(&self, tag: &Tag) -> StoreResult<Option<StoredToken>> {
        self.get_item(pk(tag.as_str()), "reading a token record")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn update_token(&self, token: &StoredToken) -> StoreResult<StoredToken> {
        let update = Update::of(token);
        self.put_versioned(
            item(&update.next)?,
            update.expected,
            "updating a token record",
        )
        .await?;
        Ok(update.next)
    }

    /// One `UpdateItem` of the lease's two attributes and the version, conditioned on the
    /// version and the connection, answering the item as it is when the condition fails.
    async fn lease_token(
        &self,
        seen: &SeenRecord,
        owner: &str,
        until: Epoch,
    ) -> StoreResult<LeaseAttempt> {
        let same_connection = match &seen.connection_id {
            Some(id) => Condition::at_version(seen.version)
                .and("#connection = :connection")
                .value(":connection", AttributeValue::S(id.clone())),
            None => Condition::at_version(seen.version).and("attribute_not_exists(#connection)"),
        };
        let condition = same_connection
            .name("#connection", "connection_id")
            .name("#owner", "lease_owner")
            .name("#until", "lease_until")
            .value(":owner", AttributeValue::S(owner.to_string()))
            .value(":until", number(until))
            .value(":next", number(seen.version + 1));
        let update = "SET #owner = :owner, #until = :until, version = :next";
        let context = "leasing a token record";
        Ok(
            match self
                .update_or_current(pk(seen.tag.as_str()), update, condition, context)
                .await?
            {
                Ok(leased) => LeaseAttempt::Won(Self::decode(leased)?),
                Err(current) => LeaseAttempt::Lost(current.map(Self::decode).transpose()?),
            },
        )
    }

    async fn delete_token(&self, tag: &Tag) -> StoreResult<bool> {
        self.delete_item(pk(tag.as_str()), "deleting a token record")
            .await
    }

    async fn due_tokens(&self, now: Epoch, page: &PageRequest) -> StoreResult<Page<StoredToken>> {
        let context = "listing due token records";
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(schema::INDEX_DUE)
            .key_condition_expression("#shard = :shard AND #due <= :now")
            .expression_attribute_names("#shard", schema::GSI_DUE_PK)
            .expression_attribute_names("#due", schema::GSI_DUE_SK)
            .expression_attribute_values(":shard", AttributeValue::S(DUE_SHARD.into()))
            .expression_attribute_values(":now", number(now))
            .limit(page.effective_limit() as i32);
        if let Some(after) = DueCursor::decode(page.after.as_deref()) {
            query = query
                .exclusive_start_key(schema::PK, AttributeValue::S(pk(&after.tag)))
                .exclusive_start_key(schema::GSI_DUE_PK, AttributeValue::S(DUE_SHARD.into()))
                .exclusive_start_key(schema::GSI_DUE_SK, number(after.due));
        }
        let out = query.send().await.map_err(|e| backend(context, e))?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(Self::decode)
            .collect::<StoreResult<Vec<StoredToken>>>()?;
        let next = match out.last_evaluated_key {
            Some(_) => items.last().and_then(|t| {
                t.due_at.map(|due| {
                    DueCursor {
                        due,
                        tag: t.tag.to_string(),
                    }
                    .encode()
                })
            }),
            None => None,
        };
        Ok(Page { items, next })
    }

    async fn list_tokens(&self, page: &PageRequest) -> StoreResult<Page<StoredToken>> {
        self.list_kind(KIND, page, "listing token records").await
    }

    async fn owner_tokens(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>> {
        self.list_index(
            (schema::INDEX_BY_OWNER, schema::GSI_OWNER_PK),
            owner.as_str(),
            page,
            "listing an owner's token records",
        )
        .await
    }

    async fn account_tokens(
        &self,
        account: &AccountKey,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>> {
        self.list_index(
            (schema::INDEX_BY_ACCOUNT, schema::GSI_ACCOUNT_PK),
            account.as_str(),
            page,
            "listing the token records of an account",
        )
        .await
    }
}
