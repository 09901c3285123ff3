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
//! - `GET /connections` lists the connections within the API token's scope.
//!
//! This file routes a request and checks the API token its route asks for, once; each operation
//! then reads the rest of the request and makes one call for its answer ([`tokens`],
//! [`connections`]). A token read or refresh reads its record in the same round trip as the API
//! token ([`ReadAhead`]); the record is looked at only once the token is allowed, and a refusal is
//! answered as if it had not been read. A token read of a tag the process knows is due, by an API
//! token it keeps, takes the record's lease without reading it first ([`Refresher::due`]).
//!
//! Waiting for another caller's refresh ends in time to answer within the function's timeout
//! (the invocation's deadline): past it, 503 `refresh_in_progress` with `Retry-After`.
//!
//! It is a function of its own rather than a second event on the scheduled sweep: an HTTP event
//! and a schedule have different runtimes (`lambda_http` vs `lambda_runtime`), timeouts (a caller
//! waits seconds; a sweep runs up to a minute) and concurrency; both share the refresh code in
//! `authbridge::oauth::refresh`, so a token is refreshed the same way from either.

use std::sync::Arc;
use std::time::Duration;

use authbridge::config::Env;
use authbridge::domain::{Endpoint, Scope, Tag};
use authbridge::http::api_auth;
use authbridge::http::request::query;
use authbridge::http::routes::{self, Authority, Operation, Routed};
use authbridge::http::{ApiError, error::respond};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::refresh::{ReadAhead, Refresher};
use lambda_http::{Body, Request, Response};

pub mod connections;
pub mod tokens;

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

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    respond(serve(&context, &req).await)
}

/// The request's route, the API token that route asks for, then the operation.
async fn serve(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    let routed = routes::resolve(req);
    let Some((call, endpoint)) = routed.as_ref().and_then(Call::of) else {
        return Ok(routes::unrouted(req.uri().path()));
    };
    let authorize = || api_auth::authorize(context.oauth.api_tokens(), req, endpoint);
    match call {
        Call::ListConnections => {
            let scope = authorize().await?.scope;
            let q = query(req);
            connections::serve(context, q, &scope).await
        }
        Call::GetToken(tag) => {
            if let Some(answer) = known_due_read(context, req, endpoint, tag).await {
                return answer;
            }
            let (scope, ahead) = authorized_read(context, req, endpoint, tag).await?;
            tokens::get(context, ahead, &scope).await
        }
        Call::RefreshToken(tag) => {
            let (scope, ahead) = authorized_read(context, req, endpoint, tag).await?;
            tokens::replace(context, ahead, &scope, req.headers()).await
        }
        Call::GetMailSettings(tag) => {
            let scope = authorize().await?.scope;
            tokens::mail(context, &path_tag(tag)?, &scope).await
        }
    }
}

/// The caller's scope and the record under the path's `{tag}`, read in one round trip with the
/// API token ([`api_auth::authorize_alongside`]). A malformed tag reads nothing, and is answered
/// after the API token's refusal, as any route's request is.
async fn authorized_read(
    context: &Context,
    req: &Request,
    endpoint: Endpoint,
    raw: &str,
) -> Result<(Scope, ReadAhead), ApiError> {
    let tokens = context.oauth.api_tokens();
    let tag = match path_tag(raw) {
        Ok(tag) => tag,
        Err(malformed) => {
            api_auth::authorize(tokens, req, endpoint).await?;
            return Err(malformed);
        }
    };
    let read = ReadAhead::read(&context.oauth, &tag);
    let ready = |ahead: ReadAhead| ahead.ready(&context.oauth);
    let (token, ahead) = api_auth::authorize_alongside(tokens, req, endpoint, read, ready).await?;
    Ok((token.scope, ahead))
}

/// `GET /tokens/{tag}` of a tag this process knows is due ([`Refresher::due`]), by an API token
/// whose copy the process keeps and which allows the call and the tag, so that no refusal can
/// follow: the record's lease is taken without reading the record, together with the token's
/// `last_used` write (when due), then the provider, then the outcome's write. `None` otherwise:
/// the read goes the usual way ([`authorized_read`]).
async fn known_due_read(
    context: &Context,
    req: &Request,
    endpoint: Endpoint,
    raw: &str,
) -> Option<Result<Response<Body>, ApiError>> {
    let tag = Tag::parse(raw).ok()?;
    let tokens = context.oauth.api_tokens();
    let token = api_auth::kept(tokens, req, endpoint)?;
    let due = context.refresher.due(&tag, &token.scope)?;
    let (_, answer) = tokio::join!(
        tokens.note_use(&token),
        tokens::get_due(context, due, &token.scope)
    );
    Some(answer)
}

/// The `{tag}` of the path (percent-decoded once, by the route table), parsed: a tag no
/// connection can have is a malformed request (400 `invalid_request`, naming the rule).
fn path_tag(raw: &str) -> Result<Tag, ApiError> {
    Tag::parse(raw).map_err(|e| ApiError::bad_request("invalid_request", e.to_string()))
}

/// A request to one of this function's routes: its operation, with the `{tag}` of the path as
/// the route table decoded it (parsed once the caller is authorized, [`path_tag`]).
enum Call<'a> {
    ListConnections,
    GetToken(&'a str),
    RefreshToken(&'a str),
    GetMailSettings(&'a str),
}

impl<'a> Call<'a> {
    /// The call `routed` makes, with the endpoint its API token must be allowed; `None` when the
    /// route is not this function's.
    fn of(routed: &'a Routed) -> Option<(Self, Endpoint)> {
        let Authority::ApiToken(endpoint) = routed.route.authority else {
            return None;
        };
        let call = match (routed.operation(), routed.param("tag")) {
            (Operation::ListConnections, _) => Call::ListConnections,
            (Operation::GetToken, Some(tag)) => Call::GetToken(tag),
            (Operation::RefreshToken, Some(tag)) => Call::RefreshToken(tag),
            (Operation::GetMailSettings, Some(tag)) => Call::GetMailSettings(tag),
            _ => return None,
        };
        Some((call, endpoint))
    }
}
