//! An OAuth client as the `clients` commands show it. The secret is never part of it: at most
//! whether one is stored, when it was set, and whether a rotation is pending.

use authbridge::clients::SecretState;
use authbridge::clock::Epoch;
use authbridge::domain::OAuthClient;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::output::{NONE, Record, Row, or_none, rfc3339, yes_no};

/// A client, without its secret.
#[derive(Debug, Serialize)]
pub struct ClientView {
    /// The internal id the other commands take.
    pub id: String,
    /// The public client id registered at the provider.
    pub guid: String,
    pub provider: String,
    pub tenant: Option<String>,
    /// Overrides of the provider's options.
    pub options: Map<String, Value>,
    pub is_active: bool,
    /// RFC 3339 in JSON.
    #[serde(serialize_with = "crate::output::epoch_json")]
    pub created: Epoch,
    /// RFC 3339 in JSON.
    #[serde(serialize_with = "crate::output::epoch_json")]
    pub modified: Epoch,
    /// Whether a secret is stored; left out when it was not looked up (lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_secret: Option<bool>,
    /// When the secret was last set (RFC 3339), when the store knows; left out when not looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_last_set: Option<String>,
    /// Whether the previous secret is still accepted until the rotation is confirmed; left out
    /// when not looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_rotation_pending: Option<bool>,
}

impl ClientView {
    /// The view of `client`; `has_secret` when it is known.
    pub fn new(client: OAuthClient, has_secret: Option<bool>) -> Self {
        ClientView {
            id: client.id.to_string(),
            guid: client.guid,
            provider: client.provider,
            tenant: client.tenant,
            options: client.options,
            is_active: client.is_active,
            created: client.created,
            modified: client.modified,
            has_secret,
            secret_last_set: None,
            secret_rotation_pending: None,
        }
    }

    /// The view of `client` with its secret's state (`clients show`).
    pub fn with_secret(client: OAuthClient, secret: &SecretState) -> Self {
        ClientView {
            secret_last_set: secret.last_set.map(rfc3339),
            secret_rotation_pending: Some(secret.rotation_pending),
            ..ClientView::new(client, Some(secret.stored))
        }
    }

    fn options_text(&self) -> String {
        if self.options.is_empty() {
            return NONE.to_string();
        }
        Value::Object(self.options.clone()).to_string()
    }
}

impl Row for ClientView {
    const HEADERS: &'static [&'static str] = &["id", "provider", "guid", "tenant", "active"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.provider.clone(),
            self.guid.clone(),
            or_none(self.tenant.as_deref()),
            yes_no(self.is_active),
        ]
    }
}

impl Record for ClientView {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("id", self.id.clone()),
            ("guid", self.guid.clone()),
            ("provider", self.provider.clone()),
            ("tenant", or_none(self.tenant.as_deref())),
            ("options", self.options_text()),
            ("active", yes_no(self.is_active)),
        ];
        if let Some(stored) = self.has_secret {
            let text = if stored { "(stored)" } else { "(none)" };
            fields.push(("secret", text.to_string()));
        }
        if let Some(at) = &self.secret_last_set {
            fields.push(("secret set", at.clone()));
        }
        if let Some(pending) = self.secret_rotation_pending {
            fields.push(("secret rotation pending", yes_no(pending)));
        }
        fields.push(("created", rfc3339(self.created)));
        fields.push(("modified", rfc3339(self.modified)));
        fields
    }
}
