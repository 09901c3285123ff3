//! The functions the bench starts, and the event each one is invoked with.
//!
//! Every HTTP function gets an API Gateway HTTP API (payload 2.0) request that touches no store and
//! no password (no API token: 403; no session: 401; a method the function does not serve: 405),
//! built on the shape of login-authenticate's fixture; token-refresh gets its EventBridge scheduled-event
//! fixture, which runs a sweep (one query of the due index, nothing due).

use serde_json::{Value, json};

/// An API Gateway HTTP API request of a real shape (login-authenticate's fixture).
const HTTP_EVENT: &str = include_str!("../../../fixtures/events/login.json");
/// An EventBridge scheduled event (token-refresh's fixture).
const SCHEDULED_EVENT: &str = include_str!("../../../fixtures/events/scheduled.json");

/// The floor's package and binary name.
pub const FLOOR: &str = "bench-floor";
/// The floor on one thread, as the functions run (`tests/floor/src/bin`): a reference row.
pub const FLOOR_ONE_THREAD: &str = "bench-floor-one-thread";

/// One function under the bench.
#[derive(Debug, Clone)]
pub struct Function {
    /// Package and binary name (`target/release/<name>`).
    pub name: &'static str,
    /// The request, for the table (`GET /auth/me, no session`).
    pub request: &'static str,
    /// The event, as the Runtime API hands it over.
    pub event: String,
    /// The status the answer must carry (HTTP functions), so a misconfigured run cannot pass for
    /// a fast one.
    pub status: Option<u16>,
    /// Whether the event reads the store, so the invoke goals (for requests that touch no store)
    /// do not apply.
    pub touches_store: bool,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, as template.yaml sets it.
    pub memory_mb: u32,
    /// A second floor, shown for comparison; no goal applies to it.
    pub reference: bool,
}

impl Function {
    /// An HTTP function invoked with `method path` and no credentials.
    fn http(
        name: &'static str,
        method: &str,
        path: &str,
        status: u16,
        request: &'static str,
    ) -> Self {
        Function {
            name,
            request,
            event: http_event(method, path),
            status: Some(status),
            touches_store: false,
            memory_mb: 256,
            reference: false,
        }
    }

    /// Whether `body` (the Runtime API's response body) is the answer this function must give.
    pub fn check(&self, body: &[u8]) -> Result<(), String> {
        let Some(expected) = self.status else {
            return Ok(());
        };
        let answer: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{}: the answer is not JSON ({e})", self.name))?;
        match answer.get("statusCode").and_then(Value::as_u64) {
            Some(got) if got == u64::from(expected) => Ok(()),
            got => Err(format!(
                "{}: expected status {expected} for {}, got {got:?}: {}",
                self.name,
                self.request,
                String::from_utf8_lossy(body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )),
        }
    }
}

/// The floor: any request, 200.
pub fn floor() -> Function {
    Function::http(FLOOR, "GET", "/hello", 200, "GET /hello")
}

/// The floor on one thread, then the seven functions in the order of template.yaml.
pub fn all() -> Vec<Function> {
    let one_thread = Function {
        reference: true,
        ..Function::http(FLOOR_ONE_THREAD, "GET", "/hello", 200, "GET /hello")
    };
    let mut login = Function::http(
        "login-authenticate",
        "GET",
        "/auth/me",
        401,
        "GET /auth/me, no session",
    );
    login.memory_mb = 1024;
    vec![
        one_thread,
        Function::http(
            "start-auth",
            "POST",
            "/oauth/start",
            403,
            "POST /oauth/start, no token",
        ),
        Function::http(
            "oauth-return",
            "POST",
            "/oauth/return",
            405,
            "POST /oauth/return (405)",
        ),
        Function::http(
            "client-credentials",
            "POST",
            "/oauth/token",
            403,
            "POST /oauth/token, no token",
        ),
        login,
        Function::http(
            "wp-sync-user",
            "POST",
            "/api/v1/wordpress/sync-user",
            403,
            "POST /api/v1/wordpress/sync-user, no token",
        ),
        Function {
            name: "token-refresh",
            request: "scheduled event (sweep, nothing due)",
            event: SCHEDULED_EVENT.to_string(),
            status: None,
            touches_store: true,
            memory_mb: 256,
            reference: false,
        },
        Function::http(
            "token-access",
            "GET",
            "/tokens/bench",
            403,
            "GET /tokens/bench, no token",
        ),
        Function::http(
            "admin-console",
            "GET",
            "/admin/sign-in",
            200,
            "GET /admin/sign-in, no session",
        ),
    ]
}

/// The HTTP API fixture turned into `method path` without a body.
fn http_event(method: &str, path: &str) -> String {
    let mut event: Value = serde_json::from_str(HTTP_EVENT).unwrap_or_else(|_| json!({}));
    let route = format!("{method} {path}");
    event["routeKey"] = json!(route);
    event["rawPath"] = json!(path);
    event["requestContext"]["routeKey"] = json!(route);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["body"] = Value::Null;
    if let Some(headers) = event["headers"].as_object_mut() {
        headers.remove("content-length");
        headers.remove("content-type");
    }
    event.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;

    /// Every HTTP event is a request `lambda_http` reads as the method and path the table names.
    #[test]
    fn http_events_are_api_gateway_requests_of_their_route() {
        for function in std::iter::once(floor()).chain(all()) {
            if function.touches_store {
                continue;
            }
            let request = lambda_http::request::from_str(&function.event)
                .unwrap_or_else(|e| panic!("{}: {e}", function.name));
            let route = format!("{} {}", request.method(), request.uri().path());
            assert!(
                function.request.starts_with(&route),
                "{}: {route} is not {}",
                function.name,
                function.request
            );
            assert!(request.query_string_parameters().is_empty());
            assert!(request.headers().get("authorization").is_none());
        }
    }

    #[test]
    fn the_scheduled_event_is_the_fixture() {
        let refresh = all()
            .into_iter()
            .find(|f| f.name == "token-refresh")
            .expect("token-refresh");
        let event: Value = serde_json::from_str(&refresh.event).expect("JSON");
        assert_eq!(event["detail-type"], "Scheduled Event");
    }

    #[test]
    fn an_answer_of_another_status_is_refused() {
        let login = all()
            .into_iter()
            .find(|f| f.name == "login-authenticate")
            .expect("login-authenticate");
        assert!(login.check(br#"{"statusCode":401,"body":""}"#).is_ok());
        let refused = login
            .check(br#"{"statusCode":500,"body":""}"#)
            .expect_err("a 500 is not the answer");
        assert!(refused.contains("expected status 401"), "{refused}");
        assert!(login.check(b"not json").is_err());
    }
}
