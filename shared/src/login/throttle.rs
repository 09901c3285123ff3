//! Throttling of login attempts, per account and per client address, in fixed
//! windows of short-lived counters. Every attempt is counted before any password is checked, so
//! concurrent guesses cannot slip past the limit; an attempt that turns out not to be a failure is
//! taken back (a success clears the account's counter).

use std::sync::Arc;

use super::credentials::LoginName;
use super::error::LoginError;
use super::settings::ThrottleLimits;
use crate::clock::Epoch;
use crate::domain::UserId;
use crate::store::{AttemptStore, Attempts, StoreResult};

/// Counts login attempts against the limits.
pub struct Throttle {
    store: Arc<dyn AttemptStore>,
    limits: ThrottleLimits,
}

/// One counted attempt: the counters it was added to.
#[derive(Debug)]
pub struct Counted {
    account: (String, Attempts),
    address: Option<(String, Attempts)>,
}

/// The counter key of an account: the user's, when the name stands for a local user (so `alice`
/// and `alice@example.org` share one counter); else the name's canonical form.
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

    /// Counts an attempt against the account `account_key` (see [`account_key`]); refuses it
    /// with `Throttled` when the account or the address is over its limit in the current window.
    pub async fn count(
        &self,
        account_key: String,
        address: Option<&str>,
        now: Epoch,
    ) -> Result<Counted, LoginError> {
        let window = self.limits.window.as_secs();
        let address_key = address.map(address_key);
        let (account, by_address) =
            tokio::join!(self.store.add_attempt(&account_key, window, now), async {
                match &address_key {
                    Some(key) => self.store.add_attempt(key, window, now).await.map(Some),
                    None => Ok(None),
                }
            });
        let counted = Counted {
            account: (account_key, account?),
            address: address_key.zip(by_address?),
        };
        let over = |attempts: &Attempts, limit: u32| {
            (attempts.count > limit).then(|| (attempts.window_ends - now).max(1))
        };
        let account_wait = over(&counted.account.1, self.limits.per_account);
        let address_wait = counted
            .address
            .as_ref()
            .and_then(|(_, attempts)| over(attempts, self.limits.per_address));
        match account_wait.max(address_wait) {
            None => Ok(counted),
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

    /// After a successful login: the account starts afresh, the address gets its attempt back.
    pub async fn succeeded(&self, counted: &Counted) {
        let (clear, forgive) = tokio::join!(
            self.store.clear_attempts(&counted.account.0),
            self.forgive_address(counted)
        );
        log_failure(clear.and(forgive));
    }

    /// After a login whose answer is unknown (WordPress trouble): neither counter keeps it.
    pub async fn inconclusive(&self, counted: &Counted) {
        let (key, attempts) = &counted.account;
        let (account, address) = tokio::join!(
            self.store.forgive_attempt(key, attempts.window_ends),
            self.forgive_address(counted)
        );
        log_failure(account.and(address));
    }

    async fn forgive_address(&self, counted: &Counted) -> StoreResult<()> {
        match &counted.address {
            Some((key, attempts)) => self.store.forgive_attempt(key, attempts.window_ends).await,
            None => Ok(()),
        }
    }
}

/// A counter that could not be lowered only makes the limit stricter: the login goes on.
fn log_failure(result: StoreResult<()>) {
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not update a login-attempt counter");
    }
}
