//! A stored OAuth token record, as CiviCRM's `OAuthSysToken`, in the form the store holds it: every
//! credential sealed (encrypted) before it reaches the store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ClientId;
use super::owner::{self, Owner};
use super::tag::{self, Tag};
pub use super::token_lifecycle::{FailureKind, SealedCredentials, TokenFailure, TokenVersion};
use crate::clock::Epoch;

/// A value encrypted by the token vault: base64 of a version byte, the nonce and the AES-256-GCM
/// ciphertext. Opaque to the store, and never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(pub String);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed([redacted])")
    }
}

/// Whether the token can still be refreshed without the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    #[default]
    Active,
    /// The provider refused the refresh token (`invalid_grant`): the user must connect again.
    ReauthorizationRequired,
}

/// A token record with its credentials sealed. The store sees only this form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredToken {
    /// Unique name of what the token is for, e.g. `MailSettings:3`.
    #[serde(deserialize_with = "tag::stored::deserialize")]
    pub tag: Tag,
    pub client_id: ClientId,
    pub grant_type: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub access_token: Option<Sealed>,
    #[serde(default)]
    pub refresh_token: Option<Sealed>,
    #[serde(default)]
    pub id_token: Option<Sealed>,
    /// The token endpoint's whole response.
    #[serde(default)]
    pub raw: Option<Sealed>,
    /// When the access token expires (epoch seconds); `None` when the provider did not say.
    #[serde(default)]
    pub expires: Option<Epoch>,
    /// The lifetime the provider granted the access token (`expires_in`, seconds), as written.
    #[serde(default)]
    pub lifetime: Option<Epoch>,
    #[serde(default)]
    pub resource_owner_name: Option<String>,
    #[serde(default)]
    pub resource_owner: Option<Value>,
    /// The last failure of a refresh; cleared by a success.
    #[serde(default)]
    pub error: Option<TokenFailure>,
    #[serde(default)]
    pub status: TokenStatus,
    /// When the scheduled refresh should next look at this token; `None` takes it out of the sweep.
    #[serde(default)]
    pub due_at: Option<Epoch>,
    /// When the token was last obtained or refreshed.
    #[serde(default)]
    pub refreshed_at: Option<Epoch>,
    /// Failed refresh attempts since the last success.
    #[serde(default)]
    pub attempts: u32,
    /// After a transient failure: no automatic attempt before this instant (backoff).
    #[serde(default)]
    pub next_attempt_at: Option<Epoch>,
    /// The process holding the refresh lease, while one does.
    #[serde(default)]
    pub lease_owner: Option<String>,
    /// When the refresh lease lapses if its holder never releases it.
    #[serde(default)]
    pub lease_until: Option<Epoch>,
    /// Whose connection this is, in the caller's own terms (e.g. `contact:42`): connections are
    /// listed by it. Not the provider's account, which is `resource_owner`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "owner::stored::deserialize"
    )]
    pub owner: Option<Owner>,
    /// Who made the connection: an API token's name, `cli`, or the local stack's index page.
    #[serde(default)]
    pub created_by: Option<String>,
    /// This connection's own id, made when it is stored and new with each replace: its sealed
    /// values are bound to it, so a value of an earlier connection under the same tag does not
    /// open. `None` on records stored before connections had ids (their values are bound to the
    /// tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// The connection's public values, by name: the parameters its start supplied (or its client
    /// fixed) and the values captured from the redirect and the token response that the provider
    /// file does not mark secret (Salesforce's `instance_url`, QuickBooks' `realmId`). What
    /// `{{connection.NAME}}` is filled with in the provider's later URLs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// The captured values the provider file marks secret, by name, each sealed like a token.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sealed_metadata: BTreeMap<String, Sealed>,
    /// When the refresh token expires (epoch seconds), when the provider states its lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires: Option<Epoch>,
    /// When `connection.expiring` was announced for the current refresh token; cleared when a
    /// refresh moves its expiry out of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring_since: Option<Epoch>,
    pub created: Epoch,
    pub modified: Epoch,
    #[serde(default)]
    pub version: u64,
}

#[cfg(test)]
impl StoredToken {
    /// A record of `tag` for the crate's unit tests: an authorization-code grant of a new client,
    /// active, with nothing sealed, no owner and every time at 0; tests set what they need.
    pub(crate) fn sample(tag: &str) -> StoredToken {
        StoredToken {
            tag: Tag::parse(tag).expect("a test tag"),
            client_id: ClientId::generate(),
            grant_type: "authorization_code".into(),
            scopes: vec![],
            token_type: None,
            access_token: None,
            refresh_token: None,
            id_token: None,
            raw: None,
            expires: None,
            lifetime: None,
            resource_owner_name: None,
            resource_owner: None,
            error: None,
            status: TokenStatus::Active,
            due_at: None,
            refreshed_at: None,
            attempts: 0,
            next_attempt_at: None,
            lease_owner: None,
            lease_until: None,
            owner: None,
            created_by: None,
            connection_id: None,
            metadata: Default::default(),
            sealed_metadata: Default::default(),
            refresh_expires: None,
            expiring_since: None,
            created: 0,
            modified: 0,
            version: 0,
        }
    }
}
