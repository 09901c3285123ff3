//! DynamoDB transactions (`TransactWriteItems`) of the store's multi-item writes, each entry with
//! the meaning of its condition's failure: a cancelled transaction answers the failure of the
//! first entry whose condition failed (e.g. `AlreadyExists(Email)` when the e-mail guard was
//! taken), and a retry that met the transaction itself answers success.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::{Condition, DynamoStore, Item, backend, stamped};
use crate::domain::UserId;
use crate::store::schema;
use crate::store::{StoreError, StoreResult};

/// What a failed condition in one transaction entry means.
pub(super) type Outcome = StoreError;

/// A transaction under construction, with the meaning of each entry's condition failure.
pub(super) struct Tx {
    table: String,
    items: Vec<TransactWriteItem>,
    on_fail: Vec<Outcome>,
    /// What the transaction puts and deletes, to recognise it when a retry meets it stored.
    puts: Vec<Item>,
    deletes: Vec<String>,
}

impl Tx {
    /// An empty transaction on `table`.
    pub(super) fn new(table: &str) -> Self {
        Tx {
            table: table.to_string(),
            items: Vec::new(),
            on_fail: Vec::new(),
            puts: Vec::new(),
            deletes: Vec::new(),
        }
    }

    /// Puts `item` (with a fresh write id) if `condition` holds; `on_fail` when it does not.
    pub(super) fn put(
        &mut self,
        item: Item,
        condition: Condition,
        on_fail: Outcome,
    ) -> StoreResult<()> {
        let item = stamped(item);
        self.puts.push(item.clone());
        self.put_unrecorded(item, condition, on_fail)
    }

    /// [`Self::put`] of an item that is not looked for when telling whether the transaction
    /// took effect, and keeps no write id: a guard its user rewrites as it is.
    pub(super) fn put_unrecorded(
        &mut self,
        item: Item,
        condition: Condition,
        on_fail: Outcome,
    ) -> StoreResult<()> {
        let put = condition
            .apply_tx_put(Put::builder().table_name(&self.table).set_item(Some(item)))
            .build()
            .map_err(|e| StoreError::backend("building a transaction", e))?;
        self.push(TransactWriteItem::builder().put(put).build(), on_fail);
        Ok(())
    }

    pub(super) fn put_new(&mut self, item: Item, on_fail: Outcome) -> StoreResult<()> {
        self.put(item, Condition::absent(), on_fail)
    }

    pub(super) fn put_versioned(&mut self, item: Item, expected: u64) -> StoreResult<()> {
        let at_version = Condition::at_version(expected);
        self.put(item, at_version, StoreError::StaleVersion)
    }

    /// Writes a guard item unless it belongs to another user: creates it, or rewrites its own.
    pub(super) fn put_owned(
        &mut self,
        item: Item,
        owner: &UserId,
        on_fail: Outcome,
    ) -> StoreResult<()> {
        let owned = Condition::absent_or_owned_by(owner.as_str());
        self.put_unrecorded(item, owned, on_fail)
    }

    /// Deletes the item under `pk` if `condition` holds; a stale version when it does not.
    pub(super) fn delete(&mut self, pk: String, condition: Condition) -> StoreResult<()> {
        self.deletes.push(pk.clone());
        let delete = condition
            .apply_tx_delete(
                Delete::builder()
                    .table_name(&self.table)
                    .key(schema::PK, AttributeValue::S(pk)),
            )
            .build()
            .map_err(|e| StoreError::backend("building a transaction", e))?;
        let entry = TransactWriteItem::builder().delete(delete).build();
        self.push(entry, StoreError::StaleVersion);
        Ok(())
    }

    /// Adds an entry, and what its condition's failure means.
    fn push(&mut self, entry: TransactWriteItem, on_fail: Outcome) {
        self.items.push(entry);
        self.on_fail.push(on_fail);
    }

    /// Deletes a guard item, only while it still belongs to `owner`.
    pub(super) fn delete_owned(&mut self, pk: String, owner: &UserId) -> StoreResult<()> {
        self.delete(pk, Condition::absent_or_owned_by(owner.as_str()))
    }

    /// Whether every item this transaction puts is stored exactly as written, and every item it
    /// deletes is gone.
    async fn took_effect(&self, store: &DynamoStore, context: &'static str) -> StoreResult<bool> {
        for item in &self.puts {
            let Some(AttributeValue::S(pk)) = item.get(schema::PK) else {
                return Ok(false);
            };
            if store.get_item(pk.clone(), context).await?.as_ref() != Some(item) {
                return Ok(false);
            }
        }
        for pk in &self.deletes {
            if store.get_item(pk.clone(), context).await?.is_some() {
                return Ok(false);
            }
        }
        Ok(!self.puts.is_empty() || !self.deletes.is_empty())
    }

    /// `Ok` when the transaction took effect after all, else `err`.
    async fn or_took_effect(
        &self,
        store: &DynamoStore,
        context: &'static str,
        err: StoreError,
    ) -> StoreResult<()> {
        match self.took_effect(store, context).await? {
            true => Ok(()),
            false => Err(err),
        }
    }

    pub(super) async fn commit(
        self,
        store: &DynamoStore,
        context: &'static str,
    ) -> StoreResult<()> {
        let result = store
            .client()
            .transact_write_items()
            .set_transact_items(Some(self.items.clone()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) => match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancel) => {
                    let failed = cancel
                        .cancellation_reasons()
                        .iter()
                        .position(|reason| reason.code() == Some("ConditionalCheckFailed"));
                    match failed {
                        // The SDK retried a transaction whose answer was lost, and the retry
                        // met the transaction itself: every put is stored as written.
                        Some(_) if self.took_effect(store, context).await? => Ok(()),
                        Some(i) => Err(self
                            .on_fail
                            .into_iter()
                            .nth(i)
                            .unwrap_or(StoreError::StaleVersion)),
                        // Cancelled for another reason, e.g. a concurrent transaction on the same
                        // items: the caller retries after re-reading, as after a stale version.
                        None => Err(StoreError::StaleVersion),
                    }
                }
                _ => {
                    self.or_took_effect(
                        store,
                        context,
                        backend(context, SdkError::ServiceError(service)),
                    )
                    .await
                }
            },
            // The last attempt's answer may have been the lost one.
            Err(e) => {
                self.or_took_effect(store, context, backend(context, e))
                    .await
            }
        }
    }
}

/// The mapping from a cancelled transaction to the unique value that lost, against DynamoDB's
/// answers stubbed in the SDK client (no emulator).
#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    use aws_sdk_dynamodb::types::CancellationReason;
    use aws_sdk_dynamodb::types::error::TransactionCanceledException;
    use aws_smithy_mocks::mock;

    use crate::domain::{User, UserId, WordpressAccount, WordpressLink};
    use crate::store::dynamo::{DynamoStore, mocked};
    use crate::store::{StoreError, Unique, UserStore};

    /// A store whose transactions are cancelled with `reasons` (one code per entry, as DynamoDB
    /// answers: `None` for an entry that did not fail) and whose reads find nothing.
    fn cancelling(reasons: &[&'static str]) -> DynamoStore {
        let reasons = reasons.to_vec();
        let cancelled = mock!(Client::transact_write_items).then_error(move || {
            let reasons = reasons
                .iter()
                .map(|code| CancellationReason::builder().code(*code).build())
                .collect();
            TransactWriteItemsError::TransactionCanceledException(
                TransactionCanceledException::builder()
                    .message("Transaction cancelled, please refer cancellation reasons for specific reasons")
                    .set_cancellation_reasons(Some(reasons))
                    .build(),
            )
        });
        let nothing_stored =
            mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
        mocked(&[&cancelled, &nothing_stored])
    }

    /// Cancellation reasons of `entries` entries, the one at `failed` a failed condition.
    fn failed_at(entries: usize, failed: usize) -> Vec<&'static str> {
        (0..entries)
            .map(|i| match i == failed {
                true => "ConditionalCheckFailed",
                false => "None",
            })
            .collect()
    }

    /// A user with an ext_id, and its link with a login: five entries in the transaction.
    fn user_and_link() -> (User, WordpressLink) {
        let account = WordpressAccount {
            id: 42,
            login: "Ann".into(),
            email: crate::domain::Email::parse("ann@example.com").unwrap(),
            nicename: None,
            url: None,
            registered: None,
            display_name: None,
            first_name: None,
            last_name: None,
        };
        let user = User {
            id: UserId::from_stored("u-ann".into()),
            ..account.new_user(None, true, 0)
        };
        let link = account.link(&user.id, 0);
        (user, link)
    }

    #[tokio::test]
    async fn a_user_create_that_lost_names_the_unique_value_whose_guard_failed() {
        let (user, link) = user_and_link();
        let entries = [
            Unique::User,
            Unique::Email,
            Unique::ExtId,
            Unique::WordpressLink,
            Unique::WordpressLogin,
        ];
        for (failed, lost) in entries.into_iter().enumerate() {
            let store = cancelling(&failed_at(entries.len(), failed));
            match store.create_user(&user, Some(&link)).await {
                Err(StoreError::AlreadyExists(what)) => assert_eq!(what, lost, "entry {failed}"),
                other => panic!("entry {failed}: expected AlreadyExists({lost}), got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_link_create_that_lost_names_the_link_or_its_login() {
        let (_, link) = user_and_link();
        for (failed, lost) in [Unique::WordpressLink, Unique::WordpressLogin]
            .into_iter()
            .enumerate()
        {
            let store = cancelling(&failed_at(2, failed));
            match store.save_wordpress_link(&link).await {
                Err(StoreError::AlreadyExists(what)) => assert_eq!(what, lost, "entry {failed}"),
                other => panic!("entry {failed}: expected AlreadyExists({lost}), got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_transaction_cancelled_for_another_reason_is_a_stale_version() {
        let (user, link) = user_and_link();
        let store = cancelling(&["None", "TransactionConflict", "None", "None", "None"]);
        let result = store.create_user(&user, Some(&link)).await;
        assert!(
            matches!(result, Err(StoreError::StaleVersion)),
            "{result:?}"
        );
    }
}
