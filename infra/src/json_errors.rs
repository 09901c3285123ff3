//! The errors axum answers by itself (a 405 on the index or demo routes, a refused extractor) made
//! JSON like every other error of the local stack, keeping their status and `Allow`.

use authbridge::http::ApiError;
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::response::Response;

use crate::{apigw, routes};

/// How much of a plain-text error body is kept as the JSON message.
const MAX_TEXT: usize = 4096;

/// A layer's function (`axum::middleware::map_response`): a 4xx or 5xx without a body type or
/// with a plain-text one becomes the JSON error of its status; every other response is unchanged.
pub async fn as_json(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if status.as_u16() < 400 || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let error = match status.as_u16() {
        404 => ApiError::not_found("route"),
        405 => ApiError::method_not_allowed(),
        413 => routes::payload_too_large(),
        code => {
            let name = status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
                .replace([' ', '-'], "_");
            let message = if text.is_empty() { name.clone() } else { text };
            ApiError::new(code, name).with_message(message)
        }
    };
    let mut json = apigw::to_http_response(error.into_response());
    if let Some(allow) = parts.headers.get(ALLOW) {
        json.headers_mut().insert(ALLOW, allow.clone());
    }
    json
}
