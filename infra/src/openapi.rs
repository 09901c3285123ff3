//! The HTTP API's OpenAPI 3.1 document (`docs/openapi.json`), served by the local stack at
//! `/openapi.json`. `infra/tests/openapi_document.rs` holds it to the routes; schemathesis holds
//! the running stack to it (`infra/api-test.sh`).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

/// The document, as kept in the repository.
pub const DOCUMENT: &str = include_str!("../../docs/openapi.json");

/// Where the local stack serves it.
pub const PATH: &str = "/openapi.json";

async fn serve() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-cache"),
        ],
        DOCUMENT,
    )
}

/// The `/openapi.json` route.
pub fn router() -> axum::Router {
    axum::Router::new().route(PATH, axum::routing::get(serve))
}
