//! One log line per request, the same on Lambda and on the local stack: the request id, the route,
//! the status, the duration and, for every 4xx and 5xx, why (`reason`). Every line a handler logs
//! while it runs carries the request id and route too, in its `span`.
//!
//! The route is API Gateway's route key (`GET /tokens/{tag}`), never the query string, which can
//! carry authorization codes. The reason comes from the error that made the response (see
//! [`Reason`]), and errors never carry a secret.

use std::future::Future;
use std::time::Instant;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;
use tracing::Instrument;

/// Why a response is an error, attached as a response extension where the error became the
/// response ([`crate::http::ApiError::into_response`], [`crate::http::page::message`]), and read
/// here for the access line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(pub String);

/// Who asked for what: the id to find every line of one request by, and its route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// Lambda's request id, or API Gateway's (the local stack's) when there is no Lambda context.
    pub request_id: String,
    /// The route key (`POST /oauth/token`).
    pub route: String,
}

impl RequestInfo {
    /// What the request says about itself.
    pub fn of(req: &Request) -> Self {
        let (gateway_id, route_key) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                (ctx.request_id.clone(), ctx.route_key.clone())
            }
            _ => (None, None),
        };
        let request_id = req
            .lambda_context_ref()
            .map(|c| c.request_id.clone())
            .filter(|id| !id.is_empty())
            .or(gateway_id)
            .unwrap_or_else(|| "-".to_string());
        let route = route_key
            .filter(|key| key != "$default")
            .unwrap_or_else(|| format!("{} {}", req.method(), req.uri().path()));
        RequestInfo { request_id, route }
    }
}

/// Runs `handler` for `req` inside a span carrying the request id and route, then logs the
/// access line.
pub async fn observe<F, Fut>(req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let info = RequestInfo::of(&req);
    run(info, handler(req)).await
}

/// Awaits `response` for the request `info` inside its span, then logs the access line.
pub async fn run(
    info: RequestInfo,
    response: impl Future<Output = Response<Body>>,
) -> Response<Body> {
    let span = tracing::info_span!("request", request_id = %info.request_id, route = %info.route);
    let started = Instant::now();
    let response = response.instrument(span).await;
    log(&info, &response, started);
    response
}

/// The access line for a response to the request `info`, begun at `started`.
pub fn log(info: &RequestInfo, response: &Response<Body>, started: Instant) {
    let status = response.status().as_u16();
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (request_id, route) = (info.request_id.as_str(), info.route.as_str());
    if status < 400 {
        tracing::info!(request_id, route, status, duration_ms, "request");
        return;
    }
    let reason = reason(response);
    if status >= 500 {
        tracing::error!(
            request_id,
            route,
            status,
            duration_ms,
            reason,
            "request failed"
        );
    } else {
        tracing::warn!(
            request_id,
            route,
            status,
            duration_ms,
            reason,
            "request refused"
        );
    }
}

/// Why an error response is one: its [`Reason`], else what its JSON body says.
fn reason(response: &Response<Body>) -> String {
    if let Some(Reason(reason)) = response.extensions().get::<Reason>() {
        return reason.clone();
    }
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str::<Value>(text).ok(),
        _ => None,
    };
    body.as_ref()
        .map(reason_from_body)
        .unwrap_or_else(|| format!("HTTP {} (no reason given)", response.status().as_u16()))
}

/// `error: message` (with a provider's error code when there is one) from an error body.
pub fn reason_from_body(body: &Value) -> String {
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    let code = text("error").or(text("code")).or(text("status"));
    let mut reason = match (code, text("message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        (None, Some(message)) => message.to_string(),
        (None, None) => "no reason given".to_string(),
    };
    if let Some(field) = text("field") {
        reason.push_str(&format!(" (field {field})"));
    }
    if let Some(provider) = text("provider_error") {
        reason.push_str(&format!(" (provider said {provider}"));
        if let Some(description) = text("provider_error_description") {
            reason.push_str(&format!(": {description}"));
        }
        reason.push(')');
    }
    // Only the names of the fields in error: their messages may quote what was sent.
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        let fields: Vec<&str> = errors
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|e| e.keys().map(String::as_str))
            .collect();
        if !fields.is_empty() {
            reason.push_str(&format!(" (fields {})", fields.join(", ")));
        }
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reasons_name_the_code_the_message_and_the_provider() {
        assert_eq!(
            reason_from_body(&json!({"error": "invalid_credentials"})),
            "invalid_credentials"
        );
        assert_eq!(
            reason_from_body(&json!({
                "error": "provider_rejected",
                "message": "the provider refused the token request",
                "provider_error": "invalid_grant",
                "provider_error_description": "code expired",
            })),
            "provider_rejected: the provider refused the token request (provider said invalid_grant: code expired)"
        );
        assert_eq!(
            reason_from_body(
                &json!({"status": "error", "message": "Payload error", "errors": [{"email": "missing"}]})
            ),
            "error: Payload error (fields email)"
        );
    }

    #[test]
    fn the_route_is_the_route_key_and_never_the_query() {
        let req = lambda_http::request::from_str(
            &json!({
                "version": "2.0",
                "routeKey": "GET /oauth/return",
                "rawPath": "/oauth/return",
                "rawQueryString": "code=secret-code&state=s",
                "headers": {"host": "x.example"},
                "requestContext": {
                    "http": {"method": "GET", "path": "/oauth/return", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
                    "requestId": "gw-1",
                    "routeKey": "GET /oauth/return",
                    "accountId": "0", "apiId": "a", "domainName": "x.example", "domainPrefix": "x",
                    "stage": "$default", "time": "", "timeEpoch": 0
                },
                "isBase64Encoded": false
            })
            .to_string(),
        )
        .unwrap();
        let info = RequestInfo::of(&req);
        assert_eq!(info.request_id, "gw-1");
        assert_eq!(info.route, "GET /oauth/return");
    }
}
