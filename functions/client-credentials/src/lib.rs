//! client-credentials: runs the grants that need no browser for API callers, authorised by a bearer
//! API token. `POST /oauth/token` with JSON
//! `{"client": ID, "grant": "client_credentials" | "password", "scopes": [...], "tag": T,
//! "owner": O, "replace": false, "username": ..., "password": ...}`; answers 200 with the stored
//! record, redacted. A tag that holds a connection is refused with 409 `connection_exists` unless
//! `replace` is true. A grant the provider refuses is a 400 `provider_rejected` with the
//! provider's code, or a 502 when it refuses the client itself.
//!
//! This file parses, authorises and answers; the grant itself, the record and the rule for writing
//! it are the service's (`authbridge::oauth::direct_grant`).
//!
//! The password grant is for legacy providers only: RFC 9700 §2.4 forbids it for new work.

use std::sync::Arc;

use authbridge::config::Env;
use authbridge::domain::Endpoint;
use authbridge::http::api_auth;
use authbridge::http::request::parse_body;
use authbridge::http::{ApiError, error::respond, response};
use authbridge::oauth::direct_grant::{self, TokenRequest};
use authbridge::oauth::flow::Initiator;
use authbridge::oauth::grant::GrantError;
use authbridge::oauth::records::TokenView;
use authbridge::oauth::{OAuthContext, OAuthError};
use lambda_http::{Body, Request, Response};

/// What client-credentials builds at cold start.
pub struct Context {
    pub oauth: Arc<OAuthContext>,
}

impl Context {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Context {
            oauth: Arc::new(OAuthContext::from(env).await?),
        })
    }
}

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    respond(run(&context, &req).await)
}

async fn run(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != lambda_http::http::Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let token = api_auth::authorize(context.oauth.api_tokens(), req, Endpoint::OauthToken).await?;
    let request = parse_body::<TokenRequest>(req)?.check()?;
    let connected = direct_grant::run(&context.oauth, request, &Initiator::api_token(&token))
        .await
        .map_err(refusal)?;
    Ok(response::json(200, &TokenView::from(&connected.record)))
}

/// The answer to a failed grant. The provider refusing what the caller asked for (a wrong
/// username or password, a scope or grant type the client may not use: RFC 6749 §5.2) is the
/// caller's to fix, so a 400 with the provider's code; only its refusal of the client itself
/// (`invalid_client`) stays a 502, for an operator to fix.
fn refusal(error: OAuthError) -> ApiError {
    let callers = matches!(
        &error,
        OAuthError::Grant(GrantError::Rejected { code, .. }) if code != "invalid_client"
    );
    let mut answer = ApiError::from(error);
    if callers {
        answer.status = 400;
    }
    answer
}
