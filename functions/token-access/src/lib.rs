//! token-access: other services' way to a usable access token, authorised by a bearer API token.
//!
//! - `GET /tokens/{tag}` answers the token, refreshing it first when it is within its refresh
//!   margin, with the token's version as `ETag`.
//! - `POST /tokens/{tag}/refresh` with `If-Match: <that version>` is for a caller whose token the
//!   resource server rejected: it refreshes only if the stored token is still that version, and
//!   otherwise answers the newer token (200 either way), so many such callers share one refresh.
//! - `GET /tokens/{tag}/mail` answers the provider's mail settings filled in for the token's
//!   resource owner, a fresh access token and each server's SASL `XOAUTH2` initial response
//!   (`authbridge::oauth::mail`).
//!
//! Waiting for another caller's refresh ends in time to answer within the function's timeout
//! (the invocation's deadline): past it, 503 `refresh_in_progress` with `Retry-After`.
//!
//! It is a function of its own rather than a second event on the scheduled sweep: an HTTP event
//! and a schedule have different runtimes (`lambda_http` vs `lambda_runtime`), timeouts (a caller
//! waits seconds; a sweep runs up to a minute) and concurrency; both share the refresh code in
//! `authbridge::oauth::refresh`, so a token is refreshed the same way from either.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use authbridge::config::Env;
use authbridge::domain::token::TokenVersion;
use authbridge::domain::{Endpoint, Scope};
use authbridge::http::api_auth;
use authbridge::http::routes::{self, Operation, Routed};
use authbridge::http::{ApiError, error::respond, response};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::mail;
use authbridge::oauth::refresh::{self, FreshToken, Refresher};
use authbridge::secrets::ExposeSecret;
use lambda_http::http::HeaderValue;
use lambda_http::http::header::{ETAG, IF_MATCH};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use tokio::time::Instant;

/// The function's timeout, used when a request carries no invocation deadline (the local stack):
/// the template's `Timeout` of `TokenAccess`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(29);

/// What the function builds at cold start.
pub struct Context {
    pub oauth: Arc<OAuthContext>,
    pub refresher: Refresher,
}

impl Context {
    /// The context around a shared OAuth context.
    pub fn new(oauth: Arc<OAuthContext>) -> Self {
        Context {
            oauth,
            refresher: Refresher::default(),
        }
    }

    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Context::new(Arc::new(OAuthContext::from(env).await?)))
    }
}

pub mod connections;

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    respond(serve(&context, &req).await)
}

/// Until when this request may wait for a refresh or start one: from the invocation's deadline.
fn start_by(context: &Context, req: &Request) -> Instant {
    let left = req
        .lambda_context_ref()
        .and_then(|c| c.deadline().duration_since(SystemTime::now()).ok())
        .filter(|left| !left.is_zero())
        .unwrap_or(DEFAULT_TIMEOUT);
    refresh::start_by(&context.oauth, Instant::now() + left)
}

async fn serve(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    let Some(routed) = routes::resolve(req) else {
        return Ok(routes::unrouted(req.uri().path()));
    };
    let replace = match routed.operation() {
        Operation::ListConnections => return connections::serve(context, req).await,
        Operation::GetMailSettings => return mail(context, req, &routed).await,
        Operation::GetToken => false,
        Operation::RefreshToken => true,
        _ => return Ok(routes::unrouted(req.uri().path())),
    };
    let (tag, scope) = authorized_tag(context, req, &routed).await?;
    let start_by = start_by(context, req);
    let result = if replace {
        let seen = if_match(req)?;
        context
            .refresher
            .replace_token(&context.oauth, &tag, &scope, seen, start_by)
            .await
    } else {
        context
            .refresher
            .fresh_token(&context.oauth, &tag, &scope, start_by)
            .await
    };
    match result {
        Ok(token) => Ok(answer(&token)),
        Err(e) => Err(e.into()),
    }
}

/// The request's `{tag}` and the scope of its API token, once the token is found allowed the
/// token routes. A record outside that scope is answered as an unknown tag is (404), so a scope
/// does not tell which tags exist.
async fn authorized_tag(
    context: &Context,
    req: &Request,
    routed: &Routed,
) -> Result<(String, Scope), ApiError> {
    let token = api_auth::authorize(
        context.oauth.app.stores.api_tokens.as_ref(),
        req,
        Endpoint::Tokens,
    )
    .await?;
    let tag = routed
        .param("tag")
        .map(str::to_string)
        .ok_or_else(|| ApiError::bad_request("invalid_request", "the tag is missing"))?;
    Ok((tag, token.scope))
}

/// `GET /tokens/{tag}/mail`: the same authority as `GET /tokens/{tag}`.
async fn mail(
    context: &Context,
    req: &Request,
    routed: &Routed,
) -> Result<Response<Body>, ApiError> {
    let (tag, scope) = authorized_tag(context, req, routed).await?;
    let access = mail::mail_access(
        &context.oauth,
        &context.refresher,
        &tag,
        &scope,
        start_by(context, req),
    )
    .await?;
    let mut response = response::json(200, &access.to_json());
    if let Ok(etag) = HeaderValue::from_str(&access.token.version.etag()) {
        response.headers_mut().insert(ETAG, etag);
    }
    Ok(response)
}

/// The version in `If-Match`: required, one entity tag.
fn if_match(req: &Request) -> Result<TokenVersion, ApiError> {
    let header = req.headers().get(IF_MATCH).ok_or_else(|| {
        ApiError::new(428, "if_match_required")
            .with_message("send If-Match with the ETag of the token that was rejected")
    })?;
    header
        .to_str()
        .ok()
        .and_then(TokenVersion::from_if_match)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_request",
                "If-Match must be one ETag of GET /tokens/{tag}",
            )
        })
}

/// 200 with the token, and its version as `ETag`.
fn answer(token: &FreshToken) -> Response<Body> {
    let mut response = response::json(
        200,
        &json!({
            "access_token": token.access_token.expose_secret(),
            "token_type": token.token_type,
            "expires_at": token.expires_at,
            "scopes": token.scopes,
        }),
    );
    if let Ok(etag) = HeaderValue::from_str(&token.version.etag()) {
        response.headers_mut().insert(ETAG, etag);
    }
    response
}
