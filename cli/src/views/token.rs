//! A token record as the `tokens` commands show it: always the redacted [`TokenView`], which says
//! whether a credential is held but never holds one.

use authbridge::oauth::records::TokenView;
use serde::Serialize;

use crate::output::{NONE, Record, Row, or_none, rfc3339, yes_no};

/// The redacted record; in JSON its times are RFC 3339 (UTC), `expires` `null` when the provider
/// gave no expiry.
#[derive(Debug)]
pub struct TokenOutput {
    pub view: TokenView,
    /// `expires` as RFC 3339.
    pub expires_rfc3339: Option<String>,
}

/// The record's fields that hold times.
const TIME_FIELDS: [&str; 5] = [
    "expires",
    "refresh_token_expires_at",
    "refreshed_at",
    "created",
    "modified",
];

impl Serialize for TokenOutput {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(&self.view).map_err(serde::ser::Error::custom)?;
        if let Some(fields) = value.as_object_mut() {
            for name in TIME_FIELDS {
                if let Some(field) = fields.get_mut(name)
                    && let Some(epoch) = field.as_i64()
                {
                    *field = serde_json::Value::from(rfc3339(epoch));
                }
            }
        }
        value.serialize(s)
    }
}

impl From<TokenView> for TokenOutput {
    fn from(view: TokenView) -> Self {
        TokenOutput {
            expires_rfc3339: view.expires.map(rfc3339),
            view,
        }
    }
}

impl TokenOutput {
    fn status(&self) -> String {
        match serde_json::to_value(self.view.status) {
            Ok(serde_json::Value::String(s)) => s,
            _ => format!("{:?}", self.view.status),
        }
    }

    fn expires(&self) -> String {
        or_none(self.expires_rfc3339.as_deref())
    }

    fn scopes(&self) -> String {
        if self.view.scopes.is_empty() {
            NONE.to_string()
        } else {
            self.view.scopes.join(" ")
        }
    }
}

impl Row for TokenOutput {
    const HEADERS: &'static [&'static str] = &[
        "tag", "client", "grant", "scopes", "expires", "owner", "status", "refresh",
    ];

    fn cells(&self) -> Vec<String> {
        let v = &self.view;
        vec![
            v.tag.to_string(),
            v.client_id.to_string(),
            v.grant_type.clone(),
            self.scopes(),
            self.expires(),
            or_none(v.resource_owner_name.as_deref()),
            self.status(),
            yes_no(v.has_refresh_token),
        ]
    }
}

impl Record for TokenOutput {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let v = &self.view;
        let json = |value: &Option<serde_json::Value>| {
            value.as_ref().map_or(NONE.to_string(), |v| v.to_string())
        };
        vec![
            ("tag", v.tag.to_string()),
            ("client", v.client_id.to_string()),
            ("grant", v.grant_type.clone()),
            ("scopes", self.scopes()),
            ("token type", or_none(v.token_type.as_deref())),
            ("access token", held(v.has_access_token)),
            ("refresh token", held(v.has_refresh_token)),
            ("expires", self.expires()),
            (
                "refresh token expires",
                v.refresh_token_expires_at.map_or(NONE.to_string(), rfc3339),
            ),
            (
                "metadata",
                if v.metadata.is_empty() {
                    NONE.to_string()
                } else {
                    v.metadata
                        .iter()
                        .map(|(k, val)| format!("{k}={val}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            ),
            ("owner", or_none(v.resource_owner_name.as_deref())),
            ("owner details", json(&v.resource_owner)),
            ("status", self.status()),
            (
                "last error",
                json(&v.error.as_ref().and_then(|e| serde_json::to_value(e).ok())),
            ),
            (
                "refreshed",
                v.refreshed_at.map_or(NONE.to_string(), rfc3339),
            ),
            ("created", rfc3339(v.created)),
            ("modified", rfc3339(v.modified)),
        ]
    }
}

fn held(present: bool) -> String {
    if present { "(stored)" } else { "(none)" }.to_string()
}
