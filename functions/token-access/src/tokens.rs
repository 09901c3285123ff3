//! The token routes, each one call to the refresher or the mail service: `GET /tokens/{tag}`,
//! `POST /tokens/{tag}/refresh` (with `If-Match`) and `GET /tokens/{tag}/mail`. A record outside
//! the API token's scope is answered as an unknown tag is (404), so a scope does not tell which
//! tags exist.

use authbridge::deadline;
use authbridge::domain::token::TokenVersion;
use authbridge::domain::{Scope, Tag};
use authbridge::http::{ApiError, response};
use authbridge::oauth::mail;
use authbridge::oauth::refresh::{self, DueHint, FreshToken, ReadAhead};
use authbridge::secrets::ExposeSecret;
use lambda_http::http::header::{ETAG, IF_MATCH};
use lambda_http::http::{HeaderMap, HeaderValue};
use lambda_http::{Body, Response};
use serde_json::json;
use tokio::time::Instant;

use crate::{Context, DEFAULT_TIMEOUT};

/// `GET /tokens/{tag}`: the token, refreshed first when it is within its margin, from its record
/// read alongside the API token.
pub async fn get(
    context: &Context,
    ahead: ReadAhead,
    scope: &Scope,
) -> Result<Response<Body>, ApiError> {
    let token = context
        .refresher
        .fresh_token_from(&context.oauth, ahead, scope, start_by(context))
        .await?;
    Ok(answer(&token))
}

/// `GET /tokens/{tag}` of a tag this process knows is due ([`refresh::Refresher::due`]): the
/// token refreshed, its lease taken without reading the record first.
pub async fn get_due(
    context: &Context,
    due: DueHint,
    scope: &Scope,
) -> Result<Response<Body>, ApiError> {
    let token = context
        .refresher
        .fresh_token_due(&context.oauth, due, scope, start_by(context))
        .await?;
    Ok(answer(&token))
}

/// `POST /tokens/{tag}/refresh`: a token to replace the one `If-Match` names, from its record
/// read alongside the API token.
pub async fn replace(
    context: &Context,
    ahead: ReadAhead,
    scope: &Scope,
    headers: &HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let seen = if_match(headers)?;
    let token = context
        .refresher
        .replace_token_from(&context.oauth, ahead, scope, seen, start_by(context))
        .await?;
    Ok(answer(&token))
}

/// `GET /tokens/{tag}/mail`: the mail settings with a usable token.
pub async fn mail(context: &Context, tag: &Tag, scope: &Scope) -> Result<Response<Body>, ApiError> {
    let access = mail::mail_access(
        &context.oauth,
        &context.refresher,
        tag,
        scope,
        start_by(context),
    )
    .await?;
    let mut response = response::json(200, &access.to_json());
    with_etag(&mut response, &access.token.version);
    Ok(response)
}

/// Until when a request may wait for a refresh or start one: from the invocation's deadline
/// ([`deadline::current`]), or the function's timeout when it has none (the local stack).
fn start_by(context: &Context) -> Instant {
    let answer_by = deadline::current().unwrap_or_else(|| Instant::now() + DEFAULT_TIMEOUT);
    refresh::start_by(&context.oauth, answer_by)
}

/// The version in `If-Match`: required, one entity tag.
fn if_match(headers: &HeaderMap) -> Result<TokenVersion, ApiError> {
    let header = headers.get(IF_MATCH).ok_or_else(|| {
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
            "metadata": token.metadata,
            "refresh_token_expires_at": token.refresh_token_expires_at,
        }),
    );
    with_etag(&mut response, &token.version);
    response
}

/// Sets the token's version as the answer's `ETag`.
fn with_etag(response: &mut Response<Body>, version: &TokenVersion) {
    if let Ok(etag) = HeaderValue::from_str(&version.etag()) {
        response.headers_mut().insert(ETAG, etag);
    }
}
