//! Counters of the WordPress migration, kept where things happen (a sync, an import, a login
//! through the fallback, a WordPress failure) so the migration panel reads a few items instead of
//! scanning users: a total per counter, and per-hour buckets summed for the last 24 hours and 7
//! days.

use crate::clock::Epoch;

/// One hour, the width of a bucket.
pub const HOUR: Epoch = 3600;
/// How long an hourly bucket is kept: longer than the longest window read (7 days).
pub const BUCKET_RETENTION: Epoch = 8 * 24 * HOUR;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// Users a WordPress site's sync created.
    Synced,
    /// Users `users import` created.
    Imported,
    /// Users a login through the WordPress fallback created (no sync or import knew them).
    CreatedAtLogin,
    /// WordPress users' first sign-in through authbridge (through the fallback, or with an
    /// imported hash).
    Migrated,
    /// Logins WordPress validated (the fallback was needed).
    FallbackLogins,
    /// Times WordPress could not answer a login (down, slow, broken).
    WordpressErrors,
}

impl Counter {
    /// The counter's stored name.
    pub fn name(self) -> &'static str {
        match self {
            Counter::Synced => "synced",
            Counter::Imported => "imported",
            Counter::CreatedAtLogin => "created_at_login",
            Counter::Migrated => "migrated",
            Counter::FallbackLogins => "fallback_logins",
            Counter::WordpressErrors => "wordpress_errors",
        }
    }
}

/// The hour bucket `time` falls in (its first second).
pub fn hour_of(time: Epoch) -> Epoch {
    time.div_euclid(HOUR) * HOUR
}

/// A counter's all-time figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterTotal {
    pub count: u64,
    /// When it was last counted.
    pub last: Option<Epoch>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_falls_in_the_bucket_of_its_hour() {
        assert_eq!(hour_of(7199), 3600);
        assert_eq!(hour_of(7200), 7200);
        assert_eq!(hour_of(0), 0);
    }
}
