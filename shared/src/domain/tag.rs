//! A connection's tag: the unique name of what a token record is for (`MailSettings:3`), chosen by
//! the caller or, when the caller names none, the default of the grant that makes the record.
//!
//! Every path that writes a connection (the authorization-code flow, the client-credentials and
//! password grants, the CLI) parses its tag here, so the limits are the same everywhere: 1 to
//! [`MAX_TAG_LEN`] characters, not blank, no control or bidirectional-text characters (which would
//! make a tag display as another in a log line or an admin table). Once a `Tag` exists it is valid.
//!
//! Records stored before this type existed keep their tag as it was: a stored record's tag is read
//! back through [`stored`], which never refuses one, so reading an old record never fails on a tag
//! that would not parse today. Every other way in (requests, CLI arguments) parses.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ClientId;
use super::text::has_unsafe_chars;

/// The longest tag a connection may have, in characters.
pub const MAX_TAG_LEN: usize = 200;

/// Why a text is not a tag. The message names the rule, never echoes the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Empty, or only white space.
    #[error("tag must not be empty")]
    Empty,
    /// More than [`MAX_TAG_LEN`] characters.
    #[error("tag is longer than {MAX_TAG_LEN} characters")]
    TooLong,
    /// A control or bidirectional-text character.
    #[error("tag must not contain control characters")]
    UnsafeChars,
}

/// Which grant made a connection. Its name is the record's `grant_type` (RFC 6749 §4), and each
/// has a default tag of its own kind, so that no default of one grant collides with another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// A person approved at the provider (RFC 6749 §4.1); default tag `client:<id>`.
    AuthorizationCode,
    /// The client on its own behalf (RFC 6749 §4.4); default tag `client-credentials:<id>`.
    ClientCredentials,
    /// The legacy resource-owner password grant (RFC 6749 §4.3); default tag `password:<id>`.
    Password,
}

impl GrantType {
    /// The `grant_type` stored on the record: `authorization_code`, `client_credentials`,
    /// `password`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
        }
    }

    /// What the default tag of this grant starts with, before `:<client id>`.
    pub fn default_tag_prefix(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "client",
            GrantType::ClientCredentials => "client-credentials",
            GrantType::Password => "password",
        }
    }
}

/// A checked tag. Its `Debug` is the text's (`"mail:1"`), so messages that quote a tag read as
/// they did when it was a string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    /// Checks `raw` and keeps it exactly as written (no trimming: `a` and ` a` are two tags).
    pub fn parse(raw: &str) -> Result<Self, TagError> {
        if raw.trim().is_empty() {
            return Err(TagError::Empty);
        }
        if raw.chars().count() > MAX_TAG_LEN {
            return Err(TagError::TooLong);
        }
        if has_unsafe_chars(raw) {
            return Err(TagError::UnsafeChars);
        }
        Ok(Tag(raw.to_string()))
    }

    /// The default tag of a connection that `grant` makes for `client`: `client:<id>`,
    /// `client-credentials:<id>` or `password:<id>`. Refused only when the client id itself
    /// cannot be part of a tag (too long, control characters).
    pub fn default_for(grant: GrantType, client: &ClientId) -> Result<Self, TagError> {
        Tag::parse(&format!("{}:{client}", grant.default_tag_prefix()))
    }

    /// The tag of a request: the one it names, or `grant`'s default for `client` when it names
    /// none. A missing or blank tag (`""`, `"  "`) means the default, as it always has.
    pub fn requested(
        raw: Option<&str>,
        grant: GrantType,
        client: &ClientId,
    ) -> Result<Self, TagError> {
        match raw.filter(|t| !t.trim().is_empty()) {
            Some(raw) => Tag::parse(raw),
            None => Tag::default_for(grant, client),
        }
    }

    /// A tag read back from a stored record, kept as it was written even if it would not parse
    /// today (see [`stored`]).
    fn from_stored(raw: String) -> Self {
        Tag(raw)
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tag as owned text (for a record's `tag`).
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Tag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Tag {
    type Err = TagError;

    /// [`Tag::parse`], for argument parsers (the CLI's).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Tag::parse(raw)
    }
}

impl TryFrom<String> for Tag {
    type Error = TagError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Tag::parse(&raw)
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> Self {
        tag.0
    }
}

impl PartialEq<str> for Tag {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Tag {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Serde for the tag of a stored record (`#[serde(deserialize_with = "tag::stored::deserialize")]`):
/// the same string on the wire, and read back without the rule, so a record stored before the rule
/// (or under an older one) stays readable and addressable.
pub mod stored {
    use serde::{Deserialize, Deserializer};

    use super::Tag;

    /// Reads a stored tag as it was written.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tag, D::Error> {
        String::deserialize(deserializer).map(Tag::from_stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_one_to_200_safe_characters_kept_as_written() {
        assert_eq!(Tag::parse("MailSettings:3").unwrap(), "MailSettings:3");
        assert_eq!(Tag::parse(" a ").unwrap().as_str(), " a ");
        assert_eq!(
            Tag::parse(&"é".repeat(MAX_TAG_LEN))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            200
        );
        assert_eq!(Tag::parse(""), Err(TagError::Empty));
        assert_eq!(Tag::parse(" \t"), Err(TagError::Empty));
        assert_eq!(
            Tag::parse(&"a".repeat(MAX_TAG_LEN + 1)),
            Err(TagError::TooLong)
        );
        for bad in ["a\nb", "a\u{0}", "x\u{1b}[31m", "evil\u{202E}gpj"] {
            assert_eq!(Tag::parse(bad), Err(TagError::UnsafeChars), "{bad:?}");
        }
    }

    #[test]
    fn each_grant_has_a_default_of_its_own_kind() {
        let client = ClientId::stored("c1");
        let defaults: Vec<String> = [
            GrantType::AuthorizationCode,
            GrantType::ClientCredentials,
            GrantType::Password,
        ]
        .into_iter()
        .map(|g| Tag::default_for(g, &client).unwrap().into_string())
        .collect();
        assert_eq!(
            defaults,
            ["client:c1", "client-credentials:c1", "password:c1"]
        );
        let long = ClientId::stored(&"x".repeat(MAX_TAG_LEN));
        assert_eq!(
            Tag::default_for(GrantType::Password, &long),
            Err(TagError::TooLong)
        );
    }

    #[test]
    fn a_request_without_a_tag_gets_the_default_and_a_bad_one_is_refused() {
        let client = ClientId::stored("c1");
        let grant = GrantType::ClientCredentials;
        for blank in [None, Some(""), Some("   ")] {
            assert_eq!(
                Tag::requested(blank, grant, &client).unwrap(),
                "client-credentials:c1"
            );
        }
        assert_eq!(Tag::requested(Some("t"), grant, &client).unwrap(), "t");
        assert_eq!(
            Tag::requested(Some("a\rb"), grant, &client),
            Err(TagError::UnsafeChars)
        );
    }

    #[test]
    fn a_tag_reads_from_json_only_when_valid() {
        let tag: Tag = serde_json::from_str(r#""site-a:x""#).unwrap();
        assert_eq!(serde_json::to_string(&tag).unwrap(), r#""site-a:x""#);
        assert!(serde_json::from_str::<Tag>(r#""""#).is_err());
        assert!(serde_json::from_str::<Tag>(r#""a\u0000""#).is_err());
    }

    #[test]
    fn a_stored_tag_reads_back_even_when_it_would_not_parse_today() {
        #[derive(serde::Deserialize)]
        struct Record {
            #[serde(deserialize_with = "stored::deserialize")]
            tag: Tag,
        }
        let long = "a".repeat(MAX_TAG_LEN + 1);
        let json = serde_json::json!({ "tag": long }).to_string();
        let record: Record = serde_json::from_str(&json).unwrap();
        assert_eq!(record.tag.as_str(), long);
        assert_eq!(serde_json::to_value(&record.tag).unwrap(), long.as_str());
    }
}
