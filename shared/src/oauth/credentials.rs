//! The one place a registered client's secret is fetched from the secret store and its
//! [`GrantClient`] made: used by every grant that authenticates the client at the token endpoint
//! (authorization code, refresh, client credentials, password).
//!
//! While a rotation of the client's secret is pending (`authbridge secrets rotate`, see
//! [`crate::secrets::rotation`]), a request the provider refuses with `invalid_client` is sent
//! again with the previous secret: the new secret can be set in authbridge before or after it is
//! registered at the provider, and tokens keep refreshing in between.

use secrecy::SecretString;
use url::Url;

use super::context::OAuthContext;
use super::error::OAuthError;
use super::flow::auth_method;
use super::grant::{GrantClient, GrantError};
use crate::domain::OAuthClient;
use crate::providers::ResolvedProvider;
use crate::secrets::rotation;

/// A grant client for `client` at `provider`'s token endpoint `token` (the connection's token or
/// refresh URL, its values filled in), authenticated with the client's secret (RFC 6749 §2.3.1,
/// in the way the provider asks for). `redirect_uri` is needed by the code exchange only.
pub async fn grant_client(
    ctx: &OAuthContext,
    client: &OAuthClient,
    provider: &ResolvedProvider,
    token: &Url,
    redirect_uri: Option<&Url>,
) -> Result<GrantClient, OAuthError> {
    let secret = client_secret(ctx, client).await?;
    Ok(GrantClient::confidential(
        provider,
        token,
        &client.guid,
        &secret,
        auth_method(provider),
        redirect_uri,
        ctx.http.clone(),
    ))
}

/// Runs `request` with a grant client for the token endpoint `token` (the connection's token or
/// refresh URL, its values filled in), authenticated by the client's current secret and, when the
/// provider refuses the client itself (`invalid_client`) while a rotation of the secret is
/// pending, once more with the previous secret.
pub async fn with_secret_fallback<T, F, Fut>(
    ctx: &OAuthContext,
    client: &OAuthClient,
    provider: &ResolvedProvider,
    token: &Url,
    redirect_uri: Option<&Url>,
    request: F,
) -> Result<T, OAuthError>
where
    F: Fn(GrantClient) -> Fut,
    Fut: std::future::Future<Output = Result<T, GrantError>>,
{
    let name = client.secret_name(&ctx.app.config.secret_prefix);
    let secrets = rotation::versions(ctx.app.secrets.as_ref(), &name)
        .await?
        .ok_or_else(|| OAuthError::MissingSecret(client.id.to_string()))?;
    let grant = |secret: &SecretString| {
        GrantClient::confidential(
            provider,
            token,
            &client.guid,
            secret,
            auth_method(provider),
            redirect_uri,
            ctx.http.clone(),
        )
    };
    match request(grant(&secrets.current)).await {
        Err(GrantError::Rejected { code, .. })
            if code == "invalid_client" && secrets.previous.is_some() =>
        {
            tracing::warn!(
                client = %client.id,
                "the provider refused the client's new secret; used the previous one (its rotation is pending)"
            );
            let previous = secrets
                .previous
                .as_ref()
                .ok_or_else(|| OAuthError::MissingSecret(client.id.to_string()))?;
            Ok(request(grant(previous)).await?)
        }
        other => Ok(other?),
    }
}

/// The client's secret from the secret store; `MissingSecret` when there is none.
pub async fn client_secret(
    ctx: &OAuthContext,
    client: &OAuthClient,
) -> Result<SecretString, OAuthError> {
    ctx.app
        .secrets
        .get_secret(&client.secret_name(&ctx.app.config.secret_prefix))
        .await?
        .ok_or_else(|| OAuthError::MissingSecret(client.id.to_string()))
}
