//! The provider's part of a refresh: the record's client and provider ([`Target`]), and the call
//! itself, a refresh grant (or, for a client-credentials record, the grant again).

use super::error::RefreshError;
use crate::clock::Epoch;
use crate::domain::token::StoredToken;
use crate::domain::{ClientId, OAuthClient};
use crate::keys::reseal::record_id;
use crate::oauth::context::OAuthContext;
use crate::oauth::credentials::with_secret_fallback;
use crate::oauth::error::OAuthError;
use crate::oauth::flow::{kept_active_client, lifetimes, provider_for};
use crate::oauth::grant::GrantError;
use crate::oauth::records::{Lifetimes, field};
use crate::oauth::token_response::ProviderTokenResponse;
use crate::providers::ResolvedProvider;

/// The client and provider of a record, resolved once per call.
pub(super) struct Target {
    pub client: OAuthClient,
    pub provider: ResolvedProvider,
    /// The provider's configured margin (before the lifetime cap).
    pub margin: Epoch,
    /// How its answers become the record's lifetimes.
    pub lifetimes: Lifetimes,
}

impl Target {
    /// The active client of `record` (as this process keeps it for the client cache period) and
    /// its provider.
    pub async fn resolve(ctx: &OAuthContext, record: &StoredToken) -> Result<Self, RefreshError> {
        Self::of_client(ctx, &record.client_id).await
    }

    /// [`Target::resolve`] of a record whose client is `client_id`.
    pub async fn of_client(ctx: &OAuthContext, client_id: &ClientId) -> Result<Self, RefreshError> {
        let client = kept_active_client(ctx, client_id).await?;
        let provider = provider_for(ctx, &client).await?;
        let lifetimes = lifetimes(&provider);
        Ok(Target {
            client,
            provider,
            margin: lifetimes.margin,
            lifetimes,
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
    // The connection's own URLs: its stored values filled in (Zoho's accounts server, a shop).
    let (client, provider) = (&target.client, &target.provider);
    let values = provider
        .stored_values(&record.metadata)
        .map_err(OAuthError::from)?;
    let endpoint = match &record.refresh_token {
        Some(_) => &provider.endpoints.refresh,
        None => &provider.endpoints.token,
    };
    let url = &endpoint.fill(&values).map_err(OAuthError::from)?;
    match &record.refresh_token {
        Some(sealed) => {
            let keys = ctx
                .keyring()
                .await
                .map_err(OAuthError::from)?
                .keys_for([sealed])
                .await
                .map_err(OAuthError::from)?;
            let refresh = keys
                .open(record_id(record), field::REFRESH_TOKEN, sealed)
                .map_err(OAuthError::from)?;
            let refresh = &refresh;
            with_secret_fallback(ctx, client, provider, url, None, |grant| async move {
                grant.refresh(refresh).await
            })
            .await
            .map_err(AttemptError::from)
        }
        None if record.grant_type == "client_credentials" => {
            with_secret_fallback(ctx, client, provider, url, None, |grant| async move {
                grant.client_credentials(&record.scopes).await
            })
            .await
            .map_err(AttemptError::from)
        }
        None => Err(AttemptError::Grant(GrantError::Rejected {
            code: "invalid_grant".into(),
            description: Some("no refresh token is stored".into()),
        })),
    }
}
