//! Bearer API tokens for server-to-server calls (the reference's API tokens, minus its defects):
//! the value is shown once at creation and stored only as its SHA-256; each token names the
//! endpoints it may call (none by default), the addresses it may come from, and the connections it
//! may touch (its [`Scope`]).

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::api_token_name::{self, ApiTokenName};
use super::{ClientId, Owner, Tag};
use crate::clock::Epoch;

/// An endpoint a token may be allowed to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// `POST /oauth/start`: starting an authorization-code flow.
    OauthStart,
    /// `POST /oauth/token`.
    OauthToken,
    /// `GET /tokens/{tag}`.
    Tokens,
    /// `POST|GET /api/v1/wordpress/sync-user`.
    SyncUser,
    /// `GET /connections`: listing connections (redacted).
    Connections,
}

impl Endpoint {
    /// Every endpoint, for help texts.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::OauthStart,
        Endpoint::OauthToken,
        Endpoint::Tokens,
        Endpoint::SyncUser,
        Endpoint::Connections,
    ];

    /// The name used in configuration and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::OauthStart => "oauth-start",
            Endpoint::OauthToken => "oauth-token",
            Endpoint::Tokens => "tokens",
            Endpoint::SyncUser => "sync-user",
            Endpoint::Connections => "connections",
        }
    }
}

impl FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Endpoint::ALL.iter().map(|e| e.name()).collect();
                format!("unknown endpoint {s:?}; one of {}", names.join(", "))
            })
    }
}

/// Where a token may be used from: anywhere (`*`), or a list of addresses and CIDR ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpRestriction {
    Any,
    Only(Vec<IpNet>),
}

impl IpRestriction {
    /// Parses `*`, or addresses and CIDR ranges separated by commas, spaces or newlines; blank
    /// input is refused (it must not quietly mean "anywhere").
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw
            .split([',', ' ', '\n', '\r', '\t'])
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Err("no address given; use * for anywhere".to_string());
        }
        if parts == ["*"] {
            return Ok(IpRestriction::Any);
        }
        parts
            .into_iter()
            .map(|p| {
                IpNet::from_str(p)
                    .or_else(|_| IpAddr::from_str(p).map(IpNet::from))
                    .map_err(|_| format!("{p:?} is not an address or CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(IpRestriction::Only)
    }

    /// True when `addr` may use the token.
    pub fn allows(&self, addr: Option<IpAddr>) -> bool {
        match self {
            IpRestriction::Any => true,
            IpRestriction::Only(nets) => addr.is_some_and(|a| nets.iter().any(|n| n.contains(&a))),
        }
    }
}

impl std::fmt::Display for IpRestriction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpRestriction::Any => f.write_str("*"),
            IpRestriction::Only(nets) => {
                let list: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
                f.write_str(&list.join(","))
            }
        }
    }
}

/// A stored API token (never its value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Unique name, chosen by the admin.
    #[serde(deserialize_with = "api_token_name::stored::deserialize")]
    pub name: ApiTokenName,
    /// Hex SHA-256 of the token value: the key it is found by.
    pub token_hash: String,
    pub active: bool,
    pub ip_restriction: IpRestriction,
    /// The endpoints it may call; none by default.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    /// The connections it may touch on those endpoints. Tokens stored before scopes existed
    /// read as [`Scope::everything`], today's reach, until an operator narrows them.
    #[serde(default)]
    pub scope: Scope,
    pub created: Epoch,
    #[serde(default)]
    pub last_used: Option<Epoch>,
    #[serde(default)]
    pub version: u64,
}

/// One pattern of a scope: `*` (anything), `prefix*` (anything that starts with `prefix`), or an
/// exact value. A `*` anywhere but at the end is refused, so a pattern always means one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Any,
    Prefix(String),
    Exact(String),
}

impl Pattern {
    /// Parses one pattern (surrounding blanks ignored).
    pub fn parse(raw: &str) -> Result<Self, ScopeError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().any(char::is_control) {
            return Err(ScopeError::Blank);
        }
        match raw.strip_suffix('*') {
            Some("") => Ok(Pattern::Any),
            Some(prefix) if !prefix.contains('*') => Ok(Pattern::Prefix(prefix.to_string())),
            None if !raw.contains('*') => Ok(Pattern::Exact(raw.to_string())),
            _ => Err(ScopeError::InnerStar(raw.to_string())),
        }
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Prefix(prefix) => value.starts_with(prefix.as_str()),
            Pattern::Exact(exact) => value == exact,
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pattern::Any => f.write_str("*"),
            Pattern::Prefix(prefix) => write!(f, "{prefix}*"),
            Pattern::Exact(exact) => f.write_str(exact),
        }
    }
}

/// Why a scope could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("a pattern must not be empty (use * for anything)")]
    Blank,
    #[error("{0:?}: a * may only end a pattern (`*`, `prefix*`, or an exact value)")]
    InnerStar(String),
}

/// Patterns of which any one must match; stored and shown as their strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Patterns(Vec<Pattern>);

impl Patterns {
    /// `*`: anything.
    pub fn any() -> Self {
        Patterns(vec![Pattern::Any])
    }

    /// Parses patterns separated by commas or blanks; at least one.
    pub fn parse(raw: &str) -> Result<Self, ScopeError> {
        let parts: Vec<&str> = raw
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        Self::try_from(parts.into_iter().map(str::to_string).collect::<Vec<_>>())
    }

    /// Whether any pattern matches `value`.
    pub fn matches(&self, value: &str) -> bool {
        self.0.iter().any(|p| p.matches(value))
    }

    /// Whether this is `*` (matches everything, including "none" where a value may be absent).
    pub fn is_any(&self) -> bool {
        self.0.contains(&Pattern::Any)
    }

    /// The one exact value, when the patterns name exactly one.
    pub fn single_exact(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Pattern::Exact(value)] => Some(value),
            _ => None,
        }
    }
}

impl TryFrom<Vec<String>> for Patterns {
    type Error = ScopeError;
    fn try_from(raw: Vec<String>) -> Result<Self, Self::Error> {
        let mut patterns = Vec::new();
        for p in raw {
            let p = Pattern::parse(&p)?;
            if !patterns.contains(&p) {
                patterns.push(p);
            }
        }
        if patterns.is_empty() {
            return Err(ScopeError::Blank);
        }
        if patterns.contains(&Pattern::Any) {
            patterns = vec![Pattern::Any];
        }
        Ok(Patterns(patterns))
    }
}

impl From<Patterns> for Vec<String> {
    fn from(p: Patterns) -> Self {
        p.0.iter().map(ToString::to_string).collect()
    }
}

impl std::fmt::Display for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(","))
    }
}

/// The connections a token may touch: those whose tag matches one of `tags`, whose owner matches
/// one of `owners` (a connection without an owner only when `owners` is `*`), and whose client
/// matches one of `clients`. Every route that reads or writes a connection checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub tags: Patterns,
    pub owners: Patterns,
    pub clients: Patterns,
}

impl Default for Scope {
    fn default() -> Self {
        Scope::everything()
    }
}

/// Which part of a scope refused a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutOfScope {
    Tag(Patterns),
    Owner(Patterns),
    Client(Patterns),
}

impl std::fmt::Display for OutOfScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutOfScope::Tag(p) => write!(f, "this API token may touch tags {p} only"),
            OutOfScope::Owner(p) => {
                write!(f, "this API token may touch connections of owners {p} only")
            }
            OutOfScope::Client(p) => write!(
                f,
                "this API token may touch connections of clients {p} only"
            ),
        }
    }
}

impl Scope {
    /// Every connection (`*` everywhere).
    pub fn everything() -> Self {
        Scope {
            tags: Patterns::any(),
            owners: Patterns::any(),
            clients: Patterns::any(),
        }
    }

    /// Whether this scope reaches every connection.
    pub fn is_everything(&self) -> bool {
        self.tags.is_any() && self.owners.is_any() && self.clients.is_any()
    }

    /// Checks a connection (its tag, owner and client); `Err` names the part of the scope that
    /// refused it.
    pub fn check(
        &self,
        tag: &Tag,
        owner: Option<&Owner>,
        client: &ClientId,
    ) -> Result<(), OutOfScope> {
        if !self.tags.matches(tag.as_str()) {
            return Err(OutOfScope::Tag(self.tags.clone()));
        }
        let owner_ok =
            self.owners.is_any() || owner.is_some_and(|o| self.owners.matches(o.as_str()));
        if !owner_ok {
            return Err(OutOfScope::Owner(self.owners.clone()));
        }
        if !self.clients.matches(client.as_str()) {
            return Err(OutOfScope::Client(self.clients.clone()));
        }
        Ok(())
    }

    /// Whether the connection is within the scope.
    pub fn allows(&self, tag: &Tag, owner: Option<&Owner>, client: &ClientId) -> bool {
        self.check(tag, owner, client).is_ok()
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_everything() {
            return f.write_str("*");
        }
        write!(
            f,
            "tags {}; owners {}; clients {}",
            self.tags, self.owners, self.clients
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(raw: &str) -> Tag {
        Tag::parse(raw).unwrap()
    }

    fn owner(raw: &str) -> Owner {
        Owner::parse(raw).unwrap()
    }

    #[test]
    fn restrictions_parse_addresses_and_ranges() {
        let r = IpRestriction::parse("10.0.0.0/8, 192.168.1.7\n2001:db8::/32").unwrap();
        assert!(r.allows(Some("10.1.2.3".parse().unwrap())));
        assert!(r.allows(Some("192.168.1.7".parse().unwrap())));
        assert!(!r.allows(Some("192.168.1.8".parse().unwrap())));
        assert!(r.allows(Some("2001:db8::1".parse().unwrap())));
        assert!(!r.allows(None));
        assert_eq!(IpRestriction::parse("*").unwrap(), IpRestriction::Any);
        assert!(IpRestriction::parse("10.0.0.300").is_err());
    }

    #[test]
    fn a_blank_restriction_is_refused_not_anywhere() {
        assert!(IpRestriction::parse(" ").is_err());
        assert!(IpRestriction::parse("").is_err());
        assert!(IpRestriction::parse(" , ").is_err());
    }

    #[test]
    fn patterns_are_any_prefix_or_exact() {
        let p = Patterns::parse("site-a:*, MailSettings:3").unwrap();
        assert!(p.matches("site-a:x"));
        assert!(p.matches("site-a:"));
        assert!(!p.matches("site-b:y"));
        assert!(p.matches("MailSettings:3"));
        assert!(!p.matches("MailSettings:30"));
        assert_eq!(p.to_string(), "site-a:*,MailSettings:3");
        assert!(Patterns::parse("*").unwrap().matches("anything"));
        assert_eq!(Patterns::parse("a*, *").unwrap(), Patterns::any());
        assert_eq!(Patterns::parse(""), Err(ScopeError::Blank));
        assert!(matches!(
            Patterns::parse("a*b"),
            Err(ScopeError::InnerStar(_))
        ));
        assert!(matches!(
            Patterns::parse("**"),
            Err(ScopeError::InnerStar(_))
        ));
    }

    #[test]
    fn a_scope_checks_tag_owner_and_client() {
        let client = ClientId::stored("c1");
        let scope = Scope {
            tags: Patterns::parse("site-a:*").unwrap(),
            owners: Patterns::parse("contact:*").unwrap(),
            clients: Patterns::parse("c1").unwrap(),
        };
        assert!(scope.allows(&tag("site-a:x"), Some(&owner("contact:4")), &client));
        assert!(matches!(
            scope.check(&tag("site-b:x"), Some(&owner("contact:4")), &client),
            Err(OutOfScope::Tag(_))
        ));
        // A restricted owner scope never reaches a connection without an owner.
        assert!(matches!(
            scope.check(&tag("site-a:x"), None, &client),
            Err(OutOfScope::Owner(_))
        ));
        assert!(matches!(
            scope.check(&tag("site-a:x"), Some(&owner("org:4")), &client),
            Err(OutOfScope::Owner(_))
        ));
        assert!(matches!(
            scope.check(
                &tag("site-a:x"),
                Some(&owner("contact:4")),
                &ClientId::stored("c2")
            ),
            Err(OutOfScope::Client(_))
        ));
        assert!(Scope::everything().allows(&tag("x"), None, &client));
    }

    #[test]
    fn a_token_stored_before_scopes_keeps_its_reach() {
        let old = r#"{"name":"n","token_hash":"h","active":true,"ip_restriction":"any","endpoints":["tokens"],"created":1}"#;
        let token: ApiToken = serde_json::from_str(old).unwrap();
        assert!(token.scope.is_everything());
        let narrowed = ApiToken {
            scope: Scope {
                tags: Patterns::parse("site-a:*").unwrap(),
                ..Scope::everything()
            },
            ..token
        };
        let json = serde_json::to_string(&narrowed).unwrap();
        assert!(json.contains(r#""tags":["site-a:*"]"#), "{json}");
        let back: ApiToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back, narrowed);
        // A stored pattern that does not parse is an error, never a wider scope.
        let bad = json.replace("site-a:*", "a*b");
        assert!(serde_json::from_str::<ApiToken>(&bad).is_err());
    }

    #[test]
    fn endpoints_have_names() {
        assert_eq!("sync-user".parse::<Endpoint>().unwrap(), Endpoint::SyncUser);
        assert!("admin".parse::<Endpoint>().is_err());
    }
}
