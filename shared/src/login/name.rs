//! The name a login is for, parsed at the boundary: an e-mail address or a WordPress username,
//! bounded, without control characters, and never repeated in an error.

use crate::domain::Email;
use crate::domain::login_record::spelling_digest;
use crate::domain::spelling::wordpress_spelling;
use crate::domain::text::has_unsafe_chars;

/// Longest name accepted (an e-mail address's limit, RFC 5321 §4.5.3.1.3).
pub const MAX_NAME_LEN: usize = 254;

/// The name a login is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    /// An e-mail address: looked up locally, and sent to WordPress as `email`.
    Email(Email),
    /// Anything else: a WordPress `user_login`, sent to WordPress as `login`.
    Username(String),
}

/// Why a name or password was refused; names the field, never repeats the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct InvalidField {
    /// The request field: `username`, `email` or `password`.
    pub field: &'static str,
    pub reason: &'static str,
}

pub(super) fn invalid(field: &'static str, reason: &'static str) -> InvalidField {
    InvalidField { field, reason }
}

impl LoginName {
    /// A name given as `username`: an e-mail address when it is one (the reference sent those to
    /// WordPress as `login`, which WordPress looks up as a username only).
    pub fn from_username(raw: &str) -> Result<Self, InvalidField> {
        let name = checked("username", raw)?;
        Ok(match Email::parse(name) {
            Ok(email) => LoginName::Email(email),
            Err(_) => LoginName::Username(name.to_string()),
        })
    }

    /// A name given as `email`, which must be an e-mail address.
    pub fn from_email(raw: &str) -> Result<Self, InvalidField> {
        let name = checked("email", raw)?;
        Email::parse(name)
            .map(LoginName::Email)
            .map_err(|_| invalid("email", "is not an e-mail address"))
    }

    /// The name as typed (trimmed).
    pub fn as_str(&self) -> &str {
        match self {
            LoginName::Email(email) => email.as_str(),
            LoginName::Username(name) => name,
        }
    }

    /// The name's throttling key: the SHA-256 of the spelling under which the WordPress site would
    /// find the account ([`wordpress_spelling`]: tags, percent-escapes, entities and accents gone,
    /// width and case folded), so counters of one account meet whatever variant was typed, and the
    /// store never holds what people type (sometimes a password in the wrong field).
    pub fn account_key(&self) -> String {
        spelling_digest(&wordpress_spelling(self.as_str()))
    }
}

fn checked<'a>(field: &'static str, raw: &'a str) -> Result<&'a str, InvalidField> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(invalid(field, "is required"));
    }
    if name.len() > MAX_NAME_LEN || has_unsafe_chars(name) {
        return Err(invalid(
            field,
            "is longer than 254 characters or holds control characters",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_address_given_as_username_is_an_email() {
        assert_eq!(
            LoginName::from_username(" Ada@Example.org ").unwrap(),
            LoginName::Email(Email::parse("Ada@Example.org").unwrap())
        );
        for username in ["admin", "admin.admin", "john@home", "a b", "jane@doe."] {
            assert_eq!(
                LoginName::from_username(username).unwrap(),
                LoginName::Username(username.into()),
                "{username}"
            );
        }
    }

    #[test]
    fn a_field_named_email_must_hold_one() {
        assert!(LoginName::from_email("ada@example.org").is_ok());
        let err = LoginName::from_email("ada").unwrap_err();
        assert_eq!(err.field, "email");
        assert_eq!(
            LoginName::from_email("  ").unwrap_err().reason,
            "is required"
        );
    }

    #[test]
    fn names_are_bounded_and_errors_never_repeat_the_value() {
        let long = "x".repeat(255);
        let err = LoginName::from_username(&long).unwrap_err();
        assert!(!err.to_string().contains(&long));
        assert!(LoginName::from_username("a\u{0}b").is_err());
    }

    #[test]
    fn the_account_key_ignores_case_and_hides_the_name() {
        let a = LoginName::from_username("Ada@Example.org").unwrap();
        let b = LoginName::from_username("ada@example.ORG").unwrap();
        assert_eq!(a.account_key(), b.account_key());
        let c = LoginName::from_username("àda@ｅxample.org").unwrap();
        assert_eq!(a.account_key(), c.account_key());
        assert_eq!(a.account_key().len(), 64);
        assert!(!a.account_key().contains("ada"));
    }
}
