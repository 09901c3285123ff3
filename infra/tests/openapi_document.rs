//! The OpenAPI document (`docs/openapi.json`) against the routes and the running stack:
//! every documented operation reaches a function through the local stack's router, the real
//! `authbridge-local` serves the document at `/openapi.json`, and the answers the stack makes by
//! itself (404, 405, 413, a refused extractor) are JSON. The template's routes are held to the
//! document by `shared/tests/template_schema.rs`; schemathesis (`infra/api-test.sh`) holds the
//! handlers' answers to it.

mod common;

use authbridge::http::routes::{Authority, match_path};
use authbridge_infra::openapi::{DOCUMENT, PATH};
use authbridge_infra::routes;
use common::local_stack::LocalStackProcess;
use serde_json::Value;

/// The document's operations: (method, path template).
fn operations() -> Vec<(http::Method, String)> {
    documented().into_iter().map(|(m, p, _)| (m, p)).collect()
}

/// The document's operations with their entries: (method, path template, operation object).
fn documented() -> Vec<(http::Method, String, Value)> {
    let document: Value = serde_json::from_str(DOCUMENT).expect("docs/openapi.json is JSON");
    let paths = document["paths"]
        .as_object()
        .expect("the document has paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            let method = method.to_ascii_uppercase().parse().expect("an HTTP method");
            operations.push((method, path.clone(), operation.clone()));
        }
    }
    operations
}

/// A concrete path for a path template: each `{param}` filled in.
fn concrete(template: &str) -> String {
    template
        .replace("{tag}", "MailSettings%3A3")
        .replace("{link}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
}

#[test]
fn the_document_is_openapi_3_1_and_every_operation_is_routed() {
    let document: Value = serde_json::from_str(DOCUMENT).expect("docs/openapi.json is JSON");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "the document is OpenAPI 3.1"
    );
    let operations = documented();
    assert!(operations.len() >= 12, "{operations:?}");
    for (method, template, entry) in &operations {
        let path = concrete(template);
        let routed = match_path(method.as_str(), &path).unwrap_or_else(|| {
            panic!("{method} {template} is documented but the route table has no such route")
        });
        assert_eq!(routed.route.path, template, "{method} {template}");
        assert_eq!(
            entry["operationId"],
            routed.route.operation.id(),
            "{method} {template}: the document's operationId and the route table's operation"
        );
        let scheme = match routed.route.authority {
            Authority::ApiToken(_) => Some("ApiToken"),
            Authority::Session => Some("Session"),
            _ => None,
        };
        let security: Vec<&str> = entry["security"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_object())
            .flat_map(|s| s.keys().map(String::as_str))
            .collect();
        assert_eq!(
            security,
            scheme.into_iter().collect::<Vec<_>>(),
            "{method} {template}: the document's security and the route table's authority"
        );
    }
}

#[test]
fn every_routed_method_of_a_documented_path_is_documented() {
    let operations = operations();
    for (_, template) in &operations {
        let path = concrete(template);
        for method in [
            http::Method::GET,
            http::Method::POST,
            http::Method::PUT,
            http::Method::DELETE,
            http::Method::PATCH,
        ] {
            if match_path(method.as_str(), &path).is_some() {
                assert!(
                    operations.contains(&(method.clone(), template.clone())),
                    "{method} {template} is routed but has no entry in docs/openapi.json"
                );
            }
        }
    }
    assert_eq!(routes::allowed_methods("/auth/me").as_deref(), Some("GET"));
    assert_eq!(routes::allowed_methods("/nowhere"), None);
}

/// Every error code a handler writes is named somewhere in the document, so a new refusal comes
/// with its entry. Codes are written where each error says its answer (its `ResponseError`, in
/// `shared/src/http/answers/`), as `ApiError::new(<status>, "<code>")` (`Self::new` in
/// `ApiError`'s own), `bad_request("<code>"`, `unavailable("<code>"`, `with_code("<code>")` or a
/// `"code"` field; an OAuth refusal answers its `code()` (`oauth/error.rs`).
#[test]
fn every_error_code_in_the_handlers_is_in_the_document() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Every service's answers (the folder, so a new module is scanned as it comes), and the rest.
    let answers = "shared/src/http/answers";
    let mut sources: Vec<String> = std::fs::read_dir(root.join(answers))
        .unwrap_or_else(|e| panic!("reading {answers}: {e}"))
        .map(|entry| entry.expect("a folder entry").file_name())
        .filter_map(|name| name.to_str().map(str::to_string))
        // The console answers pages to a browser and is left out of the document (its routes
        // are not `documented()`), so its codes are not the API's.
        .filter(|name| name.ends_with(".rs") && name != "tests.rs" && name != "console.rs")
        .map(|name| format!("{answers}/{name}"))
        .collect();
    assert!(sources.len() >= 9, "only {sources:?} in {answers}");
    sources.extend(
        [
            "shared/src/http/error.rs",
            "shared/src/http/request.rs",
            "shared/src/oauth/error.rs",
            "infra/src/routes.rs",
            "infra/src/json_errors.rs",
            "functions/start-auth/src/lib.rs",
            "functions/token-access/src/lib.rs",
            "functions/token-access/src/tokens.rs",
            "functions/token-access/src/connections.rs",
            "functions/client-credentials/src/lib.rs",
            "functions/login-authenticate/src/lib.rs",
            "functions/oauth-return/src/lib.rs",
            "functions/wp-sync-user/src/lib.rs",
        ]
        .map(str::to_string),
    );
    let mut missing = Vec::new();
    let mut found = Vec::new();
    for source in &sources {
        let text = std::fs::read_to_string(root.join(source))
            .unwrap_or_else(|e| panic!("reading {source}: {e}"));
        for code in codes_in(&text, source) {
            // Internal errors are not listed per operation (the document says so).
            if code != "internal_error" && !DOCUMENT.contains(code) {
                missing.push(format!("{code} ({source})"));
            }
            found.push(code.to_string());
        }
    }
    for code in [
        "store_unavailable",
        "reauthorization_required",
        "provider_rejected",
        "invalid_credentials",
        "email_conflict",
        "no_authorization",
        "if_match_required",
        "invalid_landing_url",
    ] {
        assert!(
            found.iter().any(|c| c == code),
            "the scan did not find {code}"
        );
    }
    assert!(
        found.len() > 30,
        "the scan found only {} codes",
        found.len()
    );
    assert!(
        missing.is_empty(),
        "error codes with no entry in docs/openapi.json: {missing:?}"
    );
}

/// The error codes written in a source file.
fn codes_in<'a>(text: &'a str, source: &str) -> Vec<&'a str> {
    let mut codes = Vec::new();
    let mut after = |marker: &str, skip_status: bool| {
        for (at, _) in text.match_indices(marker) {
            let mut rest = &text[at + marker.len()..];
            if skip_status {
                rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                let Some(quoted) = rest.strip_prefix(", ") else {
                    continue;
                };
                rest = quoted;
            }
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            if let Some(end) = rest.find('"') {
                codes.push(&rest[..end]);
            }
        }
    };
    after("ApiError::new(", true);
    after("Self::new(", true);
    for marker in [
        "\"error\": ",
        "\"code\": ",
        "(\"code\", ",
        "bad_request(",
        "unavailable(",
        "with_code(",
    ] {
        after(marker, false);
    }
    if source.ends_with("oauth/error.rs") {
        // `OAuthError::code()`: the body's `error` of every OAuth refusal, and the landing URL's;
        // the browser-only ones (state, browser, issuer) end on a page or the landing URL.
        after("=> ", false);
    }
    codes
}

async fn json_of(response: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a {status} body that is not JSON ({e}): {text:?}"));
    (status, content_type, body)
}

#[tokio::test]
async fn the_local_stack_serves_the_document_and_answers_its_own_errors_as_json() {
    let stack = LocalStackProcess::start().await;
    let http = reqwest::Client::new();
    let url = |path: &str| stack.base.join(path).expect("a URL");

    let (status, content_type, served) = json_of(http.get(url(PATH)).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(served, serde_json::from_str::<Value>(DOCUMENT).unwrap());

    // (method, path, status, error code, Allow)
    let cases: [(&str, &str, u16, &str, Option<&str>); 6] = [
        ("GET", "/nowhere", 404, "not_found", None),
        ("PUT", "/auth/me", 405, "method_not_allowed", Some("GET")),
        (
            "DELETE",
            "/tokens/x",
            405,
            "method_not_allowed",
            Some("GET"),
        ),
        ("POST", "/", 405, "method_not_allowed", Some("GET,HEAD")),
        ("POST", PATH, 405, "method_not_allowed", Some("GET,HEAD")),
        (
            "GET",
            "/demo/token",
            405,
            "method_not_allowed",
            Some("POST"),
        ),
    ];
    for (method, path, want_status, want_code, want_allow) in cases {
        let response = http
            .request(method.parse().unwrap(), url(path))
            .send()
            .await
            .unwrap();
        let allow = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (status, content_type, body) = json_of(response).await;
        assert_eq!(status, want_status, "{method} {path}: {body}");
        assert_eq!(
            content_type.as_deref(),
            Some("application/json"),
            "{method} {path}"
        );
        assert_eq!(body["error"], want_code, "{method} {path}: {body}");
        assert!(body["message"].is_string(), "{method} {path}: {body}");
        assert_eq!(allow.as_deref(), want_allow, "{method} {path}");
    }

    let too_large = vec![b'a'; (1 << 20) + 1];
    let response = http
        .post(url("/auth/login"))
        .header("content-type", "application/json")
        .body(too_large)
        .send()
        .await
        .unwrap();
    let (status, content_type, body) = json_of(response).await;
    assert_eq!(status, 413);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(body["error"], "payload_too_large");
}

/// `POST /oauth/token`'s documented body is the one the function reads: every documented property
/// is read (the body refuses unknown members), each is documented, and `tag`'s limit is the one
/// every path applies.
#[test]
fn the_token_request_schema_is_what_the_function_reads() {
    use authbridge::domain::tag::MAX_TAG_LEN;
    use authbridge::oauth::direct_grant::TokenRequest;
    let document: Value = serde_json::from_str(DOCUMENT).expect("docs/openapi.json is JSON");
    let schema = &document["components"]["schemas"]["TokenRequest"];
    let documented: std::collections::BTreeSet<&str> = schema["properties"]
        .as_object()
        .expect("TokenRequest has properties")
        .keys()
        .map(String::as_str)
        .collect();
    let body = serde_json::json!({"client": "0190a000-0000-7000-8000-0000000000c1", "grant": "password", "scopes": ["a"],
        "tag": "site-a:x", "owner": "contact:1", "replace": true, "username": "u",
        "password": "p", "connection": {"shop": "acme"}});
    let sent: std::collections::BTreeSet<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(documented, sent);
    let request = serde_json::from_value::<TokenRequest>(body)
        .expect("every documented member is read")
        .check()
        .expect("a valid request");
    assert!(request.replace);
    assert!(
        serde_json::from_value::<TokenRequest>(
            serde_json::json!({"client": "c1", "grant": "password", "undocumented": 1})
        )
        .is_err(),
        "an unknown member is refused"
    );
    assert_eq!(
        schema["properties"]["tag"]["maxLength"].as_u64(),
        Some(MAX_TAG_LEN as u64)
    );
    assert_eq!(
        document["components"]["schemas"]["StartRequest"]["properties"]["tag"]["maxLength"]
            .as_u64(),
        Some(MAX_TAG_LEN as u64)
    );
}
