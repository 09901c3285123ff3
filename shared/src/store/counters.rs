//! The migration's counters: atomic additions (DynamoDB `ADD`, a SQLite upsert), never a
//! read-modify-write, so concurrent functions never lose a count.

use async_trait::async_trait;

use super::StoreResult;
use crate::clock::Epoch;
use crate::domain::counter::{Counter, CounterTotal};

/// Counters with a total and hourly buckets.
#[async_trait]
pub trait CounterStore: Send + Sync {
    /// Adds `n` to `counter`'s total and to the bucket of the hour `at` falls in, and makes `at`
    /// its last time. Buckets older than their retention are forgotten (a TTL on DynamoDB, a
    /// prune on the embedded store).
    async fn add_count(&self, counter: Counter, at: Epoch, n: u64) -> StoreResult<()>;
    /// `counter`'s total and last time (zero and none when never counted).
    async fn counter_total(&self, counter: Counter) -> StoreResult<CounterTotal>;
    /// The sum of `counter`'s buckets from the hour `from` falls in to the hour `to` falls in,
    /// both included, read through a key range (never a scan).
    async fn counter_between(&self, counter: Counter, from: Epoch, to: Epoch) -> StoreResult<u64>;
}
