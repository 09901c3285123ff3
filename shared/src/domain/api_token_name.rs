//! An API token's name: unique, chosen by the administrator (`authbridge api-tokens create NAME`),
//! the handle by which the token is shown, scoped, rotated or deleted, and what a connection it
//! made records as its maker (`api-token:NAME`).
//!
//! Parsed where it comes in (the CLI's arguments): trimmed, 1 to [`MAX_API_TOKEN_NAME_LEN`]
//! characters, no control or bidirectional-text character (it is printed in tables and logs). A
//! stored token's name is read back as it was written ([`stored`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::text::has_unsafe_chars;

/// The longest name an API token may have, in characters.
pub const MAX_API_TOKEN_NAME_LEN: usize = 100;

/// Why a text is not an API token's name. The message names the rule, never echoes the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiTokenNameError {
    /// Empty, or only white space.
    #[error("the name must not be empty")]
    Empty,
    /// More than [`MAX_API_TOKEN_NAME_LEN`] characters.
    #[error("the name is longer than {MAX_API_TOKEN_NAME_LEN} characters")]
    TooLong,
    /// A control or bidirectional-text character.
    #[error("the name must not contain control characters")]
    UnsafeChars,
}

/// A checked API token name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiTokenName(String);

impl ApiTokenName {
    /// Checks `raw`, trimmed.
    pub fn parse(raw: &str) -> Result<Self, ApiTokenNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(ApiTokenNameError::Empty);
        }
        if name.chars().count() > MAX_API_TOKEN_NAME_LEN {
            return Err(ApiTokenNameError::TooLong);
        }
        if has_unsafe_chars(name) {
            return Err(ApiTokenNameError::UnsafeChars);
        }
        Ok(ApiTokenName(name.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiTokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ApiTokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ApiTokenName {
    type Err = ApiTokenNameError;

    /// [`ApiTokenName::parse`], for argument parsers (the CLI's).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        ApiTokenName::parse(raw)
    }
}

impl TryFrom<String> for ApiTokenName {
    type Error = ApiTokenNameError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        ApiTokenName::parse(&raw)
    }
}

impl From<ApiTokenName> for String {
    fn from(name: ApiTokenName) -> Self {
        name.0
    }
}

impl PartialEq<str> for ApiTokenName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ApiTokenName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Serde for the name of a stored token (`#[serde(deserialize_with =
/// "api_token_name::stored::deserialize")]`): read back without the rule.
pub mod stored {
    use serde::{Deserialize, Deserializer};

    use super::ApiTokenName;

    /// Reads a stored name as it was written.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ApiTokenName, D::Error> {
        String::deserialize(deserializer).map(ApiTokenName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_bounded_and_printable() {
        assert_eq!(ApiTokenName::parse(" crm-site ").unwrap(), "crm-site");
        assert!(ApiTokenName::parse(&"n".repeat(MAX_API_TOKEN_NAME_LEN)).is_ok());
        assert_eq!(ApiTokenName::parse("  "), Err(ApiTokenNameError::Empty));
        assert_eq!(
            ApiTokenName::parse(&"n".repeat(MAX_API_TOKEN_NAME_LEN + 1)),
            Err(ApiTokenNameError::TooLong)
        );
        for bad in ["a\tb", "\u{1b}[31mred", "x\u{202E}y"] {
            assert_eq!(
                ApiTokenName::parse(bad),
                Err(ApiTokenNameError::UnsafeChars),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_stored_name_reads_back_as_written() {
        #[derive(serde::Deserialize)]
        struct Record {
            #[serde(deserialize_with = "stored::deserialize")]
            name: ApiTokenName,
        }
        let record: Record = serde_json::from_str(r#"{"name": " old\tname "}"#).unwrap();
        assert_eq!(record.name.as_str(), " old\tname ");
    }
}
