//! The version rule every stored record follows, written once for both adapters.
//!
//! A record carries a `version`. An update names the version it was read at and is stored as
//! `version + 1`, only while the store still holds the version it names (else `StaleVersion`, or
//! `NotFound` when the record is gone). A save ([`Save::of`]) reads version 0 as "not stored yet":
//! a create, stored as version 1.

use crate::domain::{ApiToken, KeyVersion, OAuthClient, StoredToken, User, WordpressLink};

/// A record under optimistic concurrency control.
pub(crate) trait Versioned: Clone {
    fn version(&self) -> u64;
    fn set_version(&mut self, version: u64);
}

macro_rules! versioned {
    ($($record:ty),*) => {$(
        impl Versioned for $record {
            fn version(&self) -> u64 {
                self.version
            }
            fn set_version(&mut self, version: u64) {
                self.version = version;
            }
        }
    )*};
}

versioned!(
    OAuthClient,
    StoredToken,
    ApiToken,
    User,
    WordpressLink,
    KeyVersion
);

/// The version a record created by a save is stored with.
pub(crate) const FIRST: u64 = 1;

/// An optimistic update: `next` is stored if the store still holds version `expected`.
#[derive(Debug, Clone)]
pub(crate) struct Update<T> {
    /// The record as it will be stored: version `expected + 1`.
    pub next: T,
    /// The version the stored record must still have.
    pub expected: u64,
}

impl<T: Versioned> Update<T> {
    /// The update of `record`, read at its `version`.
    pub fn of(record: &T) -> Self {
        let expected = record.version();
        let mut next = record.clone();
        next.set_version(expected + 1);
        Update { next, expected }
    }

    /// [`Self::expected`] as SQLite stores it.
    #[cfg(feature = "embedded")]
    pub fn expected_sql(&self) -> i64 {
        self.expected as i64
    }

    /// The stored version after the update, as SQLite stores it.
    #[cfg(feature = "embedded")]
    pub fn next_sql(&self) -> i64 {
        self.next.version() as i64
    }
}

/// A save: a create when the record's version is 0, else an [`Update`].
#[derive(Debug, Clone)]
pub(crate) enum Save<T> {
    /// The record as it will be created: version [`FIRST`].
    Create(T),
    Update(Update<T>),
}

impl<T: Versioned> Save<T> {
    /// What saving `record` means: version 0 is "not stored yet".
    pub fn of(record: &T) -> Self {
        match record.version() {
            0 => Save::Create(created(record)),
            _ => Save::Update(Update::of(record)),
        }
    }
}

/// `record` as a create stores it: version [`FIRST`].
pub(crate) fn created<T: Versioned>(record: &T) -> T {
    let mut record = record.clone();
    record.set_version(FIRST);
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserSource;

    fn user(version: u64) -> User {
        User {
            version,
            ..User::new(
                crate::domain::Email::parse("a@example.com").unwrap(),
                UserSource::Local,
                0,
            )
        }
    }

    #[test]
    fn an_update_names_the_version_read_and_stores_the_next() {
        let update = Update::of(&user(0));
        assert_eq!((update.expected, update.next.version), (0, 1));
        let update = Update::of(&update.next);
        assert_eq!((update.expected_sql(), update.next_sql()), (1, 2));
    }

    #[test]
    fn a_save_of_version_0_is_a_create_stored_as_version_1() {
        match Save::of(&user(0)) {
            Save::Create(created) => assert_eq!(created.version, FIRST),
            Save::Update(_) => panic!("version 0 must create"),
        }
        match Save::of(&user(3)) {
            Save::Update(update) => assert_eq!((update.expected, update.next.version), (3, 4)),
            Save::Create(_) => panic!("version 3 must update"),
        }
    }
}
