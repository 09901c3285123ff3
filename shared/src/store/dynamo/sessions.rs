//! Login sessions (`SESSION#<sha256>`) and login-attempt counters (`THROTTLE#<key>`) in DynamoDB,
//! both with a `ttl`. DynamoDB deletes expired items only eventually (the emulator never), so every
//! read and every condition compares the expiry with the current time itself.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Condition, DynamoStore, Item, number};
use crate::clock::Epoch;
use crate::domain::Session;
use crate::store::schema;
use crate::store::{
    AttemptStore, Attempts, Contention, SessionStore, StoreError, StoreResult, Unique, retry,
};

fn session_pk(key: &str) -> String {
    format!("SESSION#{key}")
}

fn throttle_pk(key: &str) -> String {
    format!("THROTTLE#{key}")
}

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
fn attempts_of(item: Item, context: &'static str) -> StoreResult<Attempts> {
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
    /// Updates a counter by `update` (`#count`, `#ttl`, `:one` and `:now` stand ready) if
    /// `condition` holds; `None` when it does not.
    async fn update_counter(
        &self,
        pk: &str,
        update: &str,
        condition: Condition,
        now: Epoch,
        context: &'static str,
    ) -> StoreResult<Option<Attempts>> {
        let condition = condition
            .name("#count", "count")
            .name("#ttl", schema::TTL)
            .value(":one", number(1))
            .value(":now", number(now));
        self.update_if(pk.to_string(), update, condition, context)
            .await?
            .map(|item| attempts_of(item, context))
            .transpose()
    }

    /// Adds one to a counter whose window is still open; `None` when there is no open window.
    async fn increment_open_window(
        &self,
        pk: &str,
        now: Epoch,
        context: &'static str,
    ) -> StoreResult<Option<Attempts>> {
        let open = Condition::new("attribute_exists(pk) AND #ttl > :now");
        self.update_counter(pk, "ADD #count :one", open, now, context)
            .await
    }

    /// Starts a new window with a count of one, unless another request has just started one.
    async fn start_window(
        &self,
        pk: &str,
        window_ends: Epoch,
        now: Epoch,
        context: &'static str,
    ) -> StoreResult<Option<Attempts>> {
        let ended = Condition::new("attribute_not_exists(pk) OR #ttl <= :now")
            .value(":ends", number(window_ends));
        self.update_counter(pk, "SET #count = :one, #ttl = :ends", ended, now, context)
            .await
    }
}

#[async_trait]
impl AttemptStore for DynamoStore {
    async fn get_attempts(&self, key: &str, now: Epoch) -> StoreResult<Option<Attempts>> {
        let context = "reading a login-attempt counter";
        let Some(item) = self.get_item(throttle_pk(key), context).await? else {
            return Ok(None);
        };
        let attempts = attempts_of(item, context)?;
        Ok((attempts.window_ends > now).then_some(attempts))
    }

    async fn add_attempt(&self, key: &str, window: u64, now: Epoch) -> StoreResult<Attempts> {
        self.count_attempt(key, window, now, true).await
    }

    async fn add_attempt_after(
        &self,
        key: &str,
        window: u64,
        now: Epoch,
        seen: Option<Attempts>,
    ) -> StoreResult<Attempts> {
        let open = seen.is_some_and(|attempts| attempts.window_ends > now);
        self.count_attempt(key, window, now, open).await
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<()> {
        self.delete_item(throttle_pk(key), "clearing login attempts")
            .await
            .map(|_| ())
    }
}

impl DynamoStore {
    /// Counts an attempt: adds to the open window, or starts one when there is none; tries the
    /// first when `open_first` (the window was open when last read), else the second, so that the
    /// usual case is one update.
    async fn count_attempt(
        &self,
        key: &str,
        window: u64,
        now: Epoch,
        open_first: bool,
    ) -> StoreResult<Attempts> {
        let context = "counting a login attempt";
        let pk = &throttle_pk(key);
        let window_ends = now.saturating_add(Epoch::try_from(window).unwrap_or(Epoch::MAX));
        // Each step is one conditional update, so no increment is lost; an attempt is only lost
        // (and run again) when the window opened or closed between the two.
        let counted = retry(
            Contention::Shared,
            |e| matches!(e, StoreError::StaleVersion),
            |_| async move {
                let increment = || self.increment_open_window(pk, now, context);
                let start = || self.start_window(pk, window_ends, now, context);
                let first = if open_first {
                    increment().await?
                } else {
                    start().await?
                };
                if let Some(attempts) = first {
                    return Ok(attempts);
                }
                let second = if open_first {
                    start().await?
                } else {
                    increment().await?
                };
                second.ok_or(StoreError::StaleVersion)
            },
        )
        .await;
        counted.map_err(|e| match e {
            StoreError::StaleVersion => StoreError::backend(
                context,
                "the counter's window kept changing under concurrent updates",
            ),
            other => other,
        })
    }
}
