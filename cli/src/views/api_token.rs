//! An API token as the `api-tokens` commands show it: never its value (only its hash prefix),
//! except once, at creation.

use authbridge::clock::Epoch;
use authbridge::domain::{ApiToken, Scope};
use serde::Serialize;

use crate::output::{NONE, Record, Row, rfc3339, yes_no};

/// A stored API token.
#[derive(Debug, Serialize)]
pub struct ApiTokenView {
    pub name: String,
    pub active: bool,
    /// `*`, or addresses and CIDR ranges.
    pub ip_restriction: String,
    pub endpoints: Vec<String>,
    /// What it may touch: tag, owner and client patterns.
    pub scope: Scope,
    /// The first 12 hex characters of the SHA-256, to tell tokens apart.
    pub hash_prefix: String,
    #[serde(serialize_with = "crate::output::epoch_json")]
    pub created: Epoch,
    #[serde(serialize_with = "crate::output::opt_epoch_json")]
    pub last_used: Option<Epoch>,
    /// The token's value: only in the answer to `create`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl ApiTokenView {
    pub fn new(token: &ApiToken, value: Option<String>) -> Self {
        ApiTokenView {
            name: token.name.to_string(),
            active: token.active,
            ip_restriction: token.ip_restriction.to_string(),
            endpoints: token
                .endpoints
                .iter()
                .map(|e| e.name().to_string())
                .collect(),
            scope: token.scope.clone(),
            hash_prefix: token.token_hash.chars().take(12).collect(),
            created: token.created,
            last_used: token.last_used,
            token: value,
        }
    }

    fn endpoints_text(&self) -> String {
        if self.endpoints.is_empty() {
            NONE.to_string()
        } else {
            self.endpoints.join(",")
        }
    }
}

impl Row for ApiTokenView {
    const HEADERS: &'static [&'static str] = &[
        "name",
        "active",
        "endpoints",
        "scope",
        "addresses",
        "last used",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            yes_no(self.active),
            self.endpoints_text(),
            self.scope.to_string(),
            self.ip_restriction.clone(),
            self.last_used
                .map(rfc3339)
                .unwrap_or_else(|| NONE.to_string()),
        ]
    }
}

impl Record for ApiTokenView {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("name", self.name.clone()),
            ("active", yes_no(self.active)),
            ("endpoints", self.endpoints_text()),
            ("tags", self.scope.tags.to_string()),
            ("owners", self.scope.owners.to_string()),
            ("clients", self.scope.clients.to_string()),
            ("addresses", self.ip_restriction.clone()),
            ("hash", format!("{}…", self.hash_prefix)),
            ("created", rfc3339(self.created)),
            (
                "last used",
                self.last_used
                    .map(rfc3339)
                    .unwrap_or_else(|| NONE.to_string()),
            ),
        ];
        if let Some(token) = &self.token {
            fields.push(("token", format!("{token}   (shown once: store it now)")));
        }
        fields
    }
}
