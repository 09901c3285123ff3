//! The answer's shape: a usable access token opened from the record, or why there is none.

use std::collections::BTreeMap;

use secrecy::SecretString;

use super::error::RefreshError;
use crate::clock::{self, Epoch};
use crate::domain::token::{FailureKind, StoredToken, TokenStatus, TokenVersion};
use crate::keys::reseal::record_id;
use crate::oauth::context::OAuthContext;
use crate::oauth::reconnect;
use crate::oauth::records::field;

/// A usable access token.
pub struct FreshToken {
    pub access_token: SecretString,
    pub token_type: String,
    pub expires_at: Option<Epoch>,
    pub scopes: Vec<String>,
    /// Which token this is: the `ETag` of `GET /tokens/{tag}`.
    pub version: TokenVersion,
    /// The connection's public values: what a caller uses the token with (Salesforce's
    /// `instance_url`, QuickBooks' `realmId`, a shop).
    pub metadata: BTreeMap<String, String>,
    /// When the refresh token expires, when the provider states its lifetime.
    pub refresh_token_expires_at: Option<Epoch>,
}

/// The record's access token when it can be used: not expired, and not the one a caller reported
/// `rejected`; else why not.
pub(super) async fn usable(
    ctx: &OAuthContext,
    record: &StoredToken,
    rejected: Option<&TokenVersion>,
) -> Result<FreshToken, RefreshError> {
    if record.status == TokenStatus::ReauthorizationRequired {
        return Err(RefreshError::ReauthorizationRequired {
            tag: record.tag.clone(),
            client_id: record.client_id.clone(),
            scopes: record.scopes.clone(),
            connection: reconnect::start_parameters(ctx, &record.client_id, &record.metadata).await,
        });
    }
    let version = record.token_version();
    let (Some(sealed), Some(version)) = (&record.access_token, version) else {
        return Err(RefreshError::Unavailable(
            "no access token is stored".into(),
        ));
    };
    if record.expired(clock::now()) || rejected == Some(&version) {
        return Err(match &record.error {
            Some(failure) if failure.kind == FailureKind::ClientRejected => {
                RefreshError::ClientRejected {
                    client_id: record.client_id.clone(),
                    code: failure.error.clone(),
                }
            }
            Some(failure) => RefreshError::Unavailable(failure.error.clone()),
            None => RefreshError::Unavailable("the refresh failed".into()),
        });
    }
    let keys = ctx.keyring().await?.keys_for([sealed]).await?;
    Ok(FreshToken {
        access_token: keys.open(record_id(record), field::ACCESS_TOKEN, sealed)?,
        token_type: record.token_type.clone().unwrap_or_else(|| "Bearer".into()),
        expires_at: record.expires,
        scopes: record.scopes.clone(),
        version,
        metadata: record.metadata.clone(),
        refresh_token_expires_at: record.refresh_expires,
    })
}
