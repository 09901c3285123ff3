//! The names and patterns of connection values: a [`ValueName`] is what `{{connection.NAME}}`
//! and a connection's metadata key use; a [`Pattern`] is what a value must match in full.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A name of a connection value (`[A-Za-z][A-Za-z0-9_]*`, at most 64 characters): the `NAME` of
/// `{{connection.NAME}}` and the key of the connection's metadata.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ValueName(String);

impl ValueName {
    /// Checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = raw.len() <= 64
            && raw.starts_with(|c: char| c.is_ascii_alphabetic())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(ValueName(raw.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not a connection value name: a letter, then letters, digits and '_' (at most 64)"
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ValueName {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        ValueName::parse(&raw)
    }
}

impl From<ValueName> for String {
    fn from(name: ValueName) -> String {
        name.0
    }
}

impl fmt::Display for ValueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A pattern a value must match in full (anchored at both ends whether or not it says `^…$`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pattern {
    source: String,
    regex: regex_lite::Regex,
}

impl Pattern {
    /// Compiles `source`.
    pub fn parse(source: &str) -> Result<Self, String> {
        let anchored = format!("^(?:{source})$");
        let regex = regex_lite::Regex::new(&anchored)
            .map_err(|e| format!("{source:?} is not a valid pattern: {e}"))?;
        Ok(Pattern {
            source: source.to_string(),
            regex,
        })
    }

    /// Whether all of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Pattern::parse(&raw)
    }
}

impl From<Pattern> for String {
    fn from(pattern: Pattern) -> String {
        pattern.source
    }
}
