//! Building responses.

use http::header::{CONTENT_TYPE, HeaderValue};
use lambda_http::{Body, Response};
use serde::Serialize;

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value)
        .unwrap_or_else(|_| r#"{"error":"internal_error"}"#.to_string());
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// The headers every HTML page authbridge serves carries: no scripts, no framing, no referrer
/// (a return URL carries the authorization code), no sniffing, no caching.
pub const PAGE_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("cache-control", "no-store"),
];

/// An HTML page with `status`, with [`PAGE_HEADERS`].
pub fn html(status: u16, page: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(page));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for (name, value) in PAGE_HEADERS {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

/// True when the caller is a browser asking for a page: its `Accept` names `text/html` (with a
/// quality above 0) and prefers nothing JSON over it (RFC 9110 §12.5.1). No `Accept`, `*/*`, or a
/// JSON preference is answered with JSON.
pub fn wants_html(headers: &http::HeaderMap) -> bool {
    let Some(accept) = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let quality = |wanted: &str| {
        accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let media = parts.next()?.trim();
                if !media.eq_ignore_ascii_case(wanted) {
                    return None;
                }
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some(q)
            })
            .fold(0.0_f32, f32::max)
    };
    let html = quality("text/html");
    html > 0.0 && html > quality("application/json")
}

/// A redirect (`302` or `303`) to `location`.
pub fn redirect(status: u16, location: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::FOUND);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(http::header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    // The URL redirected from may carry a code or a state: the next page must not learn it.
    response
        .headers_mut()
        .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

/// A response with `status` and no body (`204`).
pub fn empty(status: u16) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: Option<&str>) -> bool {
        let mut headers = http::HeaderMap::new();
        if let Some(v) = value {
            headers.insert(http::header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        wants_html(&headers)
    }

    #[test]
    fn only_a_browsers_preference_for_html_gets_a_page() {
        assert!(accept(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(accept(Some("TEXT/HTML")));
        assert!(!accept(None));
        assert!(!accept(Some("*/*")));
        assert!(!accept(Some("application/json")));
        assert!(!accept(Some("application/json, text/html;q=0.5")));
        assert!(!accept(Some("text/html;q=0")));
        assert!(!accept(Some("text/html-fragment")));
        assert!(!accept(Some("application/json, text/html")));
    }
}
