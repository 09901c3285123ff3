//! Request parameters as RFC 6749 §3.1 reads them: form-urlencoded, each at most once, and an empty
//! value the same as an absent one.

use std::collections::HashMap;

use http::HeaderMap;
use http::header::CONTENT_TYPE;

/// A parameter sent more than once, which RFC 6749 §3.1 forbids.
#[derive(Debug, thiserror::Error)]
#[error("the parameter {0} is sent more than once")]
pub(super) struct RepeatedParameter(pub String);

/// The parameters of one query string or form body.
#[derive(Debug, Default)]
pub(super) struct Params(HashMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text; a repeated parameter is refused.
    pub fn parse(encoded: &[u8]) -> Result<Self, RepeatedParameter> {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            if value.is_empty() {
                continue;
            }
            let name = name.into_owned();
            if map.contains_key(&name) {
                return Err(RepeatedParameter(name));
            }
            map.insert(name, value.into_owned());
        }
        Ok(Self(map))
    }

    /// The value of `name`, when sent and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Whether the request's body is declared as `application/x-www-form-urlencoded`.
pub(super) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
