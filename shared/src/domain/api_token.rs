//! Bearer API tokens for server-to-server calls (the reference's API tokens, minus its defects):
//! the value is shown once at creation and stored only as its SHA-256; each token names the
//! endpoints it may call (none by default) and the addresses it may come from.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

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
    /// Parses `*`, or addresses and CIDR ranges separated by commas, spaces or newlines.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw
            .split([',', ' ', '\n', '\r', '\t'])
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() || parts == ["*"] {
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
    pub name: String,
    /// Hex SHA-256 of the token value: the key it is found by.
    pub token_hash: String,
    pub active: bool,
    pub ip_restriction: IpRestriction,
    /// The endpoints it may call; none by default.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    pub created: Epoch,
    #[serde(default)]
    pub last_used: Option<Epoch>,
    #[serde(default)]
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn endpoints_have_names() {
        assert_eq!("sync-user".parse::<Endpoint>().unwrap(), Endpoint::SyncUser);
        assert!("admin".parse::<Endpoint>().is_err());
    }
}
