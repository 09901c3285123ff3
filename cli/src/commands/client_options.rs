//! `--option key=value`: one override of a provider option for a client. The value is read as
//! JSON when it is JSON (`scopes=["mail","offline_access"]`, `tenancy=true`), else taken as a
//! string (`prompt=consent`). Whether the key and value fit the provider is checked when the
//! client is saved.

use serde_json::{Map, Value};

/// One `key=value` given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOption {
    pub key: String,
    pub value: Value,
}

/// Parses `key=value` (clap value parser).
pub fn parse(raw: &str) -> Result<ClientOption, String> {
    let Some((key, value)) = raw.split_once('=') else {
        return Err(format!("expected key=value, got {raw:?}"));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("the option name is empty in {raw:?}"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok(ClientOption {
        key: key.to_string(),
        value,
    })
}

/// The options as a map; a key given twice keeps its last value.
pub fn to_map(options: Vec<ClientOption>) -> Map<String, Value> {
    options.into_iter().map(|o| (o.key, o.value)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(raw: &str) -> Value {
        parse(raw).map(|o| o.value).unwrap_or(Value::Null)
    }

    #[test]
    fn json_values_are_json_and_anything_else_is_a_string() {
        assert_eq!(value(r#"scopes=["a","b"]"#), json!(["a", "b"]));
        assert_eq!(value("tenancy=true"), json!(true));
        assert_eq!(
            value("prompt=select_account consent"),
            json!("select_account consent")
        );
        assert_eq!(value("scopeSeparator=,"), json!(","));
        assert_eq!(
            value("urlAuthorize=https://x.test/a?b=c"),
            json!("https://x.test/a?b=c")
        );
        assert_eq!(value("prompt="), json!(""));
    }

    #[test]
    fn a_missing_equals_sign_or_name_is_refused() {
        assert!(parse("tenancy").is_err());
        assert!(parse("=true").is_err());
    }

    #[test]
    fn the_last_value_of_a_repeated_key_wins() {
        let map = to_map(vec![
            parse("prompt=login").unwrap(),
            parse("prompt=consent").unwrap(),
        ]);
        assert_eq!(map.get("prompt"), Some(&json!("consent")));
    }
}
