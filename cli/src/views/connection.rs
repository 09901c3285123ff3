//! Connections as `connections list` shows them: what they are for, whose, and how they are doing.

use authbridge::oauth::connections::ConnectionView;
use serde::Serialize;

use crate::output::{Row, or_none, rfc3339};

/// One connection; in JSON its times are RFC 3339 (UTC).
#[derive(Debug, Serialize)]
pub struct ConnectionRow {
    pub tag: String,
    pub client: String,
    pub provider: Option<String>,
    pub owner: Option<String>,
    pub state: String,
    pub expires: Option<String>,
    pub refreshed: Option<String>,
    pub last_error: Option<String>,
}

impl From<ConnectionView> for ConnectionRow {
    fn from(view: ConnectionView) -> Self {
        ConnectionRow {
            state: view.health.state.name().to_string(),
            expires: view.expires_at.map(rfc3339),
            refreshed: view.health.refreshed_at.map(rfc3339),
            last_error: view.health.last_error,
            tag: view.tag.into_string(),
            client: view.client.to_string(),
            provider: view.provider,
            owner: view.owner.map(String::from),
        }
    }
}

impl Row for ConnectionRow {
    const HEADERS: &'static [&'static str] = &[
        "tag",
        "provider",
        "owner",
        "state",
        "expires",
        "refreshed",
        "last error",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.tag.clone(),
            or_none(self.provider.as_deref()),
            or_none(self.owner.as_deref()),
            self.state.clone(),
            or_none(self.expires.as_deref()),
            or_none(self.refreshed.as_deref()),
            or_none(self.last_error.as_deref()),
        ]
    }
}
