//! start-auth: step 1 of the authorization-code flow. Makes a one-time state and a PKCE verifier,
//! stores them with a TTL, and sends the browser to the provider (302), or answers
//! `{"url": ...}` to API callers.
//!
//! `GET /oauth/start?client=ID&scopes=a,b&landing_url=URL&tag=T&prompt=P&ttl=S`, or `POST` with the
//! same fields as JSON (`scopes` an array).

use std::sync::Arc;

use authbridge::clock;
use authbridge::http::request::{parse_body, query};
use authbridge::http::{ApiError, error::respond, response};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::flow::{self, StartRequest};
use lambda_http::{Body, Request, Response, http};
use serde_json::json;

/// The context start-auth builds at cold start.
pub type Context = OAuthContext;

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    respond(start(&context, &req).await)
}

async fn start(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    let (request, wants_json) = match *req.method() {
        http::Method::GET => (from_query(req)?, wants_json(req)),
        http::Method::POST => (parse_body::<StartRequest>(req)?, true),
        _ => return Err(ApiError::method_not_allowed()),
    };
    let redirect_uri = context.settings.redirect_for(req.uri()).ok_or_else(|| {
        ApiError::internal(&"no public URL is configured or known from the request")
    })?;
    let started = flow::start(context, request, redirect_uri, clock::now()).await?;
    if wants_json {
        Ok(response::json(
            200,
            &json!({"url": started.url.as_str(), "expires_at": started.expires_at}),
        ))
    } else {
        Ok(response::redirect(302, started.url.as_str()))
    }
}

/// True when a GET caller asked for JSON (`Accept: application/json` or `format=json`).
fn wants_json(req: &Request) -> bool {
    let accept = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") || query(req).get("format").is_some_and(|f| f == "json")
}

/// The start request from query parameters; `scopes` is comma-separated.
fn from_query(req: &Request) -> Result<StartRequest, ApiError> {
    let mut q = query(req);
    let ttl = q
        .remove("ttl")
        .map(|raw| {
            raw.parse::<u64>().map_err(|_| {
                ApiError::bad_request("invalid_request", "ttl must be a whole number of seconds")
            })
        })
        .transpose()?;
    Ok(StartRequest {
        client: q
            .remove("client")
            .ok_or_else(|| ApiError::bad_request("invalid_request", "client is required"))?,
        scopes: q.remove("scopes").map(|s| {
            s.split([',', ' '])
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        }),
        landing_url: q.remove("landing_url"),
        tag: q.remove("tag"),
        prompt: q.remove("prompt"),
        ttl,
    })
}
