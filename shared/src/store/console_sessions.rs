//! Console sessions: short-lived items of the admin console, read on every console request.

use async_trait::async_trait;

use super::StoreResult;
use crate::clock::Epoch;
use crate::domain::ConsoleSession;

/// Console sessions, keyed by the hash of their cookie. Every read compares the expiry with the
/// time it is given (DynamoDB deletes expired items only eventually).
#[async_trait]
pub trait ConsoleSessionStore: Send + Sync {
    /// Stores a new session; loses with `AlreadyExists(Session)` when a live one has its key.
    async fn put_console_session(&self, session: &ConsoleSession) -> StoreResult<()>;
    /// The session under `key`, unless it has expired at `now`.
    async fn get_console_session(
        &self,
        key: &str,
        now: Epoch,
    ) -> StoreResult<Option<ConsoleSession>>;
    /// Records use of a session still live at `now`: `last_seen` and the new `expires_at`.
    /// `false` when no live session has the key.
    async fn touch_console_session(
        &self,
        key: &str,
        last_seen: Epoch,
        expires_at: Epoch,
        now: Epoch,
    ) -> StoreResult<bool>;
    /// Ends a session; `false` when there was none.
    async fn delete_console_session(&self, key: &str) -> StoreResult<bool>;
}
