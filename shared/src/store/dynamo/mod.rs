//! The DynamoDB store: every aggregate in one table (see `docs/book/src/storage.md`).
//!
//! Records are converted to items with `serde_dynamo`; each item carries its partition key `pk`
//! (`<KIND>#<id>`) and, when it is listed, the `kind`/`sort_key` pair of the listing index. Nothing
//! here scans: every read is a `GetItem` or a `Query` on an index.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ReturnValue, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType, TimeToLiveSpecification,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::schema::{self, AttrType};
use super::{Page, PageRequest, StoreError, StoreResult};
use crate::clock::Epoch;

mod api_tokens;
mod clients;
mod condition;
mod connection_index;
mod console_sessions;
mod counters;
mod flow_states;
mod journal;
mod keys;
mod sessions;
mod tokens;
mod transaction;
mod users;

pub(crate) use condition::Condition;

/// A DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// The DynamoDB store over one table.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The record of `item`, ignoring the key attributes the store added.
    pub(crate) fn decode<T: DeserializeOwned>(item: Item) -> StoreResult<T> {
        serde_dynamo::from_item(item)
            .map_err(|e| StoreError::backend("decoding a DynamoDB item", e))
    }

    /// The item of `record` under `pk`, listed under `kind` when given.
    pub(crate) fn encode<T: Serialize>(
        record: &T,
        pk: String,
        listed: Option<(&str, &str)>,
    ) -> StoreResult<Item> {
        let mut item: Item = serde_dynamo::to_item(record)
            .map_err(|e| StoreError::backend("encoding a DynamoDB item", e))?;
        item.insert(schema::PK.into(), AttributeValue::S(pk));
        if let Some((kind, sort_key)) = listed {
            item.insert(schema::GSI_KIND_PK.into(), AttributeValue::S(kind.into()));
            item.insert(
                schema::GSI_KIND_SK.into(),
                AttributeValue::S(sort_key.into()),
            );
        }
        Ok(item)
    }

    /// A consistent read of one item.
    pub(crate) async fn get_item(
        &self,
        pk: String,
        context: &'static str,
    ) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(schema::PK, AttributeValue::S(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(context, e))?;
        Ok(out.item)
    }

    /// Puts `item` unless an item with its key exists.
    pub(crate) async fn put_new(
        &self,
        item: Item,
        context: &'static str,
        on_exists: StoreError,
    ) -> StoreResult<()> {
        self.put_if(item, Condition::absent(), context, |_| on_exists)
            .await
    }

    /// Puts a short-lived `item` with its DynamoDB TTL, unless a live item has its key (an expired
    /// one, which DynamoDB may not have deleted yet, is replaced).
    pub(crate) async fn put_short_lived(
        &self,
        mut item: Item,
        expires_at: Epoch,
        context: &'static str,
        on_exists: StoreError,
    ) -> StoreResult<()> {
        item.insert(schema::TTL.into(), number(expires_at));
        let live_or_absent = Condition::absent_or_expired(crate::clock::now());
        self.put_if(item, live_or_absent, context, |_| on_exists)
            .await
    }

    /// Puts `item` if the stored one still has `expected` as its version.
    pub(crate) async fn put_versioned(
        &self,
        item: Item,
        expected: u64,
        context: &'static str,
    ) -> StoreResult<()> {
        self.put_if(
            item,
            Condition::at_version(expected),
            context,
            |stored| match stored {
                Some(_) => StoreError::StaleVersion,
                None => StoreError::NotFound,
            },
        )
        .await
    }

    /// Puts `item` (with a fresh write id, see [`stamped`]) if `condition` holds. When the put
    /// fails, the stored item decides: exactly `item`, write id included, means the write took
    /// effect and its answer was lost (the SDK's retry met the write itself, or the last
    /// attempt's answer never came), so `Ok`. Else the condition's failure is `lost(stored)`,
    /// and any other failure a backend error. A second call writing the same record has another
    /// write id, so it still loses. A failed condition answers the stored item itself
    /// (`ReturnValuesOnConditionCheckFailure`); it is read only after another failure, or when
    /// there is none.
    async fn put_if(
        &self,
        item: Item,
        condition: Condition,
        context: &'static str,
        lost: impl FnOnce(Option<Item>) -> StoreError,
    ) -> StoreResult<()> {
        let Some(AttributeValue::S(pk)) = item.get(schema::PK).cloned() else {
            return Err(StoreError::backend(context, "item without a pk"));
        };
        let item = stamped(item);
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let Err(e) = condition.apply_put(request).send().await else {
            return Ok(());
        };
        // A failed condition answers the stored item: no read after it.
        let answered = match e.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(failed)) => failed.item.clone(),
            _ => None,
        };
        let failure = (!is_condition_failure(&e)).then(|| backend(context, e));
        let stored = match answered {
            Some(stored) => Some(stored),
            None => self.get_item(pk, context).await?,
        };
        if stored.as_ref() == Some(&item) {
            return Ok(());
        }
        Err(failure.unwrap_or_else(|| lost(stored)))
    }

    /// Updates the item under `pk` by `update` if `condition` holds (which also names the
    /// update's placeholders): the item as it is after the update, or `None` when the condition
    /// failed.
    pub(crate) async fn update_if(
        &self,
        pk: String,
        update: &str,
        condition: Condition,
        context: &'static str,
    ) -> StoreResult<Option<Item>> {
        Ok(self
            .update_or_current(pk, update, condition, context)
            .await?
            .ok())
    }

    /// [`Self::update_if`] that also answers, when the condition fails, the item as it is (`None`
    /// when there is none), in the same call (`ReturnValuesOnConditionCheckFailure`): `Ok` with
    /// the item after the update, or `Err` with the item that failed the condition.
    pub(crate) async fn update_or_current(
        &self,
        pk: String,
        update: &str,
        condition: Condition,
        context: &'static str,
    ) -> StoreResult<Result<Item, Option<Item>>> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(schema::PK, AttributeValue::S(pk))
            .update_expression(update)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match condition.apply_update(request).send().await {
            Ok(out) => out
                .attributes
                .map(Ok)
                .ok_or_else(|| StoreError::backend(context, "the update returned no item")),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    Ok(Err(failed.item().cloned()))
                }
                _ => Err(backend(context, e)),
            },
        }
    }

    /// Deletes one item and answers it as it was; `None` when there was none.
    pub(crate) async fn take_item(
        &self,
        pk: String,
        context: &'static str,
    ) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(schema::PK, AttributeValue::S(pk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| backend(context, e))?;
        Ok(out.attributes)
    }

    /// Deletes one item; `true` when it existed.
    pub(crate) async fn delete_item(&self, pk: String, context: &'static str) -> StoreResult<bool> {
        Ok(self.take_item(pk, context).await?.is_some())
    }

    /// One page of the items of `kind`, in `sort_key` order, through the listing index.
    pub(crate) async fn list_kind<T: DeserializeOwned>(
        &self,
        kind: &str,
        page: &PageRequest,
        context: &'static str,
    ) -> StoreResult<Page<T>> {
        self.list_index(
            (schema::INDEX_BY_KIND, schema::GSI_KIND_PK),
            kind,
            page,
            context,
        )
        .await
    }

    /// One page of the items whose `index.1` attribute is `value`, in `sort_key` order, through
    /// the index `index.0` (whose range key is `sort_key`).
    pub(crate) async fn list_index<T: DeserializeOwned>(
        &self,
        (index, hash_key): (&str, &str),
        value: &str,
        page: &PageRequest,
        context: &'static str,
    ) -> StoreResult<Page<T>> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .limit(page.effective_limit() as i32)
            .expression_attribute_names("#k", hash_key)
            .expression_attribute_values(":k", AttributeValue::S(value.into()));
        query = match &page.after {
            Some(after) => query
                .key_condition_expression("#k = :k AND #s > :after")
                .expression_attribute_names("#s", schema::GSI_KIND_SK)
                .expression_attribute_values(":after", AttributeValue::S(after.clone())),
            None => query.key_condition_expression("#k = :k"),
        };
        let out = query.send().await.map_err(|e| backend(context, e))?;
        let items = out.items.unwrap_or_default();
        let next = match out.last_evaluated_key {
            Some(_) => items
                .last()
                .and_then(|item| match item.get(schema::GSI_KIND_SK) {
                    Some(AttributeValue::S(s)) => Some(s.clone()),
                    _ => None,
                }),
            None => None,
        };
        let items = items
            .into_iter()
            .map(Self::decode)
            .collect::<StoreResult<Vec<T>>>()?;
        Ok(Page { items, next })
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The SDK client, for tests that look at raw items.
    pub fn raw_client(&self) -> &Client {
        &self.client
    }
}

/// `item` with a fresh write id ([`schema::WRITE_ID`]): the SDK's retries of one call send the
/// same item, other calls another id, so a lost answer can be told from a concurrent writer.
pub(crate) fn stamped(mut item: Item) -> Item {
    let mut id = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut id);
    item.insert(schema::WRITE_ID.into(), AttributeValue::S(hex::encode(id)));
    item
}

/// True when a request failed on its condition expression.
pub(crate) fn is_condition_failure<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// A backend error with context: one line with the service's code and message, or what stopped
/// the request (see [`crate::aws::explain`]); `Unavailable` when it is worth trying again
/// (timeouts, dropped connections, 5xx, throttling), else `Backend`.
pub(crate) fn backend<E>(context: &'static str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let reason = crate::aws::explain(&err);
    if crate::aws::is_transient(&err) {
        StoreError::Unavailable { context, reason }
    } else {
        StoreError::backend(context, reason)
    }
}

/// The number in `N` form.
pub(crate) fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// Creates the table with exactly the key schema, indexes and TTL attribute of
/// [`schema::table`], on-demand billing, and waits until it is active.
pub async fn create_table(client: &Client, name: &str) -> StoreResult<()> {
    let def = schema::table();
    let context = "creating the DynamoDB table";
    let attr = |(name, ty): &(&str, AttrType)| {
        AttributeDefinition::builder()
            .attribute_name(*name)
            .attribute_type(match ty {
                AttrType::S => ScalarAttributeType::S,
                AttrType::N => ScalarAttributeType::N,
            })
            .build()
            .map_err(|e| StoreError::backend(context, e))
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(|e| StoreError::backend(context, e))
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(def.hash_key, KeyType::Hash)?);
    for a in &def.attributes {
        request = request.attribute_definitions(attr(a)?);
    }
    for index in &def.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.hash_key, KeyType::Hash)?)
                .key_schema(key(index.range_key, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| StoreError::backend(context, e))?,
        );
    }
    request.send().await.map_err(|e| backend(context, e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(def.ttl_attribute)
                .build()
                .map_err(|e| StoreError::backend(context, e))?,
        )
        .send()
        .await
        .map_err(|e| backend(context, e))?;
    for _ in 0..120 {
        let out = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| backend(context, e))?;
        let active = out
            .table
            .and_then(|t| t.table_status)
            .is_some_and(|s| s == aws_sdk_dynamodb::types::TableStatus::Active);
        if active {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Err(StoreError::backend(
        context,
        "the table did not become active in 60 s",
    ))
}

/// A store on an SDK client that answers only by `rules` (`aws_smithy_mocks`), for unit tests of
/// what the store asks DynamoDB and how it reads the answers, with no emulator.
#[cfg(test)]
pub(crate) fn mocked(rules: &[&aws_smithy_mocks::Rule]) -> DynamoStore {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use aws_smithy_mocks::{MockResponseInterceptor, RuleMode};

    let answers = rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |answers, rule| answers.with_rule(rule),
    );
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(answers)
        .build();
    DynamoStore::new(Client::from_conf(config), "authbridge")
}
