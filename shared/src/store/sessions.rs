//! Login sessions and login-attempt counters: the short-lived items of the login bridge.

use async_trait::async_trait;

use super::StoreResult;
use crate::clock::Epoch;
use crate::domain::Session;

/// Login sessions (short-lived, read on every `/auth/me`).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session; loses with `AlreadyExists(Session)` when a live one has its key.
    async fn put_session(&self, session: &Session) -> StoreResult<()>;
    /// The session under `key`, unless it has expired at `now`.
    async fn get_session(&self, key: &str, now: Epoch) -> StoreResult<Option<Session>>;
    /// Ends a session; `false` when there was none.
    async fn delete_session(&self, key: &str) -> StoreResult<bool>;
}

/// A counter of login attempts in a fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    /// Attempts counted in the current window (by [`AttemptStore::add_attempt`], the one it
    /// counted included).
    pub count: u32,
    /// When the window (and the counter) ends.
    pub window_ends: Epoch,
}

/// Counters of login attempts per account and per client address, each in a fixed window that
/// starts with its first attempt. Increments are atomic: concurrent attempts are never lost.
#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// The counter under `key` in its current window; `None` when there is none or it has ended
    /// at `now`.
    async fn get_attempts(&self, key: &str, now: Epoch) -> StoreResult<Option<Attempts>>;
    /// Counts one attempt under `key`: adds one in the current window, or starts a new window of
    /// `window` seconds at `now` when there is none or it has ended.
    async fn add_attempt(&self, key: &str, window: u64, now: Epoch) -> StoreResult<Attempts>;
    /// [`add_attempt`](AttemptStore::add_attempt) after [`get_attempts`](AttemptStore::get_attempts)
    /// answered `seen` for the same key: a store whose counting takes a step per case (DynamoDB:
    /// add to an open window, or start one) tries the step `seen` points to first, so the usual
    /// failure is one call. The count is the same either way.
    async fn add_attempt_after(
        &self,
        key: &str,
        window: u64,
        now: Epoch,
        seen: Option<Attempts>,
    ) -> StoreResult<Attempts> {
        let _ = seen;
        self.add_attempt(key, window, now).await
    }
    /// Removes the counter (after a successful login of the account).
    async fn clear_attempts(&self, key: &str) -> StoreResult<()>;
}
