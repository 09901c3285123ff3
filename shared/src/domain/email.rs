//! An e-mail address, parsed at the boundary: the one rule that login, sync-user, the user import
//! and the admin CLI all apply, so an address one of them accepts is never refused by another.
//!
//! The rule is WordPress's `is_email` as sites apply it: `local@domain.tld` with a top-level
//! domain, no display name, no address literal; at most 254 characters (RFC 5321 §4.5.3.1.3); no
//! control or bidirectional-text characters. Surrounding white space is trimmed.
//!
//! A stored record's address (a user's, a WordPress link's) is read back through [`stored`], which
//! never refuses one: a user stored under an older rule stays readable and can still log in.

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

use super::text::has_unsafe_chars;

/// Longest address accepted (RFC 5321 §4.5.3.1.3).
pub const MAX_EMAIL_LEN: usize = 254;

/// A valid e-mail address, as typed (trimmed). Compare through [`Email::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a text is not an [`Email`]; never repeats the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("is required")]
    Empty,
    #[error("is longer than 254 characters")]
    TooLong,
    #[error("holds control characters")]
    Control,
    #[error("is not an e-mail address")]
    NotAnAddress,
}

impl Email {
    /// Parses `raw` by the one rule.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let email = raw.trim();
        if email.is_empty() {
            return Err(InvalidEmail::Empty);
        }
        if email.chars().count() > MAX_EMAIL_LEN {
            return Err(InvalidEmail::TooLong);
        }
        if has_unsafe_chars(email) {
            return Err(InvalidEmail::Control);
        }
        let options = Options::default()
            .with_required_tld()
            .without_display_text()
            .without_domain_literal();
        EmailAddress::parse_with_options(email, options).map_err(|_| InvalidEmail::NotAnAddress)?;
        Ok(Email(email.to_string()))
    }

    /// Whether `raw` is an address by the one rule.
    pub fn is_valid(raw: &str) -> bool {
        Self::parse(raw).is_ok()
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form under which addresses are unique: trimmed (a stored address may predate the
    /// trimming) and lower-case.
    pub fn key(&self) -> String {
        self.0.trim().to_lowercase()
    }
}

impl PartialEq<str> for Email {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Email {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::str::FromStr for Email {
    type Err = InvalidEmail;

    /// [`Email::parse`], for argument parsers (the CLI's).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Email::parse(raw)
    }
}

/// Serde for the address of a stored record (`#[serde(deserialize_with =
/// "email::stored::deserialize")]`): the same string in the store, read back without the rule.
pub mod stored {
    use serde::{Deserialize, Deserializer};

    use super::Email;

    /// Reads a stored address as it was written.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Email, D::Error> {
        String::deserialize(deserializer).map(Email)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Email::parse(&raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_every_boundary() {
        let ok = Email::parse(" Ada@Example.org ").unwrap();
        assert_eq!(ok.as_str(), "Ada@Example.org");
        assert_eq!(ok.key(), "ada@example.org");
        for bad in [
            "",
            "ada",
            "ada@localhost",
            "Ada <ada@example.org>",
            "ada@[192.0.2.1]",
            "ada\u{0}@example.org",
            "ada@exa\u{202E}mple.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(InvalidEmail::TooLong));
    }

    #[test]
    fn a_stored_address_reads_back_as_written_and_keys_as_before() {
        #[derive(serde::Deserialize)]
        struct Record {
            #[serde(deserialize_with = "stored::deserialize")]
            email: Email,
        }
        let record: Record = serde_json::from_str(r#"{"email": " Old@Intranet "}"#).unwrap();
        assert_eq!(record.email.as_str(), " Old@Intranet ");
        assert_eq!(record.email.key(), "old@intranet");
        assert!(serde_json::from_str::<Email>(r#"" Old@Intranet ""#).is_err());
    }
}
