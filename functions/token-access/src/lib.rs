//! token-access: `GET /tokens/{tag}` gives other services a usable access token, refreshing it
//! first when it expires within the refresh margin. Authorised by a bearer API token.
//!
//! It is a function of its own rather than a second event on the scheduled sweep: an HTTP event
//! and a schedule have different runtimes (`lambda_http` vs `lambda_runtime`), timeouts (a caller
//! waits seconds; a sweep runs up to a minute) and concurrency; both share the refresh code in
//! `authbridge::oauth::refresh`, so a token is refreshed the same way from either.

use std::sync::Arc;

use authbridge::config::Env;
use authbridge::domain::Endpoint;
use authbridge::http::api_auth;
use authbridge::http::{ApiError, error::respond, response};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::refresh::Refresher;
use authbridge::secrets::ExposeSecret;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;

/// What the function builds at cold start.
pub struct Context {
    pub oauth: Arc<OAuthContext>,
    pub refresher: Refresher,
}

impl Context {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let env = Env::process();
        Ok(Context {
            oauth: Arc::new(OAuthContext::from(&env).await?),
            refresher: Refresher::default(),
        })
    }
}

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    respond(serve(&context, &req).await)
}

/// The `{tag}` path parameter, from API Gateway's map or else the path.
fn tag(req: &Request) -> Option<String> {
    if let Some(tag) = req.path_parameters_ref().and_then(|p| p.first("tag")) {
        return Some(tag.to_string());
    }
    let raw = req.uri().path().strip_prefix("/tokens/")?;
    let decoded = url::form_urlencoded::parse(format!("t={}", raw.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    (!decoded.is_empty()).then_some(decoded)
}

async fn serve(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != lambda_http::http::Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    api_auth::authorize(
        context.oauth.app.stores.api_tokens.as_ref(),
        req,
        Endpoint::Tokens,
    )
    .await?;
    let tag =
        tag(req).ok_or_else(|| ApiError::bad_request("invalid_request", "the tag is missing"))?;
    match context.refresher.fresh_token(&context.oauth, &tag).await {
        Ok(token) => Ok(response::json(
            200,
            &json!({
                "access_token": token.access_token.expose_secret(),
                "token_type": token.token_type,
                "expires_at": token.expires_at,
                "scopes": token.scopes,
            }),
        )),
        Err(e) => Err(e.into()),
    }
}
