//! The userinfo endpoint: the one demo user, for a live Bearer access token (RFC 6750 §2.1).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CACHE_CONTROL, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use serde_json::json;

use super::DemoProvider;

/// The demo user's subject identifier.
pub(super) const DEMO_SUB: &str = "demo-user";
/// The demo user's name.
pub(super) const DEMO_NAME: &str = "Demo User";
/// The demo user's email address (a reserved `.test` domain).
pub(super) const DEMO_EMAIL: &str = "demo.user@example.test";

/// Why a userinfo request was refused; both are 401 with a `WWW-Authenticate: Bearer` challenge.
#[derive(Debug, thiserror::Error)]
pub(super) enum UserinfoError {
    /// No Bearer token: the challenge carries no error code (RFC 6750 §3.1).
    #[error("an access token is required: Authorization: Bearer <token>")]
    NoToken,
    /// A token that is unknown, expired or revoked.
    #[error("the access token is unknown, expired or revoked")]
    InvalidToken,
}

impl IntoResponse for UserinfoError {
    fn into_response(self) -> Response {
        let (challenge, body) = match self {
            Self::NoToken => (
                r#"Bearer realm="demo""#,
                json!({"error_description": self.to_string()}),
            ),
            Self::InvalidToken => (
                r#"Bearer realm="demo", error="invalid_token""#,
                json!({"error": "invalid_token", "error_description": self.to_string()}),
            ),
        };
        (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, challenge), (CACHE_CONTROL, "no-store")],
            Json(body),
        )
            .into_response()
    }
}

/// `GET /demo/userinfo`: the demo user's claims.
pub(super) async fn userinfo(
    State(provider): State<Arc<DemoProvider>>,
    headers: HeaderMap,
) -> Result<Response, UserinfoError> {
    let token = bearer_token(&headers).ok_or(UserinfoError::NoToken)?;
    provider
        .grants
        .access_token(token)
        .ok_or(UserinfoError::InvalidToken)?;
    let claims = json!({"sub": DEMO_SUB, "name": DEMO_NAME, "email": DEMO_EMAIL});
    Ok(([(CACHE_CONTROL, "no-store")], Json(claims)).into_response())
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
