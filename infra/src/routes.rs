//! The local stack's routing: the HTTP API's one route table (`authbridge::http::routes`) decides
//! which function serves a request; this module calls that function's handler.

use authbridge::http::ApiError;
use authbridge::http::routes::Function;
pub use authbridge::http::routes::{allowed_methods, match_path, unrouted};
use lambda_http::{Body, Request, Response};

use crate::stack::LocalStack;

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

/// 413: the body is over the local stack's limit.
pub fn payload_too_large() -> ApiError {
    ApiError::new(413, "payload_too_large")
        .with_message("the body is over 1 MiB or could not be read")
}
