//! Throttling of failed logins, per account and per client address, in fixed windows of
//! short-lived counters. Failures are counted, not attempts: a login is refused before its
//! password is checked when its account or its address has reached its limit of failures in the
//! current window, and only a login that turns out to be a failure adds to both counters. So a
//! burst of right-password logins is never throttled, while guesses stay bounded: at most the limit
//! plus the guesses in flight when the limit was reached (they were checked before it was).
//! A success starts its account afresh.

use std::sync::Arc;

use super::error::LoginError;
use super::name::LoginName;
use super::settings::ThrottleLimits;
use crate::clock::Epoch;
use crate::domain::UserId;
use crate::store::{AttemptStore, Attempts};

/// Checks logins against the limits and counts their failures.
pub struct Throttle {
    store: Arc<dyn AttemptStore>,
    limits: ThrottleLimits,
}

/// The counters a login is checked against, and adds to when it fails.
#[derive(Debug)]
pub struct Counters {
    account: String,
    address: Option<String>,
    /// Each counter as the check read it (the store counts a failure in one call when it knows).
    account_seen: Option<Attempts>,
    address_seen: Option<Attempts>,
}

/// The counter key of an account: the user's, when the name stands for a local user (so `alice`
/// and `alice@example.org` share one counter); else the spelling under which WordPress would find
/// the account (so `àlice`, `al%41ice` and `ＡＬＩＣＥ` share one: [`LoginName::account_key`]).
pub fn account_key(name: &LoginName, user: Option<&UserId>) -> String {
    match user {
        Some(id) => format!("account:user:{id}"),
        None => format!("account:{}", name.account_key()),
    }
}

/// The counter key of a client address.
pub fn address_key(address: &str) -> String {
    format!("address:{address}")
}

impl Throttle {
    pub fn new(store: Arc<dyn AttemptStore>, limits: ThrottleLimits) -> Self {
        Throttle { store, limits }
    }

    /// The counter under `key` (an [`account_key`] or an [`address_key`]) in its current window.
    /// The login reads its counters together with what else it reads before the check
    /// (`super::service`).
    pub async fn attempts(&self, key: &str, now: Epoch) -> Result<Option<Attempts>, LoginError> {
        Ok(self.store.get_attempts(key, now).await?)
    }

    /// Lets a login of the account `account_key` (see [`account_key`]) from `address` go on, or
    /// refuses it with `Throttled` when the account or the address has reached its limit of
    /// failures in the current window; `account` and `by_address` are their counters as
    /// [`Throttle::attempts`] read them. Counts nothing.
    pub fn check(
        &self,
        account_key: String,
        account: Option<Attempts>,
        address: Option<&str>,
        by_address: Option<Attempts>,
        now: Epoch,
    ) -> Result<Counters, LoginError> {
        let counters = Counters {
            account: account_key,
            address: address.map(address_key),
            account_seen: account,
            address_seen: by_address,
        };
        let over = |attempts: Option<Attempts>, limit: u32| {
            attempts
                .filter(|attempts| attempts.count >= limit)
                .map(|attempts| (attempts.window_ends - now).max(1))
        };
        let account_wait = over(account, self.limits.per_account);
        let address_wait = over(by_address, self.limits.per_address);
        match account_wait.max(address_wait) {
            None => Ok(counters),
            Some(wait) => {
                tracing::warn!(
                    throttled = true,
                    account = account_wait.is_some(),
                    address = address_wait.is_some(),
                    client_address = address.unwrap_or("-"),
                    "login refused: too many failed attempts"
                );
                Err(LoginError::Throttled {
                    retry_after: u64::try_from(wait).unwrap_or(1),
                })
            }
        }
    }

    /// Counts a failed login against its account and its address. A failure that cannot be
    /// counted is an error: a guess is not answered unless it counts.
    pub async fn failed(&self, counters: &Counters, now: Epoch) -> Result<(), LoginError> {
        let window = self.limits.window.as_secs();
        let (account, address) = tokio::join!(
            self.store
                .add_attempt_after(&counters.account, window, now, counters.account_seen),
            async {
                match &counters.address {
                    Some(key) => self
                        .store
                        .add_attempt_after(key, window, now, counters.address_seen)
                        .await
                        .map(Some),
                    None => Ok(None),
                }
            }
        );
        account?;
        address?;
        Ok(())
    }

    /// After a successful login: the account starts afresh (a write only when it had failures). A
    /// counter that cannot be cleared only keeps the limit stricter, so the login goes on.
    pub async fn succeeded(&self, counters: &Counters) {
        if counters
            .account_seen
            .is_none_or(|attempts| attempts.count == 0)
        {
            return;
        }
        if let Err(e) = self.store.clear_attempts(&counters.account).await {
            tracing::warn!(error = %e, "could not clear a login-attempt counter");
        }
    }
}
