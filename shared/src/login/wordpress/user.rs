//! A WordPress account as the credential check describes it, and WordPress's time format.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::clock::Epoch;

/// The account WordPress validated (`data` of the 200 answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordpressUser {
    /// The WordPress user ID.
    pub id: u64,
    pub login: String,
    pub email: String,
    pub nicename: Option<String>,
    pub url: Option<String>,
    /// `user_registered` as WordPress sent it (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub registered: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// `data` as WordPress serialises it: every value a string (`ID` too).
#[derive(Deserialize)]
pub(super) struct RawUser {
    #[serde(rename = "ID", default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub user_login: Option<String>,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub user_nicename: Option<String>,
    #[serde(default)]
    pub user_url: Option<String>,
    #[serde(default)]
    pub user_registered: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

/// A string that says something: empty ones are absent.
pub(super) fn present(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A WordPress ID given as a JSON number or a string of digits.
pub(super) fn wordpress_id(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// A WordPress date-time: `user_registered`'s `YYYY-MM-DD HH:MM:SS` in UTC, or RFC 3339.
/// `None` for anything else (WordPress's `0000-00-00 00:00:00` included).
pub fn parse_wordpress_time(raw: &str) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(t);
    }
    let mysql = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(raw, mysql)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

impl WordpressUser {
    /// When the account was registered, as RFC 3339; `now` when WordPress gave no usable date.
    pub fn registered_at(&self, now: Epoch) -> String {
        rfc3339(
            self.registered
                .as_deref()
                .and_then(parse_wordpress_time)
                .map(OffsetDateTime::unix_timestamp)
                .unwrap_or(now),
        )
    }
}

/// Epoch seconds as RFC 3339 in UTC (`2020-03-13T14:02:44Z`).
pub fn rfc3339(epoch: Epoch) -> String {
    OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordpress_times_read_as_utc() {
        let t = parse_wordpress_time("2017-01-01 01:12:23").unwrap();
        assert_eq!(t.unix_timestamp(), 1_483_233_143);
        let t = parse_wordpress_time("2020-03-13T14:02:44+01:00").unwrap();
        assert_eq!(rfc3339(t.unix_timestamp()), "2020-03-13T13:02:44Z");
        assert!(parse_wordpress_time("0000-00-00 00:00:00").is_none());
        assert!(parse_wordpress_time("yesterday").is_none());
    }

    #[test]
    fn ids_come_as_numbers_or_strings() {
        assert_eq!(wordpress_id(&serde_json::json!("123")), Some(123));
        assert_eq!(wordpress_id(&serde_json::json!(123)), Some(123));
        assert_eq!(wordpress_id(&serde_json::json!("0")), None);
        assert_eq!(wordpress_id(&serde_json::json!("abc")), None);
        assert_eq!(wordpress_id(&serde_json::json!(-1)), None);
    }
}
