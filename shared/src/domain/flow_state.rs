//! The short-lived record of an authorization-code flow between start-auth and oauth-return.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ClientId;
use super::owner::{self, Owner};
use super::tag::{self, Tag};
use crate::clock::Epoch;

/// One started authorization-code flow, keyed by the SHA-256 of its `state` so the store never holds
/// the value a browser presents. Consumed exactly once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// Hex SHA-256 of the `state` parameter.
    pub key: String,
    pub client_id: ClientId,
    pub scopes: Vec<String>,
    /// The tag the flow's connection will be stored under.
    #[serde(deserialize_with = "tag::stored::deserialize")]
    pub tag: Tag,
    #[serde(default)]
    pub landing_url: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    /// The PKCE code verifier (RFC 7636), sent with the code at the token endpoint.
    pub pkce_verifier: String,
    /// The redirect URI sent at the start; the token request must repeat it exactly.
    pub redirect_uri: String,
    pub created: Epoch,
    /// After this instant the state reads as expired.
    pub expires_at: Epoch,
    /// Whether the flow may replace a record already stored under its tag.
    #[serde(default)]
    pub replace: bool,
    /// Whose connection the flow makes, in the caller's terms (see `StoredToken::owner`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "owner::stored::deserialize"
    )]
    pub owner: Option<Owner>,
    /// Who started the flow: an API token's name, or `cli`.
    #[serde(default)]
    pub created_by: String,
    /// Hex SHA-256 of the cookie that binds the flow to the browser that opened its link; `None`
    /// until the link is opened, which can happen once. Absent from the stored item until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// The connection's values known at the start (what the start supplied, the client fixed,
    /// and the defaults), checked against the provider's patterns; the redirect and the token
    /// response add theirs at the end.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub connection: BTreeMap<String, String>,
}

impl std::fmt::Debug for FlowState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowState")
            .field("key", &self.key)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("tag", &self.tag)
            .field("landing_url", &self.landing_url)
            .field("pkce_verifier", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("replace", &self.replace)
            .field("created_by", &self.created_by)
            .field("opened", &self.binding.is_some())
            .field("connection", &self.connection)
            .finish()
    }
}
