//! A registered OAuth client: which provider, which public client id (`guid`), which tenant.
//!
//! The client secret is not here: it lives in the secret store under [`OAuthClient::secret_name`]
//! and no read of a client ever returns it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ClientId;
use crate::clock::Epoch;

/// An OAuth client as CiviCRM's `OAuthClient`, minus the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub id: ClientId,
    /// The public client id registered at the provider.
    pub guid: String,
    /// Name of the provider definition (the JSON file name).
    pub provider: String,
    /// Replaces `{{tenant}}` in the provider's URLs; `common` when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Overrides of the provider's `options`.
    #[serde(default)]
    pub options: Map<String, Value>,
    pub is_active: bool,
    pub created: Epoch,
    pub modified: Epoch,
    /// Bumped by every update; an update naming a stale version is refused.
    #[serde(default)]
    pub version: u64,
}

impl OAuthClient {
    /// Name of the client's secret in the secret store, under the configured prefix.
    pub fn secret_name(&self, prefix: &str) -> String {
        format!("{prefix}clients/{}", self.id)
    }
}
