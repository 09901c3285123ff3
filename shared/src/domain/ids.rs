//! Identifiers. Internal ids are UUIDv7 strings: unique without a counter, and sorted by creation time,
//! so listing in key order lists oldest first.
//!
//! An id that comes in (a request's `client`, a CLI argument) is parsed: UUID text, kept in the
//! lower-case hyphenated form every generated id has, so `4F1B...` finds the record `4f1b...`. A stored
//! record's id is read back as it was written (serde is transparent), so a record stored under an id
//! of another shape stays readable.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a text is not an id; never repeats the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is not an id (ids are UUIDs)")]
pub struct InvalidId;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Parses an id that comes in: UUID text (any case, with or without hyphens), kept
            /// lower-case and hyphenated, as generated ids are.
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                uuid::Uuid::try_parse(raw.trim())
                    .map(|id| Self(id.hyphenated().to_string()))
                    .map_err(|_| InvalidId)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;

            /// [`Self::parse`], for argument parsers (the CLI's).
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidId;

            fn try_from(raw: &str) -> Result<Self, Self::Error> {
                Self::parse(raw)
            }
        }
    };
}

id_type!(
    /// The internal id of an OAuth client (not the provider's public `guid`).
    ClientId
);
id_type!(
    /// The internal id of a user.
    UserId
);

#[cfg(test)]
impl ClientId {
    /// A client id as a store may hold one (any text), for the crate's own tests.
    pub(crate) fn stored(raw: &str) -> Self {
        Self(raw.to_string())
    }
}

impl UserId {
    /// A user id the store holds, as it holds it (read back from a unique-key item): for the store
    /// adapters, never for input.
    pub(crate) fn from_stored(raw: String) -> Self {
        Self(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_that_comes_in_is_uuid_text_in_the_generated_form() {
        let generated = ClientId::generate();
        assert_eq!(ClientId::parse(generated.as_str()), Ok(generated.clone()));
        let upper = generated.as_str().to_uppercase();
        assert_eq!(ClientId::parse(&upper), Ok(generated.clone()));
        let simple = generated.as_str().replace('-', "");
        assert_eq!(UserId::parse(&simple).unwrap().as_str(), generated.as_str());
        for bad in ["", "c1", "ada@example.org", "4f1b", "../x", "\u{0}"] {
            assert_eq!(ClientId::parse(bad), Err(InvalidId), "{bad:?}");
            assert_eq!(bad.parse::<UserId>(), Err(InvalidId), "{bad:?}");
        }
    }

    #[test]
    fn a_stored_id_reads_back_as_written() {
        let id: UserId = serde_json::from_str(r#""u-ann""#).unwrap();
        assert_eq!(id.as_str(), "u-ann");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""u-ann""#);
    }
}
