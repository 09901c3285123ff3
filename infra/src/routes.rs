//! The local stack's routes: the same paths `template.yaml` gives the HTTP API.

use std::collections::HashMap;

use authbridge::http::ApiError;
use lambda_http::{Body, Request, Response};

use crate::stack::LocalStack;

/// Which function serves a request, as API Gateway would route it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    StartAuth,
    OAuthReturn,
    ClientCredentials,
    LoginAuthenticate,
    WpSyncUser,
    TokenAccess,
}

/// The function for a method and path, with the path parameters; `None` when no route matches.
pub fn route(method: &http::Method, path: &str) -> Option<(Function, HashMap<String, String>)> {
    use http::Method;
    let mut params = HashMap::new();
    // `GET /tokens/{tag}`, `GET /tokens/{tag}/mail` and `POST /tokens/{tag}/refresh`.
    let token_route = match *method {
        Method::GET => path
            .strip_prefix("/tokens/")
            .map(|rest| rest.strip_suffix("/mail").unwrap_or(rest)),
        Method::POST => path
            .strip_prefix("/tokens/")
            .and_then(|rest| rest.strip_suffix("/refresh")),
        _ => None,
    };
    if let Some(tag) = token_route
        && !tag.is_empty()
        && !tag.contains('/')
    {
        // API Gateway hands over the path parameter percent-decoded.
        let decoded = percent_encoding::percent_decode_str(tag)
            .decode_utf8_lossy()
            .into_owned();
        params.insert("tag".to_string(), decoded);
        return Some((Function::TokenAccess, params));
    }
    if method == Method::GET
        && let Some(link) = path.strip_prefix("/oauth/go/")
        && !link.is_empty()
        && !link.contains('/')
    {
        params.insert("link".to_string(), link.to_string());
        return Some((Function::StartAuth, params));
    }
    let function = match (method, path) {
        (&Method::GET | &Method::POST, "/oauth/start") => Function::StartAuth,
        (&Method::GET, "/oauth/return") => Function::OAuthReturn,
        (&Method::POST, "/oauth/token") => Function::ClientCredentials,
        (&Method::POST, "/auth/login" | "/auth/logout") | (&Method::GET, "/auth/me") => {
            Function::LoginAuthenticate
        }
        (&Method::GET | &Method::POST, "/api/v1/wordpress/sync-user") => Function::WpSyncUser,
        (&Method::GET, "/connections") => Function::TokenAccess,
        _ => return None,
    };
    Some((function, params))
}

/// Calls the function's handler, exactly as its Lambda would.
pub async fn dispatch(function: Function, stack: &LocalStack, req: Request) -> Response<Body> {
    match function {
        Function::StartAuth => start_auth::handle(stack.oauth.clone(), req).await,
        Function::OAuthReturn => oauth_return::handle(stack.oauth.clone(), req).await,
        Function::ClientCredentials => {
            client_credentials::handle(stack.client_credentials.clone(), req).await
        }
        Function::LoginAuthenticate => login_authenticate::handle(stack.login.clone(), req).await,
        Function::WpSyncUser => wp_sync_user::handle(stack.wp_sync.clone(), req).await,
        Function::TokenAccess => token_access::handle(stack.token_access.clone(), req).await,
    }
}

/// The methods some route serves at `path` (for a 405's `Allow`), or `None` when no route has it.
pub fn allowed_methods(path: &str) -> Option<String> {
    let allowed: Vec<&str> = [http::Method::GET, http::Method::POST]
        .iter()
        .filter(|method| route(method, path).is_some())
        .map(http::Method::as_str)
        .collect();
    (!allowed.is_empty()).then(|| allowed.join(", "))
}

/// The answer when no route matches: 405 with `Allow` when the path has routes for other
/// methods, else 404.
pub fn unrouted(path: &str) -> Response<Body> {
    let Some(allow) = allowed_methods(path) else {
        return ApiError::not_found("route").into_response();
    };
    let mut response = ApiError::method_not_allowed().into_response();
    if let Ok(value) = http::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(http::header::ALLOW, value);
    }
    response
}

/// 413: the body is over the local stack's limit.
pub fn payload_too_large() -> ApiError {
    ApiError::new(413, "payload_too_large")
        .with_message("the body is over 1 MiB or could not be read")
}
