//! The one place a registered client's secret is fetched from the secret store and its
//! [`GrantClient`] made: used by every grant that authenticates the client at the token endpoint
//! (authorization code, refresh, client credentials, password).

use secrecy::SecretString;
use url::Url;

use super::context::OAuthContext;
use super::error::OAuthError;
use super::flow::auth_method;
use super::grant::GrantClient;
use crate::domain::OAuthClient;
use crate::providers::ResolvedProvider;

/// A grant client for `client` at `provider`'s token endpoint `token` (the connection's token or
/// refresh URL, its values filled in), authenticated with the client's secret (RFC 6749 §2.3.1, in the way the provider
/// asks for). `redirect_uri` is needed by the code exchange only.
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
