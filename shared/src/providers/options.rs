//! The `options` of a provider file, and of a client's overrides: the same keys (CiviCRM's), each
//! optional, so an override names only what it changes. Unknown keys are refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `options` of a provider file, and of a client's overrides (same keys). Every key is optional
/// so an override can name only what it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderOptions {
    /// The authorization endpoint (RFC 6749 §3.1); may use `{{tenant}}` and `{{local}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_authorize: Option<String>,
    /// The token endpoint (RFC 6749 §3.2); may use `{{tenant}}` and `{{local}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_access_token: Option<String>,
    /// Where the resource owner is described: a URL, or `{{use_id_token}}` for the id_token claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_resource_owner_details: Option<String>,
    /// The token revocation endpoint (RFC 7009); may use `{{tenant}}` and `{{local}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_revoke_token: Option<String>,
    /// Where refresh requests go when not to `urlAccessToken` (ours; e.g. a data centre's server
    /// learnt at the redirect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_refresh_token: Option<String>,
    /// Connection parameter values fixed for every connection of a client (ours; e.g. the Okta
    /// org a client is registered in): a start cannot change them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<BTreeMap<String, String>>,
    /// The scopes requested when a flow names none (RFC 6749 §3.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// What joins scopes in the `scope` parameter; a space when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_separator: Option<String>,
    /// The `prompt` parameter of the authorization request (OpenID Connect Core §3.1.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Google's `access_type` parameter (`offline` asks for a refresh token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_type: Option<String>,
    /// Whether clients of this provider name a tenant (Microsoft Entra ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenancy: Option<bool>,
    /// How the client authenticates at the token endpoint (RFC 6749 §2.3.1):
    /// `client_secret_basic` (the default) or `client_secret_post`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_auth_method: Option<TokenAuthMethod>,
}

/// Client authentication at the token endpoint (OAuth 2.0 Dynamic Registration's names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    /// HTTP Basic, which every server must accept.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl ProviderOptions {
    /// Reads a client's `options` map; the error is the JSON path of the bad key and why.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, (String, String)> {
        serde_path_to_error::deserialize(Value::Object(map.clone())).map_err(|e| {
            (
                json_path("options", &e.path().to_string()),
                e.inner().to_string(),
            )
        })
    }

    /// These options with every key `overrides` sets taking its value from there.
    pub fn overridden_by(&self, overrides: &ProviderOptions) -> ProviderOptions {
        fn pick<T: Clone>(base: &Option<T>, over: &Option<T>) -> Option<T> {
            over.clone().or_else(|| base.clone())
        }
        ProviderOptions {
            url_authorize: pick(&self.url_authorize, &overrides.url_authorize),
            url_access_token: pick(&self.url_access_token, &overrides.url_access_token),
            url_resource_owner_details: pick(
                &self.url_resource_owner_details,
                &overrides.url_resource_owner_details,
            ),
            url_revoke_token: pick(&self.url_revoke_token, &overrides.url_revoke_token),
            url_refresh_token: pick(&self.url_refresh_token, &overrides.url_refresh_token),
            connection: pick(&self.connection, &overrides.connection),
            scopes: pick(&self.scopes, &overrides.scopes),
            scope_separator: pick(&self.scope_separator, &overrides.scope_separator),
            prompt: pick(&self.prompt, &overrides.prompt),
            access_type: pick(&self.access_type, &overrides.access_type),
            tenancy: pick(&self.tenancy, &overrides.tenancy),
            token_auth_method: pick(&self.token_auth_method, &overrides.token_auth_method),
        }
    }
}

/// A readable JSON path: `prefix.path`, with serde_path_to_error's `.` (the root) as `prefix` alone
/// or `top level`.
pub(super) fn json_path(prefix: &str, path: &str) -> String {
    match (prefix, path) {
        ("", ".") => "top level".to_string(),
        (_, ".") => prefix.to_string(),
        ("", _) => path.to_string(),
        _ => format!("{prefix}.{path}"),
    }
}
