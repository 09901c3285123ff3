//! Provider URLs that name connection values (`{{connection.NAME}}`), and how a value is put in:
//! where it stands decides what it may be, so no value can move a request to another host.
//!
//! - at the very start, for a whole origin (`{{connection.accounts_server}}/oauth/v2/token`): an
//!   `https` origin (scheme, host, port) and nothing more;
//! - in the host (`https://{{connection.shop}}.myshopify.com/…`): one DNS label, letters, digits
//!   and `-`, so the host keeps its suffix;
//! - in the path: one percent-encoded segment (`/`, `?`, `#` encoded; `.` and `..` refused);
//! - in the query: one percent-encoded value.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use super::connection::{ConnectionError, ConnectionValues};
use super::endpoint::{OwnerSource, parse_endpoint};

/// What a value in a path segment or query keeps unencoded: RFC 3986's unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const PREFIX: &str = "{{connection.";

/// Where a connection value stands in a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The whole origin, at the start of the URL.
    Origin,
    /// Within the host: one DNS label.
    HostLabel,
    /// Within a path segment.
    Path,
    /// Within the query.
    Query,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value { name: String, position: Position },
}

/// A provider URL, its tenant and local base filled in, that may still name connection values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    field: &'static str,
    raw: String,
    parts: Vec<Part>,
}

impl UrlTemplate {
    /// Reads `raw` (the JSON field `field`): where each `{{connection.NAME}}` stands.
    pub(crate) fn parse(field: &'static str, raw: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = raw;
        let mut offset = 0;
        while let Some(start) = rest.find(PREFIX) {
            let after = &rest[start + PREFIX.len()..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed placeholder in {raw:?}"))?;
            let name = &after[..end];
            let position = position(raw, offset + start)?;
            if position == Position::HostLabel {
                let tail = &after[end + 2..];
                let host_tail = &tail[..tail.find(['/', '?', '#', ':']).unwrap_or(tail.len())];
                let suffix = host_tail.rsplit('.').next().unwrap_or_default();
                if host_tail.contains("{{") || !host_tail.contains('.') || suffix.is_empty() {
                    return Err(format!(
                        "{raw:?}: a connection value in the host must be followed by a fixed domain (like .example.com)"
                    ));
                }
            }
            if !rest[..start].is_empty() {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            parts.push(Part::Value {
                name: name.to_string(),
                position,
            });
            let consumed = start + PREFIX.len() + end + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(UrlTemplate {
            field,
            raw: raw.to_string(),
            parts,
        })
    }

    /// A URL that names no connection value (a discovered endpoint), kept as it is.
    pub(crate) fn literal(field: &'static str, url: &Url) -> Self {
        UrlTemplate {
            field,
            raw: url.as_str().to_string(),
            parts: vec![Part::Text(url.as_str().to_string())],
        }
    }

    /// The JSON field it was read from.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The connection values it names, with where they stand.
    pub fn names(&self) -> impl Iterator<Item = (&str, Position)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Value { name, position } => Some((name.as_str(), *position)),
            Part::Text(_) => None,
        })
    }

    /// The URL, when it names no connection value.
    pub fn fixed(&self) -> Option<Url> {
        self.names()
            .next()
            .is_none()
            .then(|| parse_endpoint(&self.raw).ok())
            .flatten()
    }

    /// The URL with `values` put in, each checked for where it stands.
    pub fn fill(&self, values: &ConnectionValues) -> Result<Url, ConnectionError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value { name, position } => {
                    let value = values.get(name).ok_or_else(|| ConnectionError::Unfilled {
                        field: self.field.to_string(),
                        name: name.clone(),
                    })?;
                    let placed =
                        place(value, *position).map_err(|reason| ConnectionError::Misplaced {
                            field: self.field.to_string(),
                            name: name.clone(),
                            reason,
                        })?;
                    out.push_str(&placed);
                }
            }
        }
        parse_endpoint(&out).map_err(|reason| ConnectionError::Misplaced {
            field: self.field.to_string(),
            name: self.names().map(|(n, _)| n).collect::<Vec<_>>().join(", "),
            reason: format!("gives no usable URL: {reason}"),
        })
    }
}

impl fmt::Display for UrlTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Where the placeholder at byte `at` of `raw` stands.
fn position(raw: &str, at: usize) -> Result<Position, String> {
    if at == 0 {
        return Ok(Position::Origin);
    }
    if raw.starts_with(PREFIX) {
        // After an origin placeholder, the rest is path and query.
        let origin_end = raw.find("}}").map_or(raw.len(), |i| i + 2);
        return Ok(match raw[origin_end..].find('?') {
            Some(q) if at > origin_end + q => Position::Query,
            _ => Position::Path,
        });
    }
    let authority_start = raw
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| format!("{raw:?} is not an absolute URL"))?;
    if at < authority_start {
        return Err(format!(
            "{raw:?}: a connection value cannot stand in the scheme"
        ));
    }
    let authority_end = raw[authority_start..]
        .find(['/', '?', '#'])
        .map_or(raw.len(), |i| authority_start + i);
    if at < authority_end {
        let before = &raw[authority_start..at];
        if before.contains(':') || raw[authority_start..authority_end].contains('@') {
            return Err(format!(
                "{raw:?}: a connection value can stand in the host, not in a port or user name"
            ));
        }
        return Ok(Position::HostLabel);
    }
    match raw[authority_end..].find('?') {
        Some(q) if at > authority_end + q => Ok(Position::Query),
        _ => Ok(Position::Path),
    }
}

/// `value` as it may stand at `position`, or why it may not.
fn place(value: &str, position: Position) -> Result<String, String> {
    match position {
        Position::Origin => {
            let url = parse_endpoint(value)?;
            let bare = url.path() == "/" && url.query().is_none();
            if !bare || value.trim_end_matches('/') != url.origin().ascii_serialization() {
                return Err("must be an origin alone, like https://host.example".into());
            }
            Ok(url.origin().ascii_serialization())
        }
        Position::HostLabel => {
            let label = !value.is_empty()
                && value.len() <= 63
                && !value.starts_with('-')
                && !value.ends_with('-')
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if label {
                Ok(value.to_string())
            } else {
                Err("must be one DNS label: letters, digits and '-'".into())
            }
        }
        Position::Path => {
            if matches!(value, "" | "." | "..") {
                return Err("cannot be an empty, '.' or '..' path segment".into());
            }
            Ok(utf8_percent_encode(value, COMPONENT).to_string())
        }
        Position::Query => Ok(utf8_percent_encode(value, COMPONENT).to_string()),
    }
}

/// Where the resource owner is described, possibly naming connection values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerTemplate {
    /// Fetch this URL with the access token.
    Url(UrlTemplate),
    /// Read the id_token's claims.
    IdToken,
    /// The provider does not say.
    None,
}

impl OwnerTemplate {
    /// The owner source with `values` put in.
    pub fn fill(&self, values: &ConnectionValues) -> Result<OwnerSource, ConnectionError> {
        Ok(match self {
            OwnerTemplate::Url(t) => OwnerSource::Url(t.fill(values)?),
            OwnerTemplate::IdToken => OwnerSource::IdToken,
            OwnerTemplate::None => OwnerSource::None,
        })
    }
}

/// A provider's endpoints for one client, before a connection's values are put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The authorization endpoint (RFC 6749 §3.1); names parameters only.
    pub authorize: UrlTemplate,
    /// The token endpoint for the code exchange (RFC 6749 §3.2); names parameters and values
    /// captured from the redirect.
    pub token: UrlTemplate,
    /// Where refresh grants go (RFC 6749 §6): `urlRefreshToken`, else the token endpoint.
    pub refresh: UrlTemplate,
    /// The revocation endpoint (RFC 7009), when the provider has one.
    pub revocation: Option<UrlTemplate>,
    /// Where the resource owner is described.
    pub owner: OwnerTemplate,
}

/// One connection's endpoints: every URL with its values put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEndpoints {
    /// The authorization endpoint.
    pub authorize: Url,
    /// The token endpoint (code exchange).
    pub token: Url,
    /// Where refresh grants go.
    pub refresh: Url,
    /// The revocation endpoint, when there is one.
    pub revocation: Option<Url>,
    /// Where the resource owner is described.
    pub owner: OwnerSource,
}

impl Endpoints {
    /// Every endpoint with `values` put in; fails if one names a value `values` lacks.
    pub fn fill(&self, values: &ConnectionValues) -> Result<ConnectionEndpoints, ConnectionError> {
        Ok(ConnectionEndpoints {
            authorize: self.authorize.fill(values)?,
            token: self.token.fill(values)?,
            refresh: self.refresh.fill(values)?,
            revocation: self
                .revocation
                .as_ref()
                .map(|t| t.fill(values))
                .transpose()?,
            owner: self.owner.fill(values)?,
        })
    }

    /// The templates with the JSON field each comes from.
    pub fn all(&self) -> Vec<&UrlTemplate> {
        let mut all = vec![&self.authorize, &self.token, &self.refresh];
        all.extend(self.revocation.as_ref());
        if let OwnerTemplate::Url(t) = &self.owner {
            all.push(t);
        }
        all
    }
}

#[cfg(test)]
mod tests;
