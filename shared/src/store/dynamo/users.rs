//! Users in DynamoDB. Uniqueness of e-mail (case-insensitive) and ext_id is kept by guard items
//! (`EMAIL#<address>`, `EXTID#<id>`) written in the same transaction as the user (`USER#<id>`), so
//! of two requests racing for one address exactly one wins. WordPress links are `WPLINK#<id>`,
//! with a guard `WPLOGIN#<lower-case login>` (holding `user_id` and `wordpress_id`) written with
//! each link, so a WordPress username finds its user in two reads.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::{DynamoStore, Item, backend, number, stamped};
use crate::domain::{User, UserId, WordpressLink};
use crate::store::schema;
use crate::store::{Page, PageRequest, StoreError, StoreResult, Unique, UserStore};

const KIND: &str = "USERS";

fn user_pk(id: &UserId) -> String {
    format!("USER#{id}")
}
fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", User::email_key(email))
}
fn ext_pk(ext_id: &str) -> String {
    format!("EXTID#{ext_id}")
}
fn link_pk(wordpress_id: u64) -> String {
    format!("WPLINK#{wordpress_id}")
}
fn login_pk(key: &str) -> String {
    format!("WPLOGIN#{key}")
}

/// What a failed condition in one transaction entry means.
type Outcome = StoreError;

/// A transaction under construction, with the meaning of each entry's condition failure.
struct Tx {
    items: Vec<TransactWriteItem>,
    on_fail: Vec<Outcome>,
    /// What the transaction puts and deletes, to recognise it when a retry meets it stored.
    puts: Vec<Item>,
    deletes: Vec<String>,
}

impl Tx {
    fn new() -> Self {
        Tx {
            items: Vec::new(),
            on_fail: Vec::new(),
            puts: Vec::new(),
            deletes: Vec::new(),
        }
    }

    fn put_new(&mut self, table: &str, item: Item, on_fail: Outcome) -> StoreResult<()> {
        let item = stamped(item);
        self.puts.push(item.clone());
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::backend("building a transaction", e))?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self.on_fail.push(on_fail);
        Ok(())
    }

    fn put_versioned(&mut self, table: &str, item: Item, expected: u64) -> StoreResult<()> {
        let item = stamped(item);
        self.puts.push(item.clone());
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(pk) AND version = :expected")
            .expression_attribute_values(":expected", number(expected))
            .build()
            .map_err(|e| StoreError::backend("building a transaction", e))?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self.on_fail.push(StoreError::StaleVersion);
        Ok(())
    }

    /// Writes a guard item unless it belongs to another user: creates it, or rewrites its own.
    fn put_owned(
        &mut self,
        table: &str,
        item: Item,
        owner: &UserId,
        on_fail: Outcome,
    ) -> StoreResult<()> {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR user_id = :owner")
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .build()
            .map_err(|e| StoreError::backend("building a transaction", e))?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self.on_fail.push(on_fail);
        Ok(())
    }

    /// Deletes a guard item, only while it still belongs to `owner`.
    fn delete_owned(&mut self, table: &str, pk: String, owner: &UserId) -> StoreResult<()> {
        self.deletes.push(pk.clone());
        let delete = Delete::builder()
            .table_name(table)
            .key(schema::PK, AttributeValue::S(pk))
            .condition_expression("attribute_not_exists(pk) OR user_id = :owner")
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .build()
            .map_err(|e| StoreError::backend("building a transaction", e))?;
        self.items
            .push(TransactWriteItem::builder().delete(delete).build());
        self.on_fail.push(StoreError::StaleVersion);
        Ok(())
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

    async fn commit(self, store: &DynamoStore, context: &'static str) -> StoreResult<()> {
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

/// A guard item pointing at its user.
fn guard(pk: String, user: &UserId) -> Item {
    Item::from([
        (schema::PK.to_string(), AttributeValue::S(pk)),
        ("user_id".to_string(), AttributeValue::S(user.to_string())),
    ])
}

fn user_item(user: &User) -> StoreResult<Item> {
    DynamoStore::encode(user, user_pk(&user.id), Some((KIND, user.id.as_str())))
}

fn link_item(link: &WordpressLink) -> StoreResult<Item> {
    DynamoStore::encode(link, link_pk(link.wordpress_id), None)
}

/// The login guard of a link, pointing at its user and WordPress account.
fn login_guard(key: &str, link: &WordpressLink) -> Item {
    let mut item = guard(login_pk(key), &link.user_id);
    item.insert("wordpress_id".to_string(), number(link.wordpress_id));
    item
}

impl DynamoStore {
    /// Follows a guard item to its user.
    async fn user_by_guard(&self, pk: String, context: &'static str) -> StoreResult<Option<User>> {
        let Some(guard) = self.get_item(pk, context).await? else {
            return Ok(None);
        };
        match guard.get("user_id") {
            Some(AttributeValue::S(id)) => self.get_user(&UserId::new(id.clone())).await,
            _ => Err(StoreError::backend(context, "guard item without user_id")),
        }
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn create_user(&self, user: &User, link: Option<&WordpressLink>) -> StoreResult<()> {
        let table = self.table();
        let mut tx = Tx::new();
        tx.put_new(
            table,
            user_item(user)?,
            StoreError::AlreadyExists(Unique::User),
        )?;
        tx.put_new(
            table,
            guard(email_pk(&user.email), &user.id),
            StoreError::AlreadyExists(Unique::Email),
        )?;
        if let Some(ext_id) = &user.ext_id {
            tx.put_new(
                table,
                guard(ext_pk(ext_id), &user.id),
                StoreError::AlreadyExists(Unique::ExtId),
            )?;
        }
        if let Some(link) = link {
            let mut link = link.clone();
            link.version = 1;
            tx.put_new(
                table,
                link_item(&link)?,
                StoreError::AlreadyExists(Unique::WordpressLink),
            )?;
            if let Some(key) = WordpressLink::login_key(&link.login) {
                tx.put_new(
                    table,
                    login_guard(&key, &link),
                    StoreError::AlreadyExists(Unique::WordpressLogin),
                )?;
            }
        }
        tx.commit(self, "creating a user").await
    }

    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.get_item(user_pk(id), "reading a user")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.user_by_guard(email_pk(email), "finding a user by e-mail")
            .await
    }

    async fn find_user_by_ext_id(&self, ext_id: &str) -> StoreResult<Option<User>> {
        self.user_by_guard(ext_pk(ext_id), "finding a user by ext_id")
            .await
    }

    async fn find_user_by_wordpress_login(&self, login: &str) -> StoreResult<Option<User>> {
        let Some(key) = WordpressLink::login_key(login) else {
            return Ok(None);
        };
        self.user_by_guard(login_pk(&key), "finding a user by WordPress login")
            .await
    }

    async fn update_user(&self, user: &User) -> StoreResult<User> {
        let Some(current) = self.get_user(&user.id).await? else {
            return Err(StoreError::NotFound);
        };
        if current.version != user.version {
            return Err(StoreError::StaleVersion);
        }
        let mut next = user.clone();
        next.version = user.version + 1;
        let table = self.table();
        let mut tx = Tx::new();
        tx.put_versioned(table, user_item(&next)?, user.version)?;
        if User::email_key(&current.email) != User::email_key(&next.email) {
            tx.delete_owned(table, email_pk(&current.email), &user.id)?;
            tx.put_new(
                table,
                guard(email_pk(&next.email), &user.id),
                StoreError::AlreadyExists(Unique::Email),
            )?;
        }
        if current.ext_id != next.ext_id {
            if let Some(old) = &current.ext_id {
                tx.delete_owned(table, ext_pk(old), &user.id)?;
            }
            if let Some(new) = &next.ext_id {
                tx.put_new(
                    table,
                    guard(ext_pk(new), &user.id),
                    StoreError::AlreadyExists(Unique::ExtId),
                )?;
            }
        }
        tx.commit(self, "updating a user").await?;
        Ok(next)
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let Some(current) = self.get_user(id).await? else {
            return Ok(false);
        };
        let table = self.table();
        let mut tx = Tx::new();
        let delete = Delete::builder()
            .table_name(table)
            .key(schema::PK, AttributeValue::S(user_pk(id)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", number(current.version))
            .build()
            .map_err(|e| StoreError::backend("building a transaction", e))?;
        tx.items
            .push(TransactWriteItem::builder().delete(delete).build());
        tx.on_fail.push(StoreError::StaleVersion);
        tx.delete_owned(table, email_pk(&current.email), id)?;
        if let Some(ext_id) = &current.ext_id {
            tx.delete_owned(table, ext_pk(ext_id), id)?;
        }
        if let Some(wordpress_id) = current.wordpress_id {
            tx.delete_owned(table, link_pk(wordpress_id), id)?;
            let link = self.get_wordpress_link(wordpress_id).await?;
            if let Some(key) = link.and_then(|l| WordpressLink::login_key(&l.login)) {
                tx.delete_owned(table, login_pk(&key), id)?;
            }
        }
        tx.commit(self, "deleting a user").await?;
        Ok(true)
    }

    async fn list_users(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        self.list_kind(KIND, page, "listing users").await
    }

    async fn get_wordpress_link(&self, wordpress_id: u64) -> StoreResult<Option<WordpressLink>> {
        self.get_item(link_pk(wordpress_id), "reading a WordPress link")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn save_wordpress_link(&self, link: &WordpressLink) -> StoreResult<WordpressLink> {
        let table = self.table();
        let mut next = link.clone();
        let mut tx = Tx::new();
        let key = WordpressLink::login_key(&link.login);
        if link.version == 0 {
            next.version = 1;
            tx.put_new(
                table,
                link_item(&next)?,
                StoreError::AlreadyExists(Unique::WordpressLink),
            )?;
            if let Some(key) = &key {
                tx.put_new(
                    table,
                    login_guard(key, &next),
                    StoreError::AlreadyExists(Unique::WordpressLogin),
                )?;
            }
            tx.commit(self, "creating a WordPress link").await?;
            return Ok(next);
        }
        let Some(current) = self.get_wordpress_link(link.wordpress_id).await? else {
            return Err(StoreError::NotFound);
        };
        if current.version != link.version {
            return Err(StoreError::StaleVersion);
        }
        next.version = link.version + 1;
        tx.put_versioned(table, link_item(&next)?, link.version)?;
        let old_key = WordpressLink::login_key(&current.login);
        if old_key != key
            && let Some(old) = &old_key
        {
            tx.delete_owned(table, login_pk(old), &current.user_id)?;
        }
        // Also rewritten when unchanged: a link written before logins had guards gets its guard.
        if let Some(key) = &key {
            let owner = if old_key.as_ref() == Some(key) {
                &current.user_id
            } else {
                &next.user_id
            };
            tx.put_owned(
                table,
                login_guard(key, &next),
                owner,
                StoreError::AlreadyExists(Unique::WordpressLogin),
            )?;
        }
        tx.commit(self, "updating a WordPress link").await?;
        Ok(next)
    }
}
