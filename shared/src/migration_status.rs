//! The migration panel: "can we switch the WordPress fallback off yet?", answered from counters
//! kept where things happen (never a scan of the users). [`Meter`] counts; [`status`] reads.
//!
//! - *Synced or imported*: users a WordPress sync or `users import` created.
//! - *Migrated by login*: WordPress users' first sign-in through authbridge: through the fallback
//!   (created at that login, or a synced user given its first password by it), or locally with
//!   the hash `users import` brought.
//! - *Never seen*: every WordPress user (synced, imported, created at a login) minus those
//!   migrated by login: users who have not logged in through the fallback since authbridge started
//!   counting.
//! - *Fallback logins* in the last 24 hours and 7 days (by whole hours, the current one
//!   included), and the last one; *WordPress errors* in the last 24 hours.

use std::sync::Arc;

use serde::Serialize;

use crate::clock::{self, Epoch};
use crate::domain::counter::{Counter, HOUR};
use crate::store::{CounterStore, StoreError};

/// Counts the migration's events. Counting never fails what it counts: a failure is logged. Does
/// nothing when built without a store ([`Meter::default`]).
#[derive(Clone, Default)]
pub struct Meter {
    counters: Option<Arc<dyn CounterStore>>,
}

impl Meter {
    /// A meter writing to `counters`.
    pub fn new(counters: Arc<dyn CounterStore>) -> Self {
        Meter {
            counters: Some(counters),
        }
    }

    /// Adds `n` to `counter`, now.
    pub async fn count(&self, counter: Counter, n: u64) {
        let Some(counters) = &self.counters else {
            return;
        };
        if n == 0 {
            return;
        }
        if let Err(e) = counters.add_count(counter, clock::now(), n).await {
            tracing::warn!(counter = counter.name(), error = %e, "a migration counter was not counted");
        }
    }
}

/// Where the migration stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    /// Users created by a WordPress sync.
    pub synced: u64,
    /// Users created by `users import`.
    pub imported: u64,
    /// WordPress users whose first login through authbridge has happened.
    pub migrated: u64,
    /// WordPress users not yet migrated by a login.
    pub never_seen: u64,
    pub fallback_logins_24h: u64,
    pub fallback_logins_7d: u64,
    /// When WordPress last validated a login (epoch seconds).
    pub last_fallback_login: Option<Epoch>,
    pub wordpress_errors_24h: u64,
}

impl MigrationStatus {
    /// True when nobody needed the fallback for 7 days and every WordPress user has logged in
    /// through authbridge: switching it off would lock nobody out that the counters know of.
    pub fn fallback_idle(&self) -> bool {
        self.fallback_logins_7d == 0 && self.never_seen == 0
    }
}

/// The migration's figures at `now`.
pub async fn status(
    counters: &dyn CounterStore,
    now: Epoch,
) -> Result<MigrationStatus, StoreError> {
    let day = now - 23 * HOUR;
    let week = now - (7 * 24 - 1) * HOUR;
    let synced = counters.counter_total(Counter::Synced).await?.count;
    let imported = counters.counter_total(Counter::Imported).await?.count;
    let created = counters.counter_total(Counter::CreatedAtLogin).await?.count;
    let migrated = counters.counter_total(Counter::Migrated).await?.count;
    let fallback = counters.counter_total(Counter::FallbackLogins).await?;
    Ok(MigrationStatus {
        synced,
        imported,
        migrated,
        never_seen: (synced + imported + created).saturating_sub(migrated),
        fallback_logins_24h: counters
            .counter_between(Counter::FallbackLogins, day, now)
            .await?,
        fallback_logins_7d: counters
            .counter_between(Counter::FallbackLogins, week, now)
            .await?,
        last_fallback_login: fallback.last,
        wordpress_errors_24h: counters
            .counter_between(Counter::WordpressErrors, day, now)
            .await?,
    })
}
