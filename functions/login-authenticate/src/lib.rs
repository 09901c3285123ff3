//! Logs users in: local users first, WordPress as the migration fallback.

use std::sync::Arc;

use authbridge::context::AppContext;
use authbridge::http::ApiError;
use lambda_http::{Body, Request, Response};

/// Handles one request.
pub async fn handle(_context: Arc<AppContext>, _request: Request) -> Response<Body> {
    ApiError::not_implemented("login-authenticate").into_response()
}
