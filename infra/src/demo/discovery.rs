//! `GET /demo/.well-known/openid-configuration`: the provider's metadata (OpenID Connect Discovery
//! §3, RFC 8414 §2), so a client configured with the issuer alone finds the endpoints.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::DemoProvider;

/// The metadata document.
pub(super) async fn document(State(provider): State<Arc<DemoProvider>>) -> Json<Value> {
    Json(json!({
        "issuer": provider.issuer,
        "authorization_endpoint": provider.endpoint("authorize"),
        "token_endpoint": provider.endpoint("token"),
        "userinfo_endpoint": provider.endpoint("userinfo"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["profile", "email"],
        "authorization_response_iss_parameter_supported": true,
    }))
}
