//! A token record as the `tokens` commands show it: always the redacted [`TokenView`], which says
//! whether a credential is held but never holds one.

use authbridge::oauth::records::TokenView;
use serde::Serialize;

use crate::output::{NONE, Record, Row, or_none, rfc3339, yes_no};

/// The redacted record, plus its expiry as RFC 3339 for JSON readers.
#[derive(Debug, Serialize)]
pub struct TokenOutput {
    #[serde(flatten)]
    pub view: TokenView,
    /// `expires` as RFC 3339 (UTC); `null` when the provider gave no expiry.
    pub expires_rfc3339: Option<String>,
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
            v.tag.clone(),
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
            ("tag", v.tag.clone()),
            ("client", v.client_id.to_string()),
            ("grant", v.grant_type.clone()),
            ("scopes", self.scopes()),
            ("token type", or_none(v.token_type.as_deref())),
            ("access token", held(v.has_access_token)),
            ("refresh token", held(v.has_refresh_token)),
            ("expires", self.expires()),
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
