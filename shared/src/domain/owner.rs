//! A connection's owner: whose connection it is, in the caller's own terms (an opaque text such as
//! `contact:42`). Connections are listed by it (`GET /connections?owner=...`, `tokens list
//! --owner`) and an API token's scope may be limited to some owners. Not the provider's account
//! that granted the token (the record's `resource_owner`).
//!
//! Every way in (a start's or a grant's `owner`, the listing's query, the CLI) parses here: 1 to
//! [`MAX_OWNER_LEN`] characters, no control or bidirectional-text character. A stored record's
//! owner is read back through [`stored`], as it was written.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::text::has_unsafe_chars;

/// The longest owner a connection may name, in characters.
pub const MAX_OWNER_LEN: usize = 200;

/// Why a text is not an owner. The message names the rule, never echoes the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OwnerError {
    /// Empty, or more than [`MAX_OWNER_LEN`] characters.
    #[error("owner must be 1 to {MAX_OWNER_LEN} characters")]
    Length,
    /// A control or bidirectional-text character.
    #[error("owner must not contain control characters")]
    UnsafeChars,
}

/// A checked owner, kept exactly as written.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Owner(String);

impl Owner {
    /// Checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, OwnerError> {
        if raw.is_empty() || raw.chars().count() > MAX_OWNER_LEN {
            return Err(OwnerError::Length);
        }
        if has_unsafe_chars(raw) {
            return Err(OwnerError::UnsafeChars);
        }
        Ok(Owner(raw.to_string()))
    }

    /// The owner as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Owner {
    type Err = OwnerError;

    /// [`Owner::parse`], for argument parsers (the CLI's).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Owner::parse(raw)
    }
}

impl TryFrom<String> for Owner {
    type Error = OwnerError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Owner::parse(&raw)
    }
}

impl From<Owner> for String {
    fn from(owner: Owner) -> Self {
        owner.0
    }
}

impl PartialEq<str> for Owner {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Owner {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Serde for the optional owner of a stored record (`#[serde(default, deserialize_with =
/// "owner::stored::deserialize")]`): the same string in the store, read back without the rule.
pub mod stored {
    use serde::{Deserialize, Deserializer};

    use super::Owner;

    /// Reads a stored owner as it was written.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Owner>, D::Error> {
        Option::<String>::deserialize(deserializer).map(|owner| owner.map(Owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_is_one_to_200_safe_characters_kept_as_written() {
        assert_eq!(Owner::parse("contact:42").unwrap(), "contact:42");
        assert_eq!(Owner::parse(" a ").unwrap().as_str(), " a ");
        assert!(Owner::parse(&"é".repeat(MAX_OWNER_LEN)).is_ok());
        assert_eq!(Owner::parse(""), Err(OwnerError::Length));
        assert_eq!(
            Owner::parse(&"o".repeat(MAX_OWNER_LEN + 1)),
            Err(OwnerError::Length)
        );
        for bad in ["a\nb", "a\u{0}", "evil\u{202E}gpj"] {
            assert_eq!(Owner::parse(bad), Err(OwnerError::UnsafeChars), "{bad:?}");
        }
        assert_eq!(
            OwnerError::Length.to_string(),
            "owner must be 1 to 200 characters"
        );
    }

    #[test]
    fn a_stored_owner_reads_back_as_written() {
        #[derive(serde::Deserialize)]
        struct Record {
            #[serde(default, deserialize_with = "stored::deserialize")]
            owner: Option<Owner>,
        }
        let record: Record = serde_json::from_str(r#"{"owner": "a\u0007b"}"#).unwrap();
        assert_eq!(record.owner.unwrap().as_str(), "a\u{7}b");
        let none: Record = serde_json::from_str("{}").unwrap();
        assert!(none.owner.is_none());
        assert!(serde_json::from_str::<Owner>(r#""""#).is_err());
    }
}
