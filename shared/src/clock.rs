//! Wall-clock time as the store and the domain see it: whole seconds since the Unix epoch.
//!
//! Reads of short-lived items take `now` as an argument instead of calling the clock themselves, so
//! tests can move time without sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as stored in `expires`, `ttl` and the `created`/`modified` fields.
pub type Epoch = i64;

/// The current time in epoch seconds.
pub fn now() -> Epoch {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as Epoch)
        .unwrap_or_default()
}
