//! The journal in DynamoDB: item `JOURNAL#<subject>#<sort key>` with the entry as JSON in
//! `entry`, listed under `JOURNAL#<subject>` in the `by-kind` index, whose `sort_key` (the time,
//! zero-padded, then the entry's id) orders it: a subject's page is one `Query` on its own
//! partition of the index, newest first, never a scan. Each item carries its `ttl` (the end of the
//! retention), so DynamoDB deletes it; a listing leaves out an expired item DynamoDB has not
//! deleted yet.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{DynamoStore, Item, backend, number};
use crate::clock::Epoch;
use crate::domain::{JournalEntry, Subject};
use crate::store::schema;
use crate::store::{JournalStore, Page, PageRequest, StoreError, StoreResult};

/// The attribute holding the entry (JSON): kept apart from the key attributes, one of which is
/// also named `kind`.
const ENTRY: &str = "entry";

fn kind(subject: &Subject) -> String {
    format!("JOURNAL#{}", subject.key())
}

#[async_trait]
impl JournalStore for DynamoStore {
    async fn append_entry(&self, entry: &JournalEntry) -> StoreResult<()> {
        let context = "appending a journal entry";
        let json = serde_json::to_string(entry).map_err(|e| StoreError::backend(context, e))?;
        let (kind, sort_key) = (kind(&entry.subject), entry.sort_key());
        let item: Item = [
            (
                schema::PK.to_string(),
                AttributeValue::S(format!("{kind}#{sort_key}")),
            ),
            (schema::GSI_KIND_PK.to_string(), AttributeValue::S(kind)),
            (schema::GSI_KIND_SK.to_string(), AttributeValue::S(sort_key)),
            (schema::TTL.to_string(), number(entry.expires_at())),
            (ENTRY.to_string(), AttributeValue::S(json)),
        ]
        .into_iter()
        .collect();
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| backend(context, e))?;
        Ok(())
    }

    async fn journal_entries(
        &self,
        subject: &Subject,
        now: Epoch,
        page: &PageRequest,
    ) -> StoreResult<Page<JournalEntry>> {
        let context = "listing journal entries";
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(schema::INDEX_BY_KIND)
            .scan_index_forward(false)
            .limit(page.effective_limit() as i32)
            .filter_expression("#ttl > :now")
            .expression_attribute_names("#k", schema::GSI_KIND_PK)
            .expression_attribute_names("#ttl", schema::TTL)
            .expression_attribute_values(":k", AttributeValue::S(kind(subject)))
            .expression_attribute_values(":now", number(now));
        query = match &page.after {
            Some(after) => query
                .key_condition_expression("#k = :k AND #s < :after")
                .expression_attribute_names("#s", schema::GSI_KIND_SK)
                .expression_attribute_values(":after", AttributeValue::S(after.clone())),
            None => query.key_condition_expression("#k = :k"),
        };
        let out = query.send().await.map_err(|e| backend(context, e))?;
        // The last key read, not the last entry kept: the filter may have left entries out.
        let next =
            out.last_evaluated_key
                .as_ref()
                .and_then(|key| match key.get(schema::GSI_KIND_SK) {
                    Some(AttributeValue::S(s)) => Some(s.clone()),
                    _ => None,
                });
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| match item.get(ENTRY) {
                Some(AttributeValue::S(json)) => {
                    serde_json::from_str(json).map_err(|e| StoreError::backend(context, e))
                }
                _ => Err(StoreError::backend(
                    context,
                    "a journal item without its entry",
                )),
            })
            .collect::<StoreResult<Vec<JournalEntry>>>()?;
        Ok(Page { items, next })
    }
}
