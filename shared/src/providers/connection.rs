//! What one connection adds to a provider: the parameters a start supplies (Shopify's `shop`,
//! Zendesk's `subdomain`) or a client fixes (Okta's org URL), and the values captured from the
//! authorization redirect (QuickBooks' `realmId`, Zoho's `accounts-server`) and from the token
//! response (Salesforce's `instance_url`, Zoho's `api_domain`, Slack's nested `team.id`). Every one
//! has a name, usable in a provider URL as `{{connection.NAME}}` and stored on the connection as its
//! metadata. A refresh answer that carries a captured value again replaces the stored one
//! ([`ConnectionSpec::recapture`]): Salesforce answers `instance_url` on every refresh, and it
//! changes when the org moves.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

mod names;

pub use names::{Pattern, ValueName};

/// A connection parameter (`connectionParameters.NAME` in a provider file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParameterSpec {
    /// What the value is, for the person who supplies it.
    pub description: String,
    /// What every value must match.
    pub pattern: Pattern,
    /// A value that matches, shown in documentation and used to check the provider's URLs at load.
    pub example: String,
    /// The value when neither the client nor the start gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Set once for all connections of a client, in the client's `options.connection`; a start
    /// cannot supply it. Only such a parameter may stand for a whole origin (`{{connection.X}}/…`),
    /// since the client secret is sent there.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_client: bool,
}

/// A value captured from the redirect or the token response (`captureFromRedirect.KEY`,
/// `captureFromToken.KEY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CaptureSpec {
    /// The name it is stored and used under; the key itself when absent (which must then be a
    /// valid name: `accounts-server` needs `"as": "accounts_server"`).
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub name: Option<ValueName>,
    /// Whether it is a secret: sealed in storage, never in a URL, a log line or the catalogue.
    pub secret: bool,
    /// What the value must match; required when a URL uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// A value that matches; required when a URL uses it (to check the URL at load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// Whether the provider may leave it out; when `false` (the default) a missing value fails the
    /// connection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// Where a captured value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureSource {
    /// A query parameter of the authorization response (the redirect back to authbridge).
    Redirect,
    /// A member of the token endpoint's response; a dotted key (`team.id`) names a member of a
    /// nested object when the response has no member of that whole name.
    TokenResponse,
}

impl CaptureSource {
    fn place(self) -> &'static str {
        match self {
            CaptureSource::Redirect => "redirect",
            CaptureSource::TokenResponse => "token response",
        }
    }
}

/// One resolved capture: where from, under which key, and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Where it comes from.
    pub source: CaptureSource,
    /// The query parameter or response member it is read from.
    pub key: String,
    /// The name it is stored and used under.
    pub name: ValueName,
    /// Its rules.
    pub spec: CaptureSpec,
}

/// The connection values of a provider: its parameters and captures (checked, names unique).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionSpec {
    /// The parameters, by name.
    pub parameters: BTreeMap<ValueName, ParameterSpec>,
    /// The captures, redirect ones first.
    pub captures: Vec<Capture>,
    /// Values the client fixed (`options.connection`), checked against their patterns.
    pub fixed: BTreeMap<ValueName, String>,
}

/// Why a connection's values are not usable. Never carries a value (a captured one may be secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// A start named a parameter the provider does not have.
    #[error("the provider has no connection parameter {name:?}")]
    UnknownParameter { name: String },
    /// A required parameter has no value.
    #[error("connection parameter {name:?} is required ({description})")]
    MissingParameter { name: String, description: String },
    /// A parameter only the client's options may set was given by a start.
    #[error(
        "connection parameter {name:?} is set by the client's options.connection, not by a start"
    )]
    PerClient { name: String },
    /// A value does not match its pattern.
    #[error("connection value {name:?} does not match {pattern:?}")]
    Mismatch { name: String, pattern: String },
    /// The provider did not send a value it must send.
    #[error("the provider's {place} lacks {key:?}")]
    MissingCapture { place: String, key: String },
    /// A URL needs a value that is not known (yet).
    #[error("{field} needs {{{{connection.{name}}}}}, which this connection has no value for")]
    Unfilled { field: String, name: String },
    /// A value cannot stand where the URL puts it.
    #[error("{field}: connection value {name:?} {reason}")]
    Misplaced {
        field: String,
        name: String,
        reason: String,
    },
}

/// The non-secret values of one connection, by name: what `{{connection.NAME}}` is filled with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConnectionValues(BTreeMap<String, String>);

impl ConnectionValues {
    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Every value, by name (the connection's public metadata).
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Every parameter's and capture's example, for checking URLs at load.
    pub(crate) fn examples(spec: &ConnectionSpec) -> Self {
        let parameters = spec
            .parameters
            .iter()
            .map(|(name, p)| (name.to_string(), p.example.clone()));
        let captures = spec
            .captures
            .iter()
            .filter_map(|c| Some((c.name.to_string(), c.spec.example.clone()?)));
        ConnectionValues(parameters.chain(captures).collect())
    }

    /// Values as given, unchecked (tests of what a URL does with a bad value).
    #[cfg(test)]
    pub(crate) fn unchecked(pairs: &[(&str, &str)]) -> Self {
        ConnectionValues(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// Adds the public values of `captured`.
    pub fn add(&mut self, captured: &Captured) {
        for (name, value) in &captured.public {
            self.0.insert(name.clone(), value.clone());
        }
    }
}

/// Values captured from one redirect or token response.
#[derive(Debug, Default)]
pub struct Captured {
    /// The values not marked secret, by name: stored as the connection's metadata.
    pub public: BTreeMap<String, String>,
    /// The values marked secret, by name: sealed before they are stored.
    pub secret: BTreeMap<String, SecretString>,
}

impl ConnectionSpec {
    /// The connection's values from what a start `supplied`, the client's fixed values and the
    /// parameters' defaults; every value checked against its pattern.
    pub fn values(
        &self,
        supplied: &BTreeMap<String, String>,
    ) -> Result<ConnectionValues, ConnectionError> {
        for name in supplied.keys() {
            let known = ValueName::parse(name)
                .ok()
                .and_then(|n| self.parameters.get_key_value(&n));
            match known {
                None => {
                    return Err(ConnectionError::UnknownParameter { name: name.clone() });
                }
                Some((n, spec)) if spec.per_client || self.fixed.contains_key(n) => {
                    return Err(ConnectionError::PerClient { name: name.clone() });
                }
                Some(_) => {}
            }
        }
        let mut values = BTreeMap::new();
        for (name, spec) in &self.parameters {
            let value = self
                .fixed
                .get(name)
                .or_else(|| supplied.get(name.as_str()))
                .or(spec.default.as_ref())
                .ok_or_else(|| ConnectionError::MissingParameter {
                    name: name.to_string(),
                    description: spec.description.clone(),
                })?;
            check(name.as_str(), Some(&spec.pattern), value)?;
            values.insert(name.to_string(), value.clone());
        }
        Ok(ConnectionValues(values))
    }

    /// The values stored on a connection (its metadata), checked again against their patterns;
    /// names this provider does not know are left out.
    pub fn stored(
        &self,
        metadata: &BTreeMap<String, String>,
    ) -> Result<ConnectionValues, ConnectionError> {
        let mut values = BTreeMap::new();
        for (name, value) in metadata {
            let pattern = if let Some(spec) = self.parameter(name) {
                Some(&spec.pattern)
            } else if let Some(capture) = self.captures.iter().find(|c| c.name.as_str() == name) {
                if capture.spec.secret {
                    continue;
                }
                capture.spec.pattern.as_ref()
            } else {
                continue;
            };
            check(name, pattern, value)?;
            values.insert(name.clone(), value.clone());
        }
        Ok(ConnectionValues(values))
    }

    /// The values `source` carries: `read` gives the value of a key (a redirect's query
    /// parameter, a token response's member). A required value that is missing fails.
    pub fn capture(
        &self,
        source: CaptureSource,
        read: impl Fn(&str) -> Option<String>,
    ) -> Result<Captured, ConnectionError> {
        self.read_captures(source, read, false)
    }

    /// The values a later answer of `source` carries again (a refresh answer's `instance_url`),
    /// each checked: they replace the stored ones; a value it leaves out, required or not, keeps
    /// the stored one.
    pub fn recapture(
        &self,
        source: CaptureSource,
        read: impl Fn(&str) -> Option<String>,
    ) -> Result<Captured, ConnectionError> {
        self.read_captures(source, read, true)
    }

    fn read_captures(
        &self,
        source: CaptureSource,
        read: impl Fn(&str) -> Option<String>,
        all_optional: bool,
    ) -> Result<Captured, ConnectionError> {
        let mut captured = Captured::default();
        for capture in self.captures.iter().filter(|c| c.source == source) {
            let Some(value) = read(&capture.key) else {
                if capture.spec.optional || all_optional {
                    continue;
                }
                return Err(ConnectionError::MissingCapture {
                    place: source.place().into(),
                    key: capture.key.clone(),
                });
            };
            check(capture.name.as_str(), capture.spec.pattern.as_ref(), &value)?;
            let name = capture.name.to_string();
            if capture.spec.secret {
                captured.secret.insert(name, SecretString::from(value));
            } else {
                captured.public.insert(name, value);
            }
        }
        Ok(captured)
    }

    /// The values a start supplied to the connection whose metadata is `metadata`: the parameters
    /// neither the client nor the provider fixes (Shopify's `shop`), which a start replacing the
    /// connection must supply again. Captured values and fixed parameters are left out.
    pub fn supplied_by_start(
        &self,
        metadata: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        self.parameters
            .iter()
            .filter(|(name, spec)| !spec.per_client && !self.fixed.contains_key(*name))
            .filter_map(|(name, _)| {
                let value = metadata.get(name.as_str())?;
                Some((name.to_string(), value.clone()))
            })
            .collect()
    }

    /// The parameter named `name`.
    pub fn parameter(&self, name: &str) -> Option<&ParameterSpec> {
        ValueName::parse(name)
            .ok()
            .and_then(|n| self.parameters.get(&n))
    }

    /// Whether the provider has no parameters and captures.
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty() && self.captures.is_empty()
    }
}

fn check(name: &str, pattern: Option<&Pattern>, value: &str) -> Result<(), ConnectionError> {
    match pattern {
        Some(p) if !p.matches(value) => Err(ConnectionError::Mismatch {
            name: name.to_string(),
            pattern: p.as_str().to_string(),
        }),
        _ => Ok(()),
    }
}
