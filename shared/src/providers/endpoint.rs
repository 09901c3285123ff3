//! The rules every provider URL obeys, the `{{…}}` placeholders a provider file may use in them,
//! where the resource owner is described, and issuer identifiers.

use std::fmt;

use url::{Host, Url};

/// The `urlResourceOwnerDetails` value meaning "read the owner from the id_token claims".
pub(crate) const USE_ID_TOKEN: &str = "{{use_id_token}}";

/// Where the resource owner (the account that granted access) is described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerSource {
    /// Fetch this URL with the access token (e.g. an OpenID Connect UserInfo endpoint).
    Url(Url),
    /// Read the claims of the id_token the token endpoint returned (`{{use_id_token}}`).
    IdToken,
    /// The provider does not say who the owner is.
    None,
}

/// Placeholders a provider URL may contain.
const PLACEHOLDERS: [&str; 2] = ["{{tenant}}", "{{local}}"];

/// What the placeholders of one resolution are filled with.
pub(crate) struct Template<'a> {
    /// Replaces `{{tenant}}`; already checked by the caller to be URL-safe.
    pub tenant: &'a str,
    /// Replaces `{{local}}`: the local stack's base URL, when running there.
    pub local: Option<&'a Url>,
}

/// Why one field could not become a URL.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FieldProblem {
    /// The field uses `{{local}}` and there is no local base URL.
    LocalBaseRequired,
    /// Anything else, as a sentence.
    Invalid(String),
}

impl Template<'_> {
    /// `raw` with its placeholders filled in; an unknown placeholder is refused rather than sent to
    /// a server percent-encoded.
    pub fn fill(&self, raw: &str) -> Result<String, FieldProblem> {
        let mut rest = raw;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start..];
            let token = after.find("}}").map_or(after, |end| &after[..end + 2]);
            if !PLACEHOLDERS.contains(&token) && !token.starts_with("{{connection.") {
                return Err(FieldProblem::Invalid(format!(
                    "unknown placeholder {token:?}; expected {{{{tenant}}}}, {{{{local}}}} or {{{{connection.NAME}}}}"
                )));
            }
            rest = &after[token.len()..];
        }
        let mut filled = raw.replace("{{tenant}}", self.tenant);
        if filled.contains("{{local}}") {
            let local = self.local.ok_or(FieldProblem::LocalBaseRequired)?;
            filled = filled.replace("{{local}}", local.as_str().trim_end_matches('/'));
        }
        Ok(filled)
    }

    /// `raw`, filled in and parsed as an endpoint URL.
    #[cfg(test)]
    pub fn url(&self, raw: &str) -> Result<Url, FieldProblem> {
        parse_endpoint(&self.fill(raw)?).map_err(FieldProblem::Invalid)
    }
}

/// Parses a URL authbridge may call: absolute, `https` (plain `http` only for a loopback host,
/// since RFC 6749 §3.1 and §3.2 require TLS), without a fragment (RFC 6749 §3.1) or credentials.
pub(crate) fn parse_endpoint(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not an absolute URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "{raw:?} uses plain http, allowed only for localhost, 127.0.0.1 and ::1; use https"
            ));
        }
        other => return Err(format!("{raw:?} has scheme {other:?}; expected https")),
    }
    if url.fragment().is_some() {
        return Err(format!("{raw:?} must not have a #fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{raw:?} must not carry a user name or password"));
    }
    Ok(url)
}

/// Whether `url`'s host is this machine: `localhost`, or a loopback address.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An authorization server's issuer identifier (RFC 8414 §2): an `https` URL without query or
/// fragment. Compared as an exact string, as RFC 9207 §2.4 and OpenID Connect Discovery §4.3 ask.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issuer {
    id: String,
    discovery: Url,
}

impl Issuer {
    /// Checks `raw` and keeps it exactly as written.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = parse_endpoint(raw)?;
        if url.query().is_some() {
            return Err(format!("issuer {raw:?} must not have a query"));
        }
        // OpenID Connect Discovery §4.1: remove any trailing '/', then append the well-known path.
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            raw.trim_end_matches('/')
        );
        let discovery = Url::parse(&discovery)
            .map_err(|e| format!("issuer {raw:?} gives no discovery URL: {e}"))?;
        Ok(Issuer {
            id: raw.to_string(),
            discovery,
        })
    }

    /// The identifier as configured.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// Whether an `iss` value (authorization response, discovery document, id_token) names this
    /// issuer: exact string comparison, no normalization (RFC 9207 §2.4).
    pub fn matches(&self, iss: &str) -> bool {
        self.id == iss
    }

    /// Where its OpenID Provider metadata is published (OpenID Connect Discovery §4).
    pub fn discovery_url(&self) -> &Url {
        &self.discovery
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template<'a>(tenant: &'a str, local: Option<&'a Url>) -> Template<'a> {
        Template { tenant, local }
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(parse_endpoint("http://127.0.0.1:3000/x").is_ok());
        assert!(parse_endpoint("http://localhost/x").is_ok());
        assert!(parse_endpoint("http://[::1]:8080/x").is_ok());
        let err = parse_endpoint("http://example.com/token").unwrap_err();
        assert!(err.contains("plain http"), "{err}");
        assert!(parse_endpoint("ftp://example.com/").is_err());
        assert!(parse_endpoint("/relative").is_err());
        assert!(parse_endpoint("https://example.com/a#frag").is_err());
        assert!(parse_endpoint("https://user:pw@example.com/a").is_err());
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let local = Url::parse("http://127.0.0.1:3000/").unwrap();
        let t = template("contoso", Some(&local));
        assert_eq!(
            t.url("https://login.example/{{tenant}}/token")
                .unwrap()
                .as_str(),
            "https://login.example/contoso/token"
        );
        assert_eq!(
            t.url("{{local}}/demo/token").unwrap().as_str(),
            "http://127.0.0.1:3000/demo/token"
        );
        let err = t.url("https://x.example/{{tennant}}/a").unwrap_err();
        assert!(matches!(err, FieldProblem::Invalid(m) if m.contains("{{tennant}}")));
        assert_eq!(
            template("common", None).url("{{local}}/demo/token"),
            Err(FieldProblem::LocalBaseRequired)
        );
    }

    #[test]
    fn issuers_compare_exactly_and_know_their_discovery_url() {
        let issuer = Issuer::parse("https://accounts.google.com").unwrap();
        assert!(issuer.matches("https://accounts.google.com"));
        assert!(!issuer.matches("https://accounts.google.com/"));
        assert_eq!(
            issuer.discovery_url().as_str(),
            "https://accounts.google.com/.well-known/openid-configuration"
        );
        let with_path = Issuer::parse("https://login.example/tenant/v2.0/").unwrap();
        assert_eq!(
            with_path.discovery_url().as_str(),
            "https://login.example/tenant/v2.0/.well-known/openid-configuration"
        );
        assert!(Issuer::parse("https://idp.example/?x=1").is_err());
        assert!(Issuer::parse("http://idp.example").is_err());
    }
}
