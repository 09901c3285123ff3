//! Finding connections in DynamoDB: `Query`s on one index, partition by partition, never a scan.
//!
//! - an owner: `by-owner`, the owner's partition;
//! - clients (a provider's) or a status: `by-client-status`, whose partitions are
//!   `<client id>#<status>` (every token item carries its `client_status_key`), read client by
//!   client (in id order), each status in turn, each partition in tag order; a status without
//!   clients reads every client's partition of that status (the clients are listed first);
//! - nothing: `by-kind`, partition `TOKENS`, in tag order.
//!
//! A tag prefix is a `begins_with` on the sort key (the tag) of whichever partition is read; the
//! filters the index does not decide are applied to the items read. The cursor is where the next
//! page starts: the tag alone when one partition is read (as the listings have always answered),
//! else `<partition number>|<tag>`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::tokens::{self, client_status_partition as partition};
use super::{DynamoStore, Item, backend};
use crate::domain::{ConnectionFilter, ConnectionStatus, StoredToken};
use crate::store::schema;
use crate::store::{ClientStore, ConnectionIndex, Page, PageRequest, StoreResult, all_pages};

/// Which index a filter is read through, and its partitions in reading order.
struct Plan {
    index: &'static str,
    hash_key: &'static str,
    partitions: Vec<String>,
}

impl DynamoStore {
    async fn plan(&self, filter: &ConnectionFilter) -> StoreResult<Plan> {
        if let Some(owner) = &filter.owner {
            return Ok(Plan {
                index: schema::INDEX_BY_OWNER,
                hash_key: schema::GSI_OWNER_PK,
                partitions: vec![owner.to_string()],
            });
        }
        if filter.clients.is_none() && filter.status.is_none() {
            return Ok(Plan {
                index: schema::INDEX_BY_KIND,
                hash_key: schema::GSI_KIND_PK,
                partitions: vec![tokens::KIND.to_string()],
            });
        }
        let mut clients = match &filter.clients {
            Some(clients) => clients.clone(),
            None => all_pages(100, |page| async move { self.list_clients(&page).await })
                .await?
                .into_iter()
                .map(|client| client.id)
                .collect(),
        };
        clients.sort();
        clients.dedup();
        let statuses = match filter.status {
            Some(status) => vec![status],
            None => ConnectionStatus::ALL.to_vec(),
        };
        Ok(Plan {
            index: schema::INDEX_BY_CLIENT_STATUS,
            hash_key: schema::GSI_CLIENT_STATUS_PK,
            partitions: clients
                .iter()
                .flat_map(|client| statuses.iter().map(|status| partition(client, *status)))
                .collect(),
        })
    }

    /// Up to `limit` items of one partition after `after` (a tag), and the tag to go on from
    /// when the partition has more.
    async fn read_partition(
        &self,
        plan: &Plan,
        value: &str,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<(Vec<Item>, Option<String>)> {
        let context = "finding connections";
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(plan.index)
            .limit(limit as i32)
            .expression_attribute_names("#k", plan.hash_key)
            .expression_attribute_values(":k", AttributeValue::S(value.to_string()));
        query = match prefix {
            Some(prefix) => query
                .key_condition_expression("#k = :k AND begins_with(#s, :prefix)")
                .expression_attribute_names("#s", schema::GSI_KIND_SK)
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_string())),
            None => query.key_condition_expression("#k = :k"),
        };
        if let Some(tag) = after {
            query = query
                .exclusive_start_key(schema::PK, AttributeValue::S(tokens::pk(tag)))
                .exclusive_start_key(plan.hash_key, AttributeValue::S(value.to_string()))
                .exclusive_start_key(schema::GSI_KIND_SK, AttributeValue::S(tag.to_string()));
        }
        let out = query.send().await.map_err(|e| backend(context, e))?;
        let next =
            out.last_evaluated_key
                .as_ref()
                .and_then(|key| match key.get(schema::GSI_KIND_SK) {
                    Some(AttributeValue::S(tag)) => Some(tag.clone()),
                    _ => None,
                });
        Ok((out.items.unwrap_or_default(), next))
    }
}

/// Where a page starts: a partition's number and the tag after which to read (none: from its
/// start). With one partition, the cursor is the tag.
fn decode(cursor: Option<&str>, partitions: usize) -> (usize, Option<String>) {
    if partitions == 1 {
        return (0, cursor.map(str::to_string).filter(|t| !t.is_empty()));
    }
    let Some((number, tag)) = cursor.and_then(|c| c.split_once('|')) else {
        return (0, None);
    };
    match number.parse() {
        Ok(number) => (number, Some(tag.to_string()).filter(|t| !t.is_empty())),
        Err(_) => (0, None),
    }
}

#[async_trait]
impl ConnectionIndex for DynamoStore {
    async fn find_tokens(
        &self,
        filter: &ConnectionFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>> {
        let plan = self.plan(filter).await?;
        let limit = page.effective_limit() as usize;
        let (mut number, mut after) = decode(page.after.as_deref(), plan.partitions.len());
        let mut items = Vec::new();
        let mut read = 0;
        while number < plan.partitions.len() && read < limit {
            let (found, more) = self
                .read_partition(
                    &plan,
                    &plan.partitions[number],
                    filter.tag_prefix.as_deref(),
                    after.as_deref(),
                    limit - read,
                )
                .await?;
            read += found.len();
            for item in found {
                let record: StoredToken = Self::decode(item)?;
                if filter.matches(&record) {
                    items.push(record);
                }
            }
            match more {
                Some(tag) => after = Some(tag),
                None => {
                    number += 1;
                    after = None;
                }
            }
        }
        let next = match (plan.partitions.len(), after) {
            (1, after) => after,
            (n, after) if number < n => Some(format!("{number}|{}", after.unwrap_or_default())),
            _ => None,
        };
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_names_the_partition_and_the_tag_even_with_a_bar_in_it() {
        assert_eq!(decode(Some("2|a|b"), 3), (2, Some("a|b".into())));
        assert_eq!(decode(Some("1|"), 3), (1, None));
        assert_eq!(decode(Some("x|a"), 3), (0, None));
        assert_eq!(decode(None, 3), (0, None));
        assert_eq!(
            decode(Some("2|a"), 1),
            (0, Some("2|a".into())),
            "one partition: a tag"
        );
    }
}
