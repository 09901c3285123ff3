//! start-auth: steps 1 and 2 of the authorization-code flow.
//!
//! - `POST /oauth/start` (JSON body, `Authorization: Bearer <API token>` allowed `oauth-start`)
//!   makes a flow and answers `{"url", "expires_at", "tag"}`: authbridge's own one-time link.
//! - `GET /oauth/go/{link}` is that link: opened once by a browser, it binds the flow to that
//!   browser with a cookie and sends it (302) to the provider.
//! - `GET /oauth/start` starts nothing: 401, as JSON or as a short page for a browser.

use std::sync::Arc;

use authbridge::clock;
use authbridge::domain::Endpoint;
use authbridge::http::cookie::CookieScope;
use authbridge::http::request::parse_body;
use authbridge::http::routes::{self, Operation};
use authbridge::http::{ApiError, api_auth, error::respond, page, response};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::flow::{self, FlowLink, Initiator, StartRequest};
use authbridge::secrets::ExposeSecret;
use lambda_http::{Body, Request, Response, http};
use serde_json::json;

/// The context start-auth builds at cold start.
pub type Context = OAuthContext;

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    let routed = routes::resolve(&req);
    match routed.as_ref().map(|r| (r.operation(), r.param("link"))) {
        Some((Operation::StartFlow, _)) => respond(start(&context, &req).await),
        Some((Operation::StartFlowFromBrowser, _)) => unauthorized(&req),
        Some((Operation::OpenFlowLink, Some(link))) => go(&context, &req, link).await,
        _ => routes::unrouted(req.uri().path()),
    }
}

/// `POST /oauth/start`.
async fn start(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    let token = api_auth::authorize(context.api_tokens(), req, Endpoint::OauthStart).await?;
    let request = parse_body::<StartRequest>(req)?;
    let urls = context.settings.flow_urls(req.uri()).ok_or_else(|| {
        ApiError::internal(&"no public URL is configured or known from the request")
    })?;
    let started = flow::start(
        context,
        request,
        &urls,
        &Initiator::api_token(&token),
        clock::now(),
    )
    .await?;
    Ok(response::json(
        200,
        &json!({"url": started.url.as_str(), "expires_at": started.expires_at, "tag": started.tag}),
    ))
}

/// `GET /oauth/go/{link}`: bind and redirect, or a page saying why not.
async fn go(context: &Context, req: &Request, raw: &str) -> Response<Body> {
    let Some(link) = FlowLink::parse(raw) else {
        return page::message(
            404,
            "Unknown link",
            "This sign-in link is not valid. Start the connection again from the application that sent you here.",
        );
    };
    let now = clock::now();
    match flow::open(context, &link, now).await {
        Ok(opened) => {
            let cookie = CookieScope::for_flows(&context.settings, req.uri()).set(
                &opened.binding.name,
                opened.binding.value.expose_secret(),
                opened.expires_at - now,
            );
            let mut response = response::redirect(302, opened.authorize_url.as_str());
            if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                response
                    .headers_mut()
                    .append(http::header::SET_COOKIE, value);
            }
            response
        }
        Err(err) => {
            tracing::warn!(code = err.code(), reason = %err, "a flow link was refused");
            let api: ApiError = err.into();
            page::for_error(&api, "Cannot continue", &api.message())
        }
    }
}

/// `GET /oauth/start`: starting needs authority, which a browser link cannot carry.
fn unauthorized(req: &Request) -> Response<Body> {
    const MESSAGE: &str = "Starting a connection needs authority: an application with an API token \
        calls POST /oauth/start (or an operator runs `authbridge connect`) and sends the browser \
        to the one-time link it gets back.";
    let refusal = ApiError::new(401, "unauthorized").with_message(MESSAGE);
    let mut response = if response::wants_html(req.headers()) {
        page::for_error(&refusal, "Not allowed", MESSAGE)
    } else {
        refusal.into_response()
    };
    response.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer"),
    );
    response
}
