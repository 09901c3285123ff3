//! The provider's part of a refresh: the record's client and provider ([`Target`]), and the call
//! itself, a refresh grant (or, for a client-credentials record, the grant again).

use super::error::RefreshError;
use crate::clock::Epoch;
use crate::domain::OAuthClient;
use crate::domain::token::StoredToken;
use crate::oauth::context::OAuthContext;
use crate::oauth::credentials::grant_client;
use crate::oauth::error::OAuthError;
use crate::oauth::flow::{active_client, provider_for, refresh_margin};
use crate::oauth::grant::GrantError;
use crate::oauth::records::field;
use crate::oauth::token_response::ProviderTokenResponse;
use crate::providers::ResolvedProvider;

/// The client and provider of a record, resolved once per call.
pub(super) struct Target {
    pub client: OAuthClient,
    pub provider: ResolvedProvider,
    /// The provider's configured margin (before the lifetime cap).
    pub margin: Epoch,
}

impl Target {
    /// The active client of `record` and its provider.
    pub async fn resolve(ctx: &OAuthContext, record: &StoredToken) -> Result<Self, RefreshError> {
        let client = active_client(ctx, &record.client_id).await?;
        let provider = provider_for(ctx, &client).await?;
        let margin = refresh_margin(&provider);
        Ok(Target {
            client,
            provider,
            margin,
        })
    }
}

/// A failed attempt: the provider's answer, or a local problem (missing secret, vault).
#[derive(Debug, thiserror::Error)]
pub(super) enum AttemptError {
    #[error(transparent)]
    Grant(GrantError),
    #[error(transparent)]
    Local(OAuthError),
}

impl From<OAuthError> for AttemptError {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::Grant(g) => AttemptError::Grant(g),
            other => AttemptError::Local(other),
        }
    }
}

/// Runs the refresh of the leased `record` (or, for client-credentials records, the grant again).
pub(super) async fn call(
    ctx: &OAuthContext,
    target: &Target,
    record: &StoredToken,
) -> Result<ProviderTokenResponse, AttemptError> {
    let grant = grant_client(ctx, &target.client, &target.provider, None).await?;
    match &record.refresh_token {
        Some(sealed) => {
            let vault = ctx.vault().await.map_err(OAuthError::from)?;
            let refresh = vault
                .open(&record.tag, field::REFRESH_TOKEN, sealed)
                .map_err(OAuthError::from)?;
            grant.refresh(&refresh).await.map_err(AttemptError::Grant)
        }
        None if record.grant_type == "client_credentials" => grant
            .client_credentials(&record.scopes)
            .await
            .map_err(AttemptError::Grant),
        None => Err(AttemptError::Grant(GrantError::Rejected {
            code: "invalid_grant".into(),
            description: Some("no refresh token is stored".into()),
        })),
    }
}
