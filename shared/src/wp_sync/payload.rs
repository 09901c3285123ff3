//! The sync-user payload, validated at the boundary: once a [`SyncPayload`] exists it is valid.
//!
//! Errors follow the reference: an empty body is "Empty request", bad JSON "Malformed JSON", and
//! anything else "Payload error" with one `{"<field>": "<message>"}` per problem.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::text::has_unsafe_chars;
use crate::domain::wordpress::rfc3339;
use crate::domain::{Email, WordpressAccount};

/// Largest body accepted, in bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// Length limits of the optional strings, in characters (WordPress's own column sizes).
/// (The e-mail address has the one rule of [`Email`].)
const LIMITS: [(&str, usize); 6] = [
    ("user_login", 60),
    ("user_nicename", 50),
    ("user_url", 100),
    ("display_name", 250),
    ("first_name", 250),
    ("last_name", 250),
];

/// A valid sync-user payload.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncPayload {
    pub wordpress_id: u64,
    pub email: Email,
    pub registered_at: OffsetDateTime,
    pub user_login: String,
    pub user_nicename: Option<String>,
    pub user_url: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("Empty request")]
    Empty,
    #[error("Request too large")]
    TooLarge,
    #[error("Malformed JSON")]
    Malformed(String),
    /// One `(field, message)` per problem.
    #[error("Payload error")]
    Invalid(Vec<(String, String)>),
}

#[derive(Deserialize)]
struct Raw(Map<String, Value>);

const KNOWN: [&str; 9] = [
    "wordpress_id",
    "email",
    "registered_at",
    "user_login",
    "user_nicename",
    "user_url",
    "display_name",
    "first_name",
    "last_name",
];

impl SyncPayload {
    /// The WordPress account the payload describes.
    pub fn account(&self) -> WordpressAccount {
        WordpressAccount {
            id: self.wordpress_id,
            login: self.user_login.clone(),
            email: self.email.clone(),
            nicename: self.user_nicename.clone(),
            url: self.user_url.clone(),
            registered: Some(rfc3339(self.registered_at.unix_timestamp())),
            display_name: self.display_name.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }

    /// Parses and validates a request body.
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(PayloadError::Empty);
        }
        if body.len() > MAX_BODY {
            return Err(PayloadError::TooLarge);
        }
        let Raw(map) =
            serde_json::from_slice(body).map_err(|e| PayloadError::Malformed(e.to_string()))?;
        let mut problems = Vec::new();
        let mut problem =
            |field: &str, message: &str| problems.push((field.to_string(), message.to_string()));

        for key in map.keys() {
            if !KNOWN.contains(&key.as_str()) {
                problem(key, "The property is not allowed");
            }
        }
        let wordpress_id = match map.get("wordpress_id") {
            None | Some(Value::Null) => {
                problem("wordpress_id", "The property is required");
                None
            }
            Some(v) => match v.as_u64().filter(|n| *n > 0) {
                Some(n) => Some(n),
                None => {
                    problem("wordpress_id", "Must be a positive integer");
                    None
                }
            },
        };
        let required_string =
            |field: &str, problem: &mut dyn FnMut(&str, &str)| match map.get(field) {
                None | Some(Value::Null) => {
                    problem(field, "The property is required");
                    None
                }
                Some(Value::String(s)) if s.trim().is_empty() => {
                    problem(field, "Must not be empty");
                    None
                }
                Some(Value::String(s)) => Some(s.trim().to_string()),
                Some(_) => {
                    problem(field, "Must be a string");
                    None
                }
            };
        let email = required_string("email", &mut problem);
        let registered = required_string("registered_at", &mut problem);
        let user_login = required_string("user_login", &mut problem);
        let mut optional = |field: &str| match map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                problem(field, "Must be a string");
                None
            }
        };
        let user_nicename = optional("user_nicename");
        let user_url = optional("user_url");
        let display_name = optional("display_name");
        let first_name = optional("first_name");
        let last_name = optional("last_name");
        for (field, value) in [
            ("registered_at", &registered),
            ("user_login", &user_login),
            ("user_nicename", &user_nicename),
            ("user_url", &user_url),
            ("display_name", &display_name),
            ("first_name", &first_name),
            ("last_name", &last_name),
        ] {
            if value.as_deref().is_some_and(has_unsafe_chars) {
                problems.push((
                    field.to_string(),
                    "Must not contain control characters".to_string(),
                ));
            }
        }

        let email = email.and_then(|e| match Email::parse(&e) {
            Ok(email) => Some(email),
            Err(_) => {
                problems.push(("email".into(), "Must be a valid e-mail address".into()));
                None
            }
        });
        let registered_at = registered.and_then(|r| match OffsetDateTime::parse(&r, &Rfc3339) {
            Ok(t) => Some(t),
            Err(_) => {
                problems.push((
                    "registered_at".into(),
                    "Must be an RFC 3339 date-time".into(),
                ));
                None
            }
        });
        for (field, limit) in LIMITS {
            let value = match field {
                "user_login" => user_login.as_deref(),
                "user_nicename" => user_nicename.as_deref(),
                "user_url" => user_url.as_deref(),
                "display_name" => display_name.as_deref(),
                "first_name" => first_name.as_deref(),
                _ => last_name.as_deref(),
            };
            if value.is_some_and(|v| v.chars().count() > limit) {
                problems.push((field.into(), format!("Must be at most {limit} characters")));
            }
        }
        match (wordpress_id, email, registered_at, user_login) {
            (Some(wordpress_id), Some(email), Some(registered_at), Some(user_login))
                if problems.is_empty() =>
            {
                Ok(SyncPayload {
                    wordpress_id,
                    email,
                    registered_at,
                    user_login,
                    user_nicename,
                    user_url,
                    display_name,
                    first_name,
                    last_name,
                })
            }
            _ => Err(PayloadError::Invalid(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: PayloadError) -> Vec<String> {
        match err {
            PayloadError::Invalid(p) => p.into_iter().map(|(f, _)| f).collect(),
            other => panic!("expected a payload error, got {other:?}"),
        }
    }

    #[test]
    fn the_seed_example_is_valid() {
        let p = SyncPayload::parse(
            br#"{"wordpress_id":145,"email":"admin@example.fu","registered_at":"2020-03-13T14:02:44+00:00","user_login":"admin","user_nicename":"admin","user_url":"http://www.example.com","display_name":"Example Admin","first_name":"Example","last_name":"vcvc"}"#,
        )
        .unwrap();
        assert_eq!(p.wordpress_id, 145);
        assert_eq!(p.last_name.as_deref(), Some("vcvc"));
    }

    #[test]
    fn every_problem_is_named() {
        assert_eq!(SyncPayload::parse(b"  "), Err(PayloadError::Empty));
        assert!(matches!(
            SyncPayload::parse(b"{nope"),
            Err(PayloadError::Malformed(_))
        ));
        let err = SyncPayload::parse(
            br#"{"wordpress_id":-1,"email":"not-an-address","registered_at":"yesterday","extra":1,"first_name":7}"#,
        )
        .unwrap_err();
        let mut got = fields(err);
        got.sort();
        assert_eq!(
            got,
            [
                "email",
                "extra",
                "first_name",
                "registered_at",
                "user_login",
                "wordpress_id"
            ]
        );
        let long = format!(
            r#"{{"wordpress_id":1,"email":"a@b.org","registered_at":"2020-03-13T14:02:44Z","user_login":"{}"}}"#,
            "x".repeat(61)
        );
        assert_eq!(
            fields(SyncPayload::parse(long.as_bytes()).unwrap_err()),
            ["user_login"]
        );
        assert_eq!(
            SyncPayload::parse(
                &vec![b' '; 1]
                    .into_iter()
                    .chain(vec![b'a'; MAX_BODY])
                    .collect::<Vec<_>>()
            ),
            Err(PayloadError::TooLarge)
        );
    }
}
