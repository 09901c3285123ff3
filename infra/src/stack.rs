//! The local stack itself: the functions' contexts, built once, and the router that converts each
//! request to the API Gateway shape and hands it to the function API Gateway would call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use authbridge::context::AppContext;
use authbridge::http::routes::Function;
use authbridge::http::{ApiError, access_log};
use authbridge::oauth::OAuthContext;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use lambda_http::{Body, Request, Response};

use crate::{apigw, routes};

/// Largest request body the local stack accepts (API Gateway's own limit is higher; no route needs
/// it); [`routes::payload_too_large`] says so.
pub const MAX_BODY: usize = 1 << 20;

/// Every function's context.
pub struct LocalStack {
    pub app: Arc<AppContext>,
    pub oauth: Arc<OAuthContext>,
    pub client_credentials: Arc<client_credentials::Context>,
    pub token_access: Arc<token_access::Context>,
    pub login: Arc<login_authenticate::Context>,
    pub wp_sync: Arc<wp_sync_user::Context>,
    /// The admin console, when the stack serves it ([`LocalStack::with_console`]).
    pub console: Option<Arc<admin_console::Context>>,
}

impl LocalStack {
    /// The stack around one OAuth context (which holds the shared stores and secrets) and the
    /// login function's context.
    /// `ext_id_referencing` is the WordPress option of the same name, shared by login and sync.
    pub fn new(
        oauth: OAuthContext,
        login: login_authenticate::Context,
        ext_id_referencing: bool,
    ) -> Self {
        let app = Arc::new(oauth.app.clone());
        let oauth = Arc::new(oauth);
        LocalStack {
            app,
            client_credentials: Arc::new(client_credentials::Context {
                oauth: oauth.clone(),
            }),
            token_access: Arc::new(token_access::Context::new(oauth.clone())),
            wp_sync: Arc::new(wp_sync_user::Context::new(
                Arc::new(oauth.app.clone()),
                ext_id_referencing,
            )),
            oauth,
            login: Arc::new(login),
            console: None,
        }
    }

    /// The stack serving the admin console with `console` (built over [`LocalStack::oauth`]).
    pub fn with_console(mut self, console: admin_console::Context) -> Self {
        self.console = Some(Arc::new(console));
        self
    }

    /// Calls `function`'s handler with `req`, exactly as its Lambda would.
    pub async fn call(&self, function: Function, req: Request) -> Response<Body> {
        match function {
            Function::StartAuth => start_auth::handle(self.oauth.clone(), req).await,
            Function::OAuthReturn => oauth_return::handle(self.oauth.clone(), req).await,
            Function::ClientCredentials => {
                client_credentials::handle(self.client_credentials.clone(), req).await
            }
            Function::LoginAuthenticate => {
                login_authenticate::handle(self.login.clone(), req).await
            }
            Function::WpSyncUser => wp_sync_user::handle(self.wp_sync.clone(), req).await,
            Function::TokenAccess => token_access::handle(self.token_access.clone(), req).await,
            Function::AdminConsole => match &self.console {
                Some(console) => admin_console::handle(console.clone(), req).await,
                None => routes::unrouted("/"),
            },
        }
    }
}

async fn handle(
    State(stack): State<Arc<LocalStack>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let response = match axum::body::to_bytes(body, MAX_BODY).await {
        Err(_) => refuse(&parts, started, routes::payload_too_large().into_response()),
        Ok(body) => dispatch(&stack, &parts, &body, peer, started).await,
    };
    apigw::to_http_response(response)
}

/// Hands the request to its function as API Gateway would; the function's run is logged like a
/// Lambda invocation ([`access_log`]).
async fn dispatch(
    stack: &LocalStack,
    parts: &http::request::Parts,
    body: &Bytes,
    peer: SocketAddr,
    started: Instant,
) -> Response<Body> {
    let Some(routed) = routes::match_path(parts.method.as_str(), parts.uri.path()) else {
        return refuse(parts, started, routes::unrouted(parts.uri.path()));
    };
    match apigw::to_lambda_request(parts, body, peer, &routed) {
        Ok(req) => {
            let info = access_log::RequestInfo::of(&req);
            access_log::run(info, stack.call(routed.route.function, req)).await
        }
        Err(e) => refuse(
            parts,
            started,
            ApiError::bad_request("invalid_request", e).into_response(),
        ),
    }
}

/// A request answered before any function ran (no route, a bad body), logged all the same.
fn refuse(
    parts: &http::request::Parts,
    started: Instant,
    response: Response<Body>,
) -> Response<Body> {
    let info = access_log::RequestInfo {
        request_id: uuid::Uuid::new_v4().to_string(),
        route: format!("{} {}", parts.method, parts.uri.path()),
    };
    access_log::log(&info, &response, started);
    response
}

/// The functions' router: every path API Gateway routes, a JSON 405 for another method on one of
/// them, and a JSON 404 for the rest.
pub fn router(stack: Arc<LocalStack>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(stack)
}
