//! The credential check's description of an account, as WordPress serialises it.

use serde::Deserialize;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_as_numbers_or_strings() {
        assert_eq!(wordpress_id(&serde_json::json!("123")), Some(123));
        assert_eq!(wordpress_id(&serde_json::json!(123)), Some(123));
        assert_eq!(wordpress_id(&serde_json::json!("0")), None);
        assert_eq!(wordpress_id(&serde_json::json!("abc")), None);
        assert_eq!(wordpress_id(&serde_json::json!(-1)), None);
    }
}
