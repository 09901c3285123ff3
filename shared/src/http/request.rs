//! Reading requests as API Gateway delivers them (an HTTP API, payload 2.0: the only event the
//! functions are built to read), in Lambda and in the local stack alike.

use std::collections::HashMap;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

use super::ApiError;

/// The query parameters, from API Gateway's parsed map or else the URI.
pub fn query(req: &Request) -> HashMap<String, String> {
    let parsed = req.query_string_parameters();
    if !parsed.is_empty() {
        return parsed
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    req.uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The body as bytes.
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// The caller's address as API Gateway saw it (never a header the caller controls).
pub fn source_ip(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        _ => None,
    }
}

/// True when the `Content-Type` is a form.
pub fn is_form(req: &Request) -> bool {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The body parsed as JSON (or as a form when the request says so), with a 400 naming the problem.
///
/// The message names the field and what was expected but never quotes a value from the body:
/// a body can carry a password or a client secret, and the message reaches the access log.
pub fn parse_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes = body_bytes(req);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "invalid_request",
            "the request body is empty",
        ));
    }
    let refuse = |what: String| ApiError::bad_request("invalid_request", what);
    if is_form(req) {
        return serde_urlencoded::from_bytes(bytes)
            .map_err(|e| refuse(format!("bad form body: {}", without_values(&e.to_string()))));
    }
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        refuse(format!("bad JSON body: {}", json_problem(&path, e.inner())))
    })?;
    json.end()
        .map_err(|e| refuse(format!("bad JSON body: {}", json_problem(".", &e))))?;
    Ok(parsed)
}

/// What is wrong with a JSON body, at `path` (`.` for the whole body): a syntax error as serde
/// says it (it never quotes the input), a data error [`without_values`], with its position.
fn json_problem(path: &str, err: &serde_json::Error) -> String {
    if err.classify() != serde_json::error::Category::Data {
        return err.to_string();
    }
    let problem = without_values(&err.to_string());
    let at = if path == "." {
        String::new()
    } else {
        format!("{path}: ")
    };
    format!(
        "{at}{problem} at line {} column {}",
        err.line(),
        err.column()
    )
}

/// A deserialization message with any value it quotes left out: `missing field`, `unknown field`
/// and `duplicate field` name only fields and are kept; any other (`invalid type: string "…"`,
/// `unknown variant "…"`) keeps only what was expected.
fn without_values(message: &str) -> String {
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(text, _)| text);
    if ["missing field", "unknown field", "duplicate field"]
        .iter()
        .any(|kept| message.starts_with(kept))
    {
        return message.to_string();
    }
    match message.split_once(", expected ") {
        Some((_, expected)) => format!("invalid value, expected {expected}"),
        None => "invalid value".to_string(),
    }
}

/// The bearer token of the `Authorization` header, when it is exactly `Bearer <token>`.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let value = req
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        username: String,
        password: SecretString,
        #[serde(default)]
        ttl: Option<u64>,
    }

    fn refusal(content_type: &str, body: &str) -> String {
        let req = http::Request::builder()
            .header(http::header::CONTENT_TYPE, content_type)
            .body(Body::Text(body.to_string()))
            .unwrap_or_else(|e| panic!("a request: {e}"));
        match parse_body::<Login>(&req) {
            Ok(_) => panic!("{body} was accepted"),
            Err(e) => {
                assert_eq!(e.status, 400);
                assert_eq!(e.code(), Some("invalid_request"));
                e.message()
            }
        }
    }

    #[test]
    fn a_bad_body_names_the_field_and_never_quotes_a_value() {
        let text = refusal(
            "application/json",
            r#"{"username": "ada", "password": 31415926}"#,
        );
        assert!(!text.contains("31415926"), "{text}");
        assert!(
            text.starts_with("bad JSON body: password: invalid value, expected a string"),
            "{text}"
        );

        let text = refusal(
            "application/json",
            r#"{"username": "ada", "password": "s3cret", "ttl": "s3cret"}"#,
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("ttl"), "{text}");

        let text = refusal("application/json", r#"{"password": "s3cret"}"#);
        assert!(
            text.starts_with("bad JSON body: missing field `username`"),
            "{text}"
        );

        let text = refusal(
            "application/json",
            r#"{"username": "ada", "password": "s3cret"} s3cret"#,
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("trailing characters"), "{text}");

        let text = refusal(
            "application/json",
            r#"{"username": "ada", "password": "s3cret""#,
        );
        assert!(!text.contains("s3cret"), "{text}");

        let text = refusal(
            "application/x-www-form-urlencoded",
            "username=ada&password=s3cret&ttl=s3cret",
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.starts_with("bad form body: invalid value"), "{text}");
    }

    #[test]
    fn an_empty_body_is_refused() {
        assert_eq!(
            refusal("application/json", "  "),
            "the request body is empty"
        );
    }
}
