//! The one place a registered client's secret is fetched from the secret store and its
//! [`GrantClient`] made: used by every grant that authenticates the client at the token endpoint
//! (authorization code, refresh, client credentials, password).

use url::Url;

use super::context::OAuthContext;
use super::error::OAuthError;
use super::flow::auth_method;
use super::grant::GrantClient;
use crate::domain::OAuthClient;
use crate::providers::ResolvedProvider;

/// A grant client for `client` at `provider`, authenticated with the client's secret (RFC 6749
/// §2.3.1, in the way the provider asks for). `redirect_uri` is needed by the code exchange only.
pub async fn grant_client(
    ctx: &OAuthContext,
    client: &OAuthClient,
    provider: &ResolvedProvider,
    redirect_uri: Option<&Url>,
) -> Result<GrantClient, OAuthError> {
    let secret = ctx
        .app
        .secrets
        .get_secret(&client.secret_name(&ctx.app.config.secret_prefix))
        .await?
        .ok_or_else(|| OAuthError::MissingSecret(client.id.to_string()))?;
    Ok(GrantClient::new(
        provider,
        &client.guid,
        Some(&secret),
        redirect_uri,
        auth_method(provider),
        ctx.http.clone(),
    )?)
}
