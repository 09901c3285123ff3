//! The migration's counters in DynamoDB: item `COUNTER#<name>` holds the total (`count`, `last`);
//! item `COUNTER#<name>#<hour>` one hour's bucket, listed under `COUNTER#<name>` in the `by-kind`
//! index with the hour (zero-padded) as `sort_key`, so a window is one `Query` on a key range.
//! Every addition is an `UpdateItem ... ADD`, atomic; a bucket carries a `ttl` and expires.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{DynamoStore, backend, is_condition_failure, number};
use crate::clock::Epoch;
use crate::domain::counter::{BUCKET_RETENTION, Counter, CounterTotal, hour_of};
use crate::store::schema;
use crate::store::{CounterStore, StoreError, StoreResult};

const COUNT: &str = "count";
const LAST: &str = "last";

fn kind(counter: Counter) -> String {
    format!("COUNTER#{}", counter.name())
}

fn bucket_key(hour: Epoch) -> String {
    format!("{:012}", hour.max(0))
}

/// A stored number as a count.
fn read_number(value: Option<&AttributeValue>) -> Option<i64> {
    match value {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

#[async_trait]
impl CounterStore for DynamoStore {
    async fn add_count(&self, counter: Counter, at: Epoch, n: u64) -> StoreResult<()> {
        let context = "counting";
        let hour = hour_of(at);
        // Three independent writes, in flight together (one round trip): the hour's bucket, the
        // total, and the total's last time.
        let bucket = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(
                schema::PK,
                AttributeValue::S(format!("{}#{}", kind(counter), bucket_key(hour))),
            )
            .update_expression("ADD #count :n SET #kind = :kind, #sk = :sk, #ttl = :ttl")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_names("#kind", schema::GSI_KIND_PK)
            .expression_attribute_names("#sk", schema::GSI_KIND_SK)
            .expression_attribute_names("#ttl", schema::TTL)
            .expression_attribute_values(":n", number(n))
            .expression_attribute_values(":kind", AttributeValue::S(kind(counter)))
            .expression_attribute_values(":sk", AttributeValue::S(bucket_key(hour)))
            .expression_attribute_values(":ttl", number(hour + BUCKET_RETENTION))
            .send();
        let total = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(schema::PK, AttributeValue::S(kind(counter)))
            .update_expression("ADD #count :n")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_values(":n", number(n))
            .send();
        // The last time moves only forward: a slower writer with an earlier time loses.
        let last = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(schema::PK, AttributeValue::S(kind(counter)))
            .update_expression("SET #last = :at")
            .condition_expression("attribute_not_exists(#last) OR #last < :at")
            .expression_attribute_names("#last", LAST)
            .expression_attribute_values(":at", number(at))
            .send();
        let (bucket, total, moved) = tokio::join!(bucket, total, last);
        bucket.map_err(|e| backend(context, e))?;
        total.map_err(|e| backend(context, e))?;
        match moved {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(backend(context, e)),
        }
    }

    async fn counter_total(&self, counter: Counter) -> StoreResult<CounterTotal> {
        let item = self.get_item(kind(counter), "reading a counter").await?;
        Ok(item
            .map(|item| CounterTotal {
                count: read_number(item.get(COUNT)).unwrap_or(0).max(0) as u64,
                last: read_number(item.get(LAST)),
            })
            .unwrap_or_default())
    }

    async fn counter_between(&self, counter: Counter, from: Epoch, to: Epoch) -> StoreResult<u64> {
        let context = "summing a counter";
        let mut sum: i64 = 0;
        let mut start = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(self.table())
                .index_name(schema::INDEX_BY_KIND)
                .key_condition_expression("#k = :k AND #s BETWEEN :from AND :to")
                .expression_attribute_names("#k", schema::GSI_KIND_PK)
                .expression_attribute_names("#s", schema::GSI_KIND_SK)
                .expression_attribute_values(":k", AttributeValue::S(kind(counter)))
                .expression_attribute_values(":from", AttributeValue::S(bucket_key(hour_of(from))))
                .expression_attribute_values(":to", AttributeValue::S(bucket_key(hour_of(to))))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend(context, e))?;
            for item in out.items() {
                let count = read_number(item.get(COUNT)).ok_or_else(|| {
                    StoreError::backend(context, "a counter bucket without a count")
                })?;
                sum = sum.saturating_add(count);
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(sum.max(0) as u64),
            }
        }
    }
}
