//! Console sessions (`CONSOLE#<sha256>`) in DynamoDB, with a `ttl` that follows the idle end.
//! DynamoDB deletes expired items only eventually (the emulator never), so every read and every
//! condition compares the expiry with the time it is given.

use async_trait::async_trait;

use super::{Condition, DynamoStore, number};
use crate::clock::Epoch;
use crate::domain::ConsoleSession;
use crate::store::schema;
use crate::store::{ConsoleSessionStore, StoreError, StoreResult, Unique};

fn console_pk(key: &str) -> String {
    format!("CONSOLE#{key}")
}

#[async_trait]
impl ConsoleSessionStore for DynamoStore {
    async fn put_console_session(&self, session: &ConsoleSession) -> StoreResult<()> {
        let item = Self::encode(session, console_pk(&session.key), None)?;
        self.put_short_lived(
            item,
            session.expires_at,
            "storing a console session",
            StoreError::AlreadyExists(Unique::Session),
        )
        .await
    }

    async fn get_console_session(
        &self,
        key: &str,
        now: Epoch,
    ) -> StoreResult<Option<ConsoleSession>> {
        let Some(item) = self
            .get_item(console_pk(key), "reading a console session")
            .await?
        else {
            return Ok(None);
        };
        let session: ConsoleSession = Self::decode(item)?;
        Ok((session.expires_at > now).then_some(session))
    }

    async fn touch_console_session(
        &self,
        key: &str,
        last_seen: Epoch,
        expires_at: Epoch,
        now: Epoch,
    ) -> StoreResult<bool> {
        let live = Condition::new("attribute_exists(pk) AND #ttl > :now")
            .name("#ttl", schema::TTL)
            .name("#seen", "last_seen")
            .name("#exp", "expires_at")
            .value(":now", number(now))
            .value(":seen", number(last_seen))
            .value(":exp", number(expires_at));
        let updated = self
            .update_if(
                console_pk(key),
                "SET #seen = :seen, #exp = :exp, #ttl = :exp",
                live,
                "recording use of a console session",
            )
            .await?;
        Ok(updated.is_some())
    }

    async fn delete_console_session(&self, key: &str) -> StoreResult<bool> {
        self.delete_item(console_pk(key), "deleting a console session")
            .await
    }
}
