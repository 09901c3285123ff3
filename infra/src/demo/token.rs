//! The token endpoint (RFC 6749 §3.2): the `authorization_code` grant with PKCE (§4.1.3, RFC 7636
//! §4.6) and the `refresh_token` grant (§6), whose refresh tokens rotate.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::json;

use super::client_auth::{self, ClientAuthError};
use super::grants::{GrantError, IssuedTokens};
use super::params::{Params, RepeatedParameter, is_form};
use super::{DemoProvider, pkce, scope};

/// A token request refused, answered as RFC 6749 §5.2 says.
#[derive(Debug, thiserror::Error)]
pub(super) enum TokenError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("client authentication failed")]
    InvalidClient,
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error("redirect_uri differs from the authorization request's")]
    RedirectUriMismatch,
    #[error("code_verifier does not match the code_challenge")]
    VerifierMismatch,
    #[error("the scope is malformed")]
    MalformedScope,
    #[error("grant_type {0:?} is not supported; use authorization_code or refresh_token")]
    UnsupportedGrantType(String),
}

impl TokenError {
    /// The `error` code of RFC 6749 §5.2.
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::Grant(GrantError::ScopeBeyondGrant) | Self::MalformedScope => "invalid_scope",
            Self::Grant(_) | Self::RedirectUriMismatch | Self::VerifierMismatch => "invalid_grant",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
        }
    }
}

impl From<ClientAuthError> for TokenError {
    fn from(e: ClientAuthError) -> Self {
        match e {
            ClientAuthError::SeveralMethods => Self::InvalidRequest(e.to_string()),
            ClientAuthError::Failed => Self::InvalidClient,
        }
    }
}

impl From<RepeatedParameter> for TokenError {
    fn from(e: RepeatedParameter) -> Self {
        Self::InvalidRequest(e.to_string())
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        tracing::info!(error = self.code(), reason = %self, "demo provider: token request refused");
        let body = Json(json!({"error": self.code(), "error_description": self.to_string()}));
        let headers = [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")];
        if matches!(self, Self::InvalidClient) {
            let challenge = [(WWW_AUTHENTICATE, r#"Basic realm="demo""#)];
            (StatusCode::UNAUTHORIZED, challenge, headers, body).into_response()
        } else {
            (StatusCode::BAD_REQUEST, headers, body).into_response()
        }
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    scope: String,
}

/// `POST /demo/token`: authenticates the client, then runs its grant.
pub(super) async fn exchange(
    State(provider): State<Arc<DemoProvider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, TokenError> {
    if !is_form(&headers) {
        return Err(TokenError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    let params = Params::parse(&body)?;
    client_auth::authenticate(&provider.client, &headers, &params)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| required("grant_type"))?;
    let tokens = match grant_type {
        "authorization_code" => provider.exchange_code(&params)?,
        "refresh_token" => provider.refresh(&params)?,
        other => return Err(TokenError::UnsupportedGrantType(other.to_string())),
    };
    tracing::info!(client_id = %provider.client.client_id, grant_type, scope = %tokens.scope, "demo provider: tokens issued");
    let response = TokenResponse {
        access_token: tokens.access_token,
        token_type: "Bearer",
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
        scope: tokens.scope,
    };
    let headers = [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")];
    Ok((headers, Json(response)).into_response())
}

impl DemoProvider {
    /// The `authorization_code` grant: a one-time, unexpired code of this client, the same
    /// redirect URI, and a verifier matching the code's challenge.
    fn exchange_code(&self, params: &Params) -> Result<IssuedTokens, TokenError> {
        let code = params.get("code").ok_or_else(|| required("code"))?;
        let redirect_uri = params
            .get("redirect_uri")
            .ok_or_else(|| required("redirect_uri"))?;
        let verifier = params
            .get("code_verifier")
            .ok_or_else(|| required("code_verifier"))?;
        let redeemed = self.grants.redeem_code(code, &self.client.client_id)?;
        if redeemed.redirect_uri != redirect_uri {
            return Err(TokenError::RedirectUriMismatch);
        }
        if !pkce::verifier_matches(verifier, &redeemed.code_challenge) {
            return Err(TokenError::VerifierMismatch);
        }
        Ok(self
            .grants
            .issue_tokens(&redeemed.grant, &redeemed.grant.scope))
    }

    /// The `refresh_token` grant: spends the refresh token and issues a new pair, optionally with
    /// a narrower scope for the access token.
    fn refresh(&self, params: &Params) -> Result<IssuedTokens, TokenError> {
        let token = params
            .get("refresh_token")
            .ok_or_else(|| required("refresh_token"))?;
        let requested = params
            .get("scope")
            .map(scope::normalize)
            .transpose()
            .map_err(|_| TokenError::MalformedScope)?
            .filter(|s| !s.is_empty());
        let grant =
            self.grants
                .spend_refresh_token(token, &self.client.client_id, requested.as_deref())?;
        let access_scope = requested.unwrap_or_else(|| grant.scope.clone());
        Ok(self.grants.issue_tokens(&grant, &access_scope))
    }
}

/// The error for a missing required parameter.
fn required(name: &str) -> TokenError {
    TokenError::InvalidRequest(format!("{name} is required"))
}
