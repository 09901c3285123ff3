//! Users in DynamoDB. Uniqueness of e-mail (case-insensitive) and ext_id is kept by guard items
//! (`EMAIL#<address>`, `EXTID#<id>`) written in the same transaction as the user (`USER#<id>`), so
//! of two requests racing for one address exactly one wins; an update that keeps both is one
//! conditional put of the user (its item names the values its guards hold). WordPress links are
//! `WPLINK#<id>`, with a guard `WPLOGIN#<lower-case login>` (holding `user_id` and
//! `wordpress_id`) written with each link, so a WordPress username finds its user in two reads. Each link is listed under its
//! user (`WPLINKS#<user id>` in the `by-kind` index), so deleting a user deletes all its links.

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::transaction::Tx;
use super::{Condition, DynamoStore, Item, number};
use crate::domain::{Email, User, UserId, WordpressLink};
use crate::store::schema;
use crate::store::{
    Page, PageRequest, Save, StoreError, StoreResult, Unique, Update, UserStore, all_pages, created,
};

const KIND: &str = "USERS";

fn user_pk(id: &UserId) -> String {
    format!("USER#{id}")
}
fn email_pk(email: &Email) -> String {
    format!("EMAIL#{}", email.key())
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

/// A guard item pointing at its user.
fn guard(pk: String, user: &UserId) -> Item {
    Item::from([
        (schema::PK.to_string(), AttributeValue::S(pk)),
        ("user_id".to_string(), AttributeValue::S(user.to_string())),
    ])
}

/// The attribute of a user's item that names the unique values its guard items hold (the e-mail
/// key and the ext_id), so that an update keeping them is one conditional put, no transaction.
const UNIQUE_VALUES: &str = "unique_values";

/// [`UNIQUE_VALUES`] of `user`.
fn unique_values(user: &User) -> AttributeValue {
    let values = serde_json::json!([user.email.key(), user.ext_id]);
    AttributeValue::S(values.to_string())
}

fn user_item(user: &User) -> StoreResult<Item> {
    let mut item = DynamoStore::encode(user, user_pk(&user.id), Some((KIND, user.id.as_str())))?;
    item.insert(UNIQUE_VALUES.into(), unique_values(user));
    Ok(item)
}

/// The listing of a user's WordPress links in the `by-kind` index.
fn links_kind(user: &UserId) -> String {
    format!("WPLINKS#{user}")
}

/// A link's item, listed under its user (sort key: the WordPress ID).
fn link_item(link: &WordpressLink) -> StoreResult<Item> {
    let kind = links_kind(&link.user_id);
    let sort_key = link.wordpress_id.to_string();
    DynamoStore::encode(link, link_pk(link.wordpress_id), Some((&kind, &sort_key)))
}

/// The login guard of a link, pointing at its user and WordPress account.
fn login_guard(key: &str, link: &WordpressLink) -> Item {
    let mut item = guard(login_pk(key), &link.user_id);
    item.insert("wordpress_id".to_string(), number(link.wordpress_id));
    item
}

/// Adds the creation of `link` and of its login guard to `tx`.
fn put_new_link(tx: &mut Tx, link: &WordpressLink) -> StoreResult<()> {
    tx.put_new(
        link_item(link)?,
        StoreError::AlreadyExists(Unique::WordpressLink),
    )?;
    if let Some(key) = WordpressLink::login_key(&link.login) {
        tx.put_new(
            login_guard(&key, link),
            StoreError::AlreadyExists(Unique::WordpressLogin),
        )?;
    }
    Ok(())
}

impl DynamoStore {
    /// Every WordPress link of `user`, as a consistent read has it: the links its listing names,
    /// and the link of its `wordpress_id` (which also finds a link written before links were
    /// listed). The listing is an index, so a link written a moment ago may be missing from it.
    async fn links_of(&self, user: &User) -> StoreResult<Vec<WordpressLink>> {
        let kind = links_kind(&user.id);
        let kind = kind.as_str();
        let listed: Vec<WordpressLink> = all_pages(100, |page| async move {
            self.list_kind(kind, &page, "listing a user's WordPress links")
                .await
        })
        .await?;
        let mut ids: BTreeSet<u64> = listed.iter().map(|link| link.wordpress_id).collect();
        ids.extend(user.wordpress_id);
        let mut links = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(link) = self.get_wordpress_link(id).await?
                && link.user_id == user.id
            {
                links.push(link);
            }
        }
        Ok(links)
    }

    /// Follows a guard item to its user.
    async fn user_by_guard(&self, pk: String, context: &'static str) -> StoreResult<Option<User>> {
        match self.user_id_by_guard(pk, context).await? {
            Some(id) => self.get_user(&id).await,
            None => Ok(None),
        }
    }

    /// The user a guard item names.
    async fn user_id_by_guard(
        &self,
        pk: String,
        context: &'static str,
    ) -> StoreResult<Option<UserId>> {
        let Some(guard) = self.get_item(pk, context).await? else {
            return Ok(None);
        };
        match guard.get("user_id") {
            Some(AttributeValue::S(id)) => Ok(Some(UserId::from_stored(id.clone()))),
            _ => Err(StoreError::backend(context, "guard item without user_id")),
        }
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn create_user(&self, user: &User, link: Option<&WordpressLink>) -> StoreResult<()> {
        let mut tx = Tx::new(self.table());
        tx.put_new(user_item(user)?, StoreError::AlreadyExists(Unique::User))?;
        tx.put_new(
            guard(email_pk(&user.email), &user.id),
            StoreError::AlreadyExists(Unique::Email),
        )?;
        if let Some(ext_id) = &user.ext_id {
            tx.put_new(
                guard(ext_pk(ext_id), &user.id),
                StoreError::AlreadyExists(Unique::ExtId),
            )?;
        }
        if let Some(link) = link {
            put_new_link(&mut tx, &created(link))?;
        }
        tx.commit(self, "creating a user").await
    }

    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.get_item(user_pk(id), "reading a user")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
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

    async fn find_user_id_by_email(&self, email: &Email) -> StoreResult<Option<UserId>> {
        self.user_id_by_guard(email_pk(email), "finding a user by e-mail")
            .await
    }

    async fn find_user_id_by_wordpress_login(&self, login: &str) -> StoreResult<Option<UserId>> {
        let Some(key) = WordpressLink::login_key(login) else {
            return Ok(None);
        };
        self.user_id_by_guard(login_pk(&key), "finding a user by WordPress login")
            .await
    }

    /// Most updates (a sign-in, a new password) keep the e-mail and the ext_id: one put, if the
    /// stored user is still at the version read and holds the same unique values. When it does
    /// not, the stored user (read by the failed put) tells a stale version from unique values
    /// that move, which take a transaction with their guard items.
    async fn update_user(&self, user: &User) -> StoreResult<User> {
        const CONTEXT: &str = "updating a user";
        let Update { next, expected } = Update::of(user);
        let unchanged = Condition::at_version(expected)
            .and("#unique = :unique")
            .name("#unique", UNIQUE_VALUES)
            .value(":unique", unique_values(&next));
        let mut stored = None;
        let put = self.put_if(user_item(&next)?, unchanged, CONTEXT, |found| {
            stored = found;
            StoreError::StaleVersion
        });
        match put.await {
            Ok(()) => return Ok(next),
            Err(StoreError::StaleVersion) => {}
            Err(e) => return Err(e),
        }
        let Some(current) = stored.map(DynamoStore::decode::<User>).transpose()? else {
            return Err(StoreError::NotFound);
        };
        if current.version != expected {
            return Err(StoreError::StaleVersion);
        }
        let mut tx = Tx::new(self.table());
        tx.put_versioned(user_item(&next)?, expected)?;
        if current.email.key() != next.email.key() {
            tx.delete_owned(email_pk(&current.email), &user.id)?;
            tx.put_new(
                guard(email_pk(&next.email), &user.id),
                StoreError::AlreadyExists(Unique::Email),
            )?;
        }
        if current.ext_id != next.ext_id {
            if let Some(old) = &current.ext_id {
                tx.delete_owned(ext_pk(old), &user.id)?;
            }
            if let Some(new) = &next.ext_id {
                tx.put_new(
                    guard(ext_pk(new), &user.id),
                    StoreError::AlreadyExists(Unique::ExtId),
                )?;
            }
        }
        tx.commit(self, CONTEXT).await?;
        Ok(next)
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let Some(current) = self.get_user(id).await? else {
            return Ok(false);
        };
        let mut tx = Tx::new(self.table());
        tx.delete(user_pk(id), Condition::at_version(current.version))?;
        tx.delete_owned(email_pk(&current.email), id)?;
        if let Some(ext_id) = &current.ext_id {
            tx.delete_owned(ext_pk(ext_id), id)?;
        }
        for link in self.links_of(&current).await? {
            tx.delete_owned(link_pk(link.wordpress_id), id)?;
            if let Some(key) = WordpressLink::login_key(&link.login) {
                tx.delete_owned(login_pk(&key), id)?;
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
        let mut tx = Tx::new(self.table());
        let key = WordpressLink::login_key(&link.login);
        let update = match Save::of(link) {
            Save::Create(next) => {
                put_new_link(&mut tx, &next)?;
                tx.commit(self, "creating a WordPress link").await?;
                return Ok(next);
            }
            Save::Update(update) => update,
        };
        let Some(current) = self.get_wordpress_link(link.wordpress_id).await? else {
            return Err(StoreError::NotFound);
        };
        if current.version != update.expected {
            return Err(StoreError::StaleVersion);
        }
        let next = update.next;
        tx.put_versioned(link_item(&next)?, update.expected)?;
        let old_key = WordpressLink::login_key(&current.login);
        if old_key != key
            && let Some(old) = &old_key
        {
            tx.delete_owned(login_pk(old), &current.user_id)?;
        }
        // Also rewritten when unchanged: a link written before logins had guards gets its guard.
        if let Some(key) = &key {
            let owner = if old_key.as_ref() == Some(key) {
                &current.user_id
            } else {
                &next.user_id
            };
            tx.put_owned(
                login_guard(key, &next),
                owner,
                StoreError::AlreadyExists(Unique::WordpressLogin),
            )?;
        }
        tx.commit(self, "updating a WordPress link").await?;
        Ok(next)
    }
}

/// What an update asks DynamoDB, against answers stubbed in the SDK client (no emulator): a rule
/// that is not there fails the request, so a test sees every call the store makes.
#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::store::dynamo::mocked;

    /// DynamoDB's answer to a put whose condition failed.
    fn condition_failed() -> PutItemError {
        let code = ErrorMetadata::builder()
            .code("ConditionalCheckFailedException")
            .build();
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .meta(code)
                .build(),
        )
    }

    /// A get answering `user`'s item.
    fn reading(user: &User) -> aws_smithy_mocks::Rule {
        let item = user_item(user).unwrap();
        mock!(Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(item.clone()))
                .build()
        })
    }

    fn stored_user() -> User {
        User {
            id: UserId::from_stored("u-ada".into()),
            version: 3,
            ..User::new(
                crate::domain::Email::parse("ada@example.org").unwrap(),
                crate::domain::user::UserSource::Local,
                0,
            )
        }
    }

    #[tokio::test]
    async fn an_update_that_keeps_the_email_and_ext_id_is_one_put() {
        // The put is conditioned on the stored unique values being the ones it keeps.
        let kept = unique_values(&stored_user());
        let put = mock!(Client::put_item)
            .match_requests(move |put| {
                put.expression_attribute_values()
                    .and_then(|values| values.get(":unique"))
                    == Some(&kept)
            })
            .then_output(|| PutItemOutput::builder().build());
        let store = mocked(&[&put]);
        let mut signed_in = stored_user();
        signed_in.current_sign_in_at = Some(10);
        signed_in.email = crate::domain::Email::parse("ADA@example.org").unwrap();
        let saved = store.update_user(&signed_in).await.unwrap();
        assert_eq!(saved.version, 4);
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_update_that_moves_the_email_takes_a_transaction_with_the_guards() {
        let refused = mock!(Client::put_item).then_error(condition_failed);
        let read = reading(&stored_user());
        let moved = mock!(Client::transact_write_items)
            .match_requests(|tx| tx.transact_items().len() == 3)
            .then_output(|| TransactWriteItemsOutput::builder().build());
        let store = mocked(&[&refused, &read, &moved]);
        let mut changed = stored_user();
        changed.email = crate::domain::Email::parse("ada@example.net").unwrap();
        let saved = store.update_user(&changed).await.unwrap();
        assert_eq!(
            (saved.version, saved.email.as_str()),
            (4, "ada@example.net")
        );
        assert_eq!(
            (refused.num_calls(), read.num_calls(), moved.num_calls()),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn a_user_stored_before_its_unique_values_gets_them_at_its_next_update() {
        let refused = mock!(Client::put_item).then_error(condition_failed);
        let mut legacy = user_item(&stored_user()).unwrap();
        legacy.remove(UNIQUE_VALUES);
        let read = mock!(Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(legacy.clone()))
                .build()
        });
        // The guards stay: the transaction is the user alone, now with its unique values.
        let rewritten = mock!(Client::transact_write_items)
            .match_requests(|tx| {
                let [entry] = tx.transact_items() else {
                    return false;
                };
                entry
                    .put()
                    .is_some_and(|put| put.item().contains_key(UNIQUE_VALUES))
            })
            .then_output(|| TransactWriteItemsOutput::builder().build());
        let store = mocked(&[&refused, &read, &rewritten]);
        let mut signed_in = stored_user();
        signed_in.current_sign_in_at = Some(10);
        let saved = store.update_user(&signed_in).await.unwrap();
        assert_eq!(saved.version, 4);
        assert_eq!(rewritten.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_update_of_a_stale_version_fails_without_a_transaction() {
        let refused = mock!(Client::put_item).then_error(condition_failed);
        let read = reading(&User {
            version: 4,
            ..stored_user()
        });
        let store = mocked(&[&refused, &read]);
        let result = store.update_user(&stored_user()).await;
        assert!(
            matches!(result, Err(StoreError::StaleVersion)),
            "{result:?}"
        );
    }
}
