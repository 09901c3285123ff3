//! Login sessions (`SESSION#<sha256>`) and login-attempt counters (`THROTTLE#<key>`) in DynamoDB,
//! both with a `ttl`. DynamoDB deletes expired items only eventually (the emulator never), so every
//! read and every condition compares the expiry with the current time itself.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{DynamoStore, Item, backend, is_condition_failure, number};
use crate::clock::Epoch;
use crate::domain::Session;
use crate::store::schema;
use crate::store::{AttemptStore, Attempts, SessionStore, StoreError, StoreResult, Unique};

fn session_pk(key: &str) -> String {
    format!("SESSION#{key}")
}

fn throttle_pk(key: &str) -> String {
    format!("THROTTLE#{key}")
}

/// How often a counter update retries when another request starts a new window at the same time.
const MAX_WINDOW_RACES: usize = 5;

#[async_trait]
impl SessionStore for DynamoStore {
    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        let item = Self::encode(session, session_pk(&session.key), None)?;
        self.put_short_lived(
            item,
            session.expires_at,
            "storing a session",
            StoreError::AlreadyExists(Unique::Session),
        )
        .await
    }

    async fn get_session(&self, key: &str, now: Epoch) -> StoreResult<Option<Session>> {
        let Some(item) = self.get_item(session_pk(key), "reading a session").await? else {
            return Ok(None);
        };
        let session: Session = Self::decode(item)?;
        Ok((session.expires_at > now).then_some(session))
    }

    async fn delete_session(&self, key: &str) -> StoreResult<bool> {
        self.delete_item(session_pk(key), "deleting a session")
            .await
    }
}

/// The counter in an item returned by an update or a read.
fn attempts_of(item: Option<Item>, context: &'static str) -> StoreResult<Attempts> {
    let item = item.ok_or_else(|| StoreError::backend(context, "the update returned no item"))?;
    let read = |name: &str| match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse::<i64>().ok(),
        _ => None,
    };
    match (read("count"), read(schema::TTL)) {
        (Some(count), Some(window_ends)) => Ok(Attempts {
            count: u32::try_from(count.max(0)).unwrap_or(u32::MAX),
            window_ends,
        }),
        _ => Err(StoreError::backend(
            context,
            "a login-attempt counter without count or ttl",
        )),
    }
}

impl DynamoStore {
    /// Adds one to a counter whose window is still open; `None` when there is no open window.
    async fn increment_open_window(
        &self,
        pk: &str,
        now: Epoch,
        context: &'static str,
    ) -> StoreResult<Option<Attempts>> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(schema::PK, AttributeValue::S(pk.to_string()))
            .update_expression("ADD #count :one")
            .condition_expression("attribute_exists(pk) AND #ttl > :now")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", schema::TTL)
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":now", number(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => attempts_of(out.attributes, context).map(Some),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(backend(context, e)),
        }
    }

    /// Starts a new window with a count of one, unless another request has just started one.
    async fn start_window(
        &self,
        pk: &str,
        window_ends: Epoch,
        now: Epoch,
        context: &'static str,
    ) -> StoreResult<Option<Attempts>> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(schema::PK, AttributeValue::S(pk.to_string()))
            .update_expression("SET #count = :one, #ttl = :ends")
            .condition_expression("attribute_not_exists(pk) OR #ttl <= :now")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", schema::TTL)
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":ends", number(window_ends))
            .expression_attribute_values(":now", number(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => attempts_of(out.attributes, context).map(Some),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(backend(context, e)),
        }
    }
}

#[async_trait]
impl AttemptStore for DynamoStore {
    async fn get_attempts(&self, key: &str, now: Epoch) -> StoreResult<Option<Attempts>> {
        let context = "reading a login-attempt counter";
        let Some(item) = self.get_item(throttle_pk(key), context).await? else {
            return Ok(None);
        };
        let attempts = attempts_of(Some(item), context)?;
        Ok((attempts.window_ends > now).then_some(attempts))
    }

    async fn add_attempt(&self, key: &str, window: u64, now: Epoch) -> StoreResult<Attempts> {
        let context = "counting a login attempt";
        let pk = throttle_pk(key);
        let window_ends = now.saturating_add(Epoch::try_from(window).unwrap_or(Epoch::MAX));
        // Each step is one conditional update, so no increment is lost; the loop only repeats when
        // the window opened or closed between the two.
        for _ in 0..MAX_WINDOW_RACES {
            if let Some(attempts) = self.increment_open_window(&pk, now, context).await? {
                return Ok(attempts);
            }
            if let Some(attempts) = self.start_window(&pk, window_ends, now, context).await? {
                return Ok(attempts);
            }
        }
        Err(StoreError::backend(
            context,
            "the counter's window kept changing under concurrent updates",
        ))
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<()> {
        self.delete_item(throttle_pk(key), "clearing login attempts")
            .await
            .map(|_| ())
    }
}
