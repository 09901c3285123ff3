//! Running the grants against a provider's token endpoint with the `oauth2` crate: authorization
//! code with PKCE (RFC 6749 §4.1, RFC 7636), client credentials (§4.4), the legacy password grant
//! (§4.3; RFC 9700 §2.4 forbids it for new work), and refresh (§6).

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpClientError, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, ResourceOwnerPassword, ResourceOwnerUsername, Scope, StandardRevocableToken,
    TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::outbound::OutboundHttp;
use super::token_http::TokenHttp;
use super::token_response::ProviderTokenResponse;
use crate::providers::{Quirks, ResolvedProvider};

type Oauth2Client = oauth2::Client<
    BasicErrorResponse,
    ProviderTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

type AuthorizeClient = oauth2::Client<
    BasicErrorResponse,
    ProviderTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
>;

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuthMethod {
    /// HTTP Basic (`client_secret_basic`), which every server must support.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
}

/// Why a grant failed. Never carries a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The provider answered with an RFC 6749 §5.2 error (`invalid_grant`, `invalid_client`, ...).
    #[error("the provider refused the request: {code}")]
    Rejected {
        code: String,
        description: Option<String>,
    },
    /// The provider could not be reached or failed (timeout, refused connection, 5xx,
    /// `temporarily_unavailable`): worth trying again later.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider answered something that is not a token response.
    #[error("the provider's answer is not a valid token response: {0}")]
    BadResponse(String),
    /// The provider or client is configured so that the request cannot be made.
    #[error("cannot build the request: {0}")]
    Config(String),
}

impl GrantError {
    /// True for failures worth retrying later.
    pub fn is_transient(&self) -> bool {
        matches!(self, GrantError::Unavailable(_))
    }

    /// The RFC 6749 error code, when the provider sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            GrantError::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The authorization request of one connection (RFC 6749 §4.1.1): the provider's authorization
/// URL with that connection's values filled in, the client id and the redirect URI; no secret.
pub struct AuthorizeRequest {
    client: AuthorizeClient,
    scope_separator: String,
    quirks: Quirks,
}

impl AuthorizeRequest {
    /// The request to `authorize` (the connection's filled-in authorization URL) for the client
    /// `guid`, sending the browser back to `redirect_uri`.
    pub fn new(
        provider: &ResolvedProvider,
        authorize: &Url,
        guid: &str,
        redirect_uri: &Url,
    ) -> Self {
        let client = oauth2::Client::new(oauth2::ClientId::new(guid.to_string()))
            .set_auth_uri(AuthUrl::from_url(authorize.clone()))
            .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
        AuthorizeRequest {
            client,
            scope_separator: provider.scope_separator.clone(),
            quirks: provider.quirks.clone(),
        }
    }

    /// The authorization URL with `state` and the S256 challenge of `pkce_verifier` (RFC 7636
    /// §4.2; none for a provider with `pkce: false`), then the provider's `authorizeParams`. The
    /// same inputs give the same URL, so it can be made again from a stored flow when its
    /// browser opens the link.
    pub fn url(
        &self,
        scopes: &[String],
        state: &str,
        prompt: Option<&str>,
        access_type: Option<&str>,
        pkce_verifier: &str,
    ) -> Url {
        let state = state.to_string();
        let mut request = self.client.authorize_url(move || CsrfToken::new(state));
        if self.quirks.pkce {
            let verifier = PkceCodeVerifier::new(pkce_verifier.to_string());
            request =
                request.set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier));
        }
        if !scopes.is_empty() {
            // One parameter joined with the provider's separator (not every provider uses spaces).
            request = request.add_scope(Scope::new(scopes.join(&self.scope_separator)));
        }
        if let Some(prompt) = prompt {
            request = request.add_extra_param("prompt", prompt.to_string());
        }
        if let Some(access_type) = access_type {
            request = request.add_extra_param("access_type", access_type.to_string());
        }
        for (name, value) in self.quirks.authorize_params.iter() {
            request = request.add_extra_param(name.to_string(), value.to_string());
        }
        request.url().0
    }
}

/// A client of one token endpoint of a provider (for one connection: the code exchange's, or
/// the refresh URL), with one registered client's credentials and the provider's [`Quirks`].
pub struct GrantClient {
    client: Oauth2Client,
    http: TokenHttp,
    scope_separator: String,
    quirks: Quirks,
}

/// A fresh PKCE code verifier (RFC 7636 §4.1): 32 random bytes, base64url.
pub fn new_pkce_verifier() -> String {
    let (_, verifier) = PkceCodeChallenge::new_random_sha256();
    verifier.secret().to_string()
}

impl GrantClient {
    /// A confidential client of the token endpoint `token`, authenticating with `secret` by
    /// `auth`; `redirect_uri` is the one the authorization request used, for the code exchange.
    pub fn confidential(
        provider: &ResolvedProvider,
        token: &Url,
        guid: &str,
        secret: &SecretString,
        auth: ClientAuthMethod,
        redirect_uri: Option<&Url>,
        http: OutboundHttp,
    ) -> Self {
        let mut client = oauth2::Client::new(oauth2::ClientId::new(guid.to_string()))
            .set_token_uri(TokenUrl::from_url(token.clone()))
            .set_auth_type(match auth {
                ClientAuthMethod::Basic => AuthType::BasicAuth,
                ClientAuthMethod::Post => AuthType::RequestBody,
            })
            .set_client_secret(ClientSecret::new(secret.expose_secret().to_string()));
        if let Some(uri) = redirect_uri {
            client = client.set_redirect_uri(RedirectUrl::from_url(uri.clone()));
        }
        let quirks = provider.quirks.clone();
        GrantClient {
            client,
            http: TokenHttp::new(http, quirks.token_headers.clone(), quirks.token_response),
            scope_separator: provider.scope_separator.clone(),
            quirks,
        }
    }

    /// Exchanges an authorization code with its PKCE verifier (RFC 7636 §4.5; none for a
    /// provider with `pkce: false`) and the provider's `tokenParams`.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &str,
    ) -> Result<ProviderTokenResponse, GrantError> {
        let mut request = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()));
        if self.quirks.pkce {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()));
        }
        for (name, value) in self.quirks.token_params.iter() {
            request = request.add_extra_param(name.to_string(), value.to_string());
        }
        request.request_async(&self.http).await.map_err(classify)
    }

    /// The client-credentials grant.
    pub async fn client_credentials(
        &self,
        scopes: &[String],
    ) -> Result<ProviderTokenResponse, GrantError> {
        let mut request = self.client.exchange_client_credentials();
        if !scopes.is_empty() {
            request = request.add_scope(Scope::new(scopes.join(&self.scope_separator)));
        }
        request.request_async(&self.http).await.map_err(classify)
    }

    /// The resource-owner password grant, for legacy providers only.
    pub async fn password(
        &self,
        username: &str,
        password: &SecretString,
        scopes: &[String],
    ) -> Result<ProviderTokenResponse, GrantError> {
        let username = ResourceOwnerUsername::new(username.to_string());
        let password = ResourceOwnerPassword::new(password.expose_secret().to_string());
        let mut request = self.client.exchange_password(&username, &password);
        if !scopes.is_empty() {
            request = request.add_scope(Scope::new(scopes.join(&self.scope_separator)));
        }
        request.request_async(&self.http).await.map_err(classify)
    }

    /// Refreshes with a refresh token (RFC 6749 §6) with the provider's `refreshParams` (this
    /// client's token endpoint is then the connection's refresh URL).
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> Result<ProviderTokenResponse, GrantError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_string());
        let mut request = self.client.exchange_refresh_token(&token);
        for (name, value) in self.quirks.refresh_params.iter() {
            request = request.add_extra_param(name.to_string(), value.to_string());
        }
        request.request_async(&self.http).await.map_err(classify)
    }
}

/// Sorts a failed token request into refused, unavailable and garbage.
fn classify(
    err: RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> GrantError {
    match err {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error().to_string();
            if code == "temporarily_unavailable" || code == "server_error" {
                return GrantError::Unavailable(format!("the provider answered {code}"));
            }
            GrantError::Rejected {
                code,
                description: response.error_description().cloned(),
            }
        }
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => {
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            GrantError::Unavailable(format!("{what}: {}", e.without_url()))
        }
        RequestTokenError::Request(HttpClientError::Other(message)) => {
            GrantError::Unavailable(message)
        }
        RequestTokenError::Request(other) => GrantError::Unavailable(other.to_string()),
        RequestTokenError::Parse(e, _body) => {
            // The body may hold a token: only the parse error's path and kind are kept.
            // serde's message can quote a value, so only its category and position are kept.
            let inner = e.inner();
            GrantError::BadResponse(format!(
                "{:?} error at {} (line {}, column {})",
                inner.classify(),
                e.path(),
                inner.line(),
                inner.column()
            ))
        }
        RequestTokenError::Other(message) => GrantError::BadResponse(message),
    }
}
