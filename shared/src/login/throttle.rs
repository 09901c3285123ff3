//! Throttling of failed logins, per account and per client address, in fixed windows of
//! short-lived counters. Failures are counted, not attempts: a login is refused before its
//! password is checked when its account or its address has reached its limit of failures in the
//! current window, and only a login that turns out to be a failure adds to both counters. So a
//! burst of right-password logins is never throttled, while guesses stay bounded: at most the limit
//! plus the guesses in flight when the limit was reached (they were checked before it was).
//! A success starts its account afresh.
//!
//! An account is counted under every spelling of its names (its e-mail address and each of its
//! WordPress logins, as its login record lists them: [`crate::domain::LoginRecord`]): a failure
//! adds to all of them in one wave, so a login reads the counter of the spelling typed alone,
//! together with the name's own lookup, and still meets the failures typed under the others.

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
    /// The account's counters, each with its window as read (the others' as the first one's,
    /// when only it was read): the one checked first, then the other spellings'.
    account: Vec<(String, Option<Attempts>)>,
    address: Option<String>,
    /// Each counter as the check read it (the store counts a failure in one call when it knows).
    address_seen: Option<Attempts>,
}

/// The counter key of an account: the user's, when the name stands for a local user whose login
/// record the login could not read (so `alice` and `alice@example.org` share one counter); else the spelling under which WordPress would find
/// the account (so `àlice`, `al%41ice` and `ＡＬＩＣＥ` share one: [`LoginName::account_key`]).
pub fn account_key(name: &LoginName, user: Option<&UserId>) -> String {
    match user {
        Some(id) => format!("account:user:{id}"),
        None => format!("account:{}", name.account_key()),
    }
}

/// The counter key of a spelling of an account's name (a [`crate::domain::LoginRecord`]'s
/// spelling digest): the key [`account_key`] gives a name of that spelling.
pub fn spelling_key(digest: &str) -> String {
    format!("account:{digest}")
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

    /// Lets a login of the account counted under `account` (its keys, see [`account_key`], each
    /// with its counter as [`Throttle::attempts`] read it, or as the first one's when unread) from
    /// `address` go on, or refuses it with `Throttled` when the account (its first key's counter)
    /// or the address (`by_address`) has reached its limit of failures in the current window.
    /// Counts nothing; a failure counts under every key.
    pub fn check(
        &self,
        account: Vec<(String, Option<Attempts>)>,
        address: Option<&str>,
        by_address: Option<Attempts>,
        now: Epoch,
    ) -> Result<Counters, LoginError> {
        let first = account.first().and_then(|(_, seen)| *seen);
        let counters = Counters {
            account,
            address: address.map(address_key),
            address_seen: by_address,
        };
        let over = |attempts: Option<Attempts>, limit: u32| {
            attempts
                .filter(|attempts| attempts.count >= limit)
                .map(|attempts| (attempts.window_ends - now).max(1))
        };
        let account_wait = over(first, self.limits.per_account);
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

    /// Counts a failed login against its account (under each of its keys) and its address, all
    /// in one wave. A failure that cannot be counted is an error: a guess is not answered unless
    /// it counts.
    pub async fn failed(&self, counters: &Counters, now: Epoch) -> Result<(), LoginError> {
        let window = self.limits.window.as_secs();
        let (account, address) = tokio::join!(
            futures::future::join_all(
                counters
                    .account
                    .iter()
                    .map(|(key, seen)| self.store.add_attempt_after(key, window, now, *seen))
            ),
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
        for counted in account {
            counted?;
        }
        address?;
        Ok(())
    }

    /// After a successful login: the account starts afresh (a write only when it had failures). A
    /// counter that cannot be cleared only keeps the limit stricter, so the login goes on.
    pub async fn succeeded(&self, counters: &Counters) {
        let failed = counters
            .account
            .iter()
            .filter(|(_, seen)| seen.is_some_and(|attempts| attempts.count > 0));
        let cleared =
            futures::future::join_all(failed.map(|(key, _)| self.store.clear_attempts(key))).await;
        if let Some(Err(e)) = cleared.into_iter().find(Result::is_err) {
            tracing::warn!(error = %e, "could not clear a login-attempt counter");
        }
    }
}
