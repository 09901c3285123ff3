//! What the users' store asks DynamoDB, against answers stubbed in the SDK client (no
//! emulator): a rule that is not there fails the request, so a test sees every call the store makes.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_smithy_mocks::mock;

use super::*;
use crate::store::dynamo::mocked;
use crate::store::schema;

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

/// A get of the item under `pk` answering `item`.
fn reading_item(pk: String, item: Item) -> aws_smithy_mocks::Rule {
    mock!(Client::get_item)
        .match_requests(move |get| {
            get.key().and_then(|key| key.get(schema::PK)) == Some(&AttributeValue::S(pk.clone()))
        })
        .then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(item.clone()))
                .build()
        })
}

/// A get answering `user`'s item.
fn reading(user: &User) -> aws_smithy_mocks::Rule {
    reading_item(user_pk(&user.id), user_item(user).unwrap())
}

/// A get answering `user`'s e-mail guard, with its login record unless `legacy`.
fn reading_guard(user: &User, legacy: bool) -> aws_smithy_mocks::Rule {
    let item = match legacy {
        true => guard(email_pk(&user.email), &user.id),
        false => email_guard(&user.email, &user.id, &Kept::of(user, Vec::new())).unwrap(),
    };
    reading_item(email_pk(&user.email), item)
}

/// Whether a transaction entry puts an item with `attribute`.
fn puts_with(entry: &aws_sdk_dynamodb::types::TransactWriteItem, attribute: &str) -> bool {
    entry
        .put()
        .is_some_and(|put| put.item().contains_key(attribute))
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
    let guard_read = reading_guard(&stored_user(), false);
    // The user, the old guard's delete, the new guard with the login record.
    let moved = mock!(Client::transact_write_items)
        .match_requests(|tx| {
            let [user, old, new] = tx.transact_items() else {
                return false;
            };
            puts_with(user, UNIQUE_VALUES) && old.delete().is_some() && puts_with(new, "login")
        })
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let store = mocked(&[&refused, &read, &guard_read, &moved]);
    let mut changed = stored_user();
    changed.email = crate::domain::Email::parse("ada@example.net").unwrap();
    let saved = store.update_user(&changed).await.unwrap();
    assert_eq!(
        (saved.version, saved.email.as_str()),
        (4, "ada@example.net")
    );
    assert_eq!(
        (
            refused.num_calls(),
            guard_read.num_calls(),
            moved.num_calls()
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn a_user_stored_before_its_unique_values_gets_them_at_its_next_update() {
    let refused = mock!(Client::put_item).then_error(condition_failed);
    let mut legacy = user_item(&stored_user()).unwrap();
    legacy.remove(UNIQUE_VALUES);
    let read = reading_item(user_pk(&stored_user().id), legacy);
    // Its guard keeps no login record either: the user's links are listed (none).
    let guard_read = reading_guard(&stored_user(), true);
    let no_links = mock!(Client::query).then_output(|| QueryOutput::builder().build());
    // The user, now with its unique values, and its guard, now with its login record.
    let rewritten = mock!(Client::transact_write_items)
        .match_requests(|tx| {
            let [user, email] = tx.transact_items() else {
                return false;
            };
            puts_with(user, UNIQUE_VALUES) && puts_with(email, "login")
        })
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let store = mocked(&[&refused, &read, &guard_read, &no_links, &rewritten]);
    let mut signed_in = stored_user();
    signed_in.current_sign_in_at = Some(10);
    let saved = store.update_user(&signed_in).await.unwrap();
    assert_eq!(saved.version, 4);
    assert_eq!(rewritten.num_calls(), 1);
}

#[tokio::test]
async fn a_link_save_rewrites_the_guards_only_as_the_address_guard_was_read() {
    let ada = stored_user();
    let user_read = reading(&ada);
    let guard_read = reading_guard(&ada, false);
    let kept = email_guard(&ada.email, &ada.id, &Kept::of(&ada, Vec::new())).unwrap();
    let read = kept.get("login").cloned();
    // The link, the address's guard (on the condition that its record is the one read, so a
    // password change in between makes this save read again) and the link's own guard, both
    // with the record that lists the new login.
    let saved = mock!(Client::transact_write_items)
        .match_requests(move |tx| {
            let [link, email, login] = tx.transact_items() else {
                return false;
            };
            let as_read = email.put().is_some_and(|put| {
                put.condition_expression()
                    .is_some_and(|c| c.contains(":read"))
                    && put
                        .expression_attribute_values()
                        .and_then(|values| values.get(":read"))
                        == read.as_ref()
            });
            puts_with(link, "wordpress_id")
                && as_read
                && puts_with(email, "login")
                && puts_with(login, "login")
        })
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let store = mocked(&[&user_read, &guard_read, &saved]);
    let link = WordpressLink {
        wordpress_id: 9,
        user_id: ada.id.clone(),
        email: ada.email.clone(),
        login: "ada".into(),
        registered_at: String::new(),
        nicename: None,
        url: None,
        display_name: None,
        first_name: None,
        last_name: None,
        version: 0,
    };
    store.save_wordpress_link(&link).await.unwrap();
    assert_eq!(saved.num_calls(), 1);
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
