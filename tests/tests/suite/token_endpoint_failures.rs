//! A token endpoint that fails in every way a real one can (an RFC 6749 error, a 5xx page, a timeout,
//! garbage, a redirect, a refused connection) gives a clear error and leaves no half-written record;
//! the legacy password grant and a string `expires_in` work against a provider that serves them.
//! The provider here is a small axum server of the test's own on 127.0.0.1.

use authbridge_tests::tokens::tag_of;
use std::time::Duration;

use authbridge::oauth::outbound::Timeouts;
use authbridge_tests::sqlite_backend;
use authbridge_tests::stack::{self, StackOptions, TEST_API_TOKEN, TestStack};
use axum::Form;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The fake token endpoint: its behaviour is chosen by the client id (`guid`) it is called with.
async fn token(
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    use axum::http::StatusCode;
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mode = [
        "ok",
        "rfc-error",
        "server-error",
        "garbage",
        "slow",
        "redirect",
    ]
    .into_iter()
    .find(|m| {
        // Basic auth carries base64("<guid>:<secret>").
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{m}:s3cret"));
        basic == format!("Basic {encoded}")
    })
    .unwrap_or("unauthenticated");
    match mode {
        "ok" => match form.get("grant_type").map(String::as_str) {
            Some("password")
                if form.get("username").map(String::as_str) == Some("legacy")
                    && form.get("password").map(String::as_str) == Some("pa ss") =>
            {
                axum::Json(json!({
                    "access_token": "PW-ACCESS-TOKEN", "token_type": "bearer",
                    "expires_in": "1800", "refresh_token": "PW-REFRESH"
                }))
                .into_response()
            }
            Some("password") => (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_grant", "error_description": "bad user"})),
            )
                .into_response(),
            _ => axum::Json(json!({"access_token": "CC-TOKEN", "token_type": "Bearer"}))
                .into_response(),
        },
        "rfc-error" => (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": "unauthorized_client", "error_description": "not for <you>"}),
            ),
        )
            .into_response(),
        "server-error" => (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html>down for maintenance</html>",
        )
            .into_response(),
        "garbage" => (StatusCode::OK, "<html>not json</html>").into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            axum::Json(json!({"access_token": "LATE", "token_type": "Bearer"})).into_response()
        }
        "redirect" => (
            StatusCode::FOUND,
            [("location", "http://169.254.169.254/latest/meta-data/")],
        )
            .into_response(),
        _ => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response(),
    }
}

async fn fake_provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/token", post(token));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn stack_with(provider_base: &str) -> TestStack {
    let provider = json!({
        "title": "Fake",
        "options": {
            "urlAuthorize": format!("{provider_base}/authorize"),
            "urlAccessToken": format!("{provider_base}/token"),
            "scopes": ["read"]
        }
    });
    stack::start(
        sqlite_backend(),
        StackOptions {
            providers: vec![("fake".into(), provider.to_string())],
            timeouts: Timeouts {
                connect: Duration::from_secs(1),
                total: Duration::from_secs(1),
            },
            ..Default::default()
        },
    )
    .await
}

async fn grant(s: &TestStack, guid: &str, body: Value) -> (u16, Value) {
    let client = s.register("fake", guid, "s3cret", Map::new()).await;
    let mut body = body;
    body["client"] = json!(client.id);
    let response = stack::http()
        .post(s.url("/oauth/token"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("client-credentials answers");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").is_some();
    let mut json: Value = response.json().await.expect("a JSON body");
    json["retry_after_present"] = json!(retry_after);
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_is_clear_and_stores_nothing() {
    let base = fake_provider().await;
    let s = stack_with(&base).await;
    let cases = [
        // The provider refuses what the caller asked: the caller's to fix.
        ("rfc-error", 400, "provider_rejected"),
        // The provider refuses the client itself (`invalid_client`): an operator's to fix.
        ("unknown-to-the-provider", 502, "provider_rejected"),
        ("server-error", 503, "provider_unavailable"),
        ("garbage", 502, "provider_bad_response"),
        ("slow", 503, "provider_unavailable"),
        ("redirect", 503, "provider_unavailable"),
    ];
    for (mode, status, error) in cases {
        let tag = format!("t-{mode}");
        let (got, body) = grant(&s, mode, json!({"grant": "client_credentials", "tag": tag})).await;
        assert_eq!(got, status, "{mode}: {body}");
        assert_eq!(body["error"], error, "{mode}: {body}");
        if status == 503 {
            assert_eq!(body["retry_after_present"], true, "{mode}: Retry-After");
        }
        let stored = s
            .stack
            .app
            .stores
            .tokens
            .get_token(&tag_of(&tag))
            .await
            .unwrap();
        assert!(stored.is_none(), "{mode}: no record after a failure");
    }
    let (_, body) = grant(
        &s,
        "rfc-error",
        json!({"grant": "client_credentials", "tag": "x"}),
    )
    .await;
    assert_eq!(body["provider_error"], "unauthorized_client");
    assert_eq!(body["provider_error_description"], "not for <you>");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_is_down_is_unavailable() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let s = stack_with(&base).await;
    let (status, body) = grant(
        &s,
        "ok",
        json!({"grant": "client_credentials", "tag": "down"}),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "provider_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_grant_works_for_legacy_providers() {
    let base = fake_provider().await;
    let s = stack_with(&base).await;
    let (status, body) = grant(
        &s,
        "ok",
        json!({"grant": "password", "tag": "legacy", "username": "legacy", "password": "pa ss"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["grant_type"], "password");
    assert_eq!(body["has_refresh_token"], true);
    assert!(!body.to_string().contains("PW-ACCESS-TOKEN"));
    let record = s
        .stack
        .app
        .stores
        .tokens
        .get_token(&tag_of("legacy"))
        .await
        .unwrap()
        .unwrap();
    // `expires_in` came as the string "1800".
    let expires = record.expires.expect("an expiry");
    assert!((expires - authbridge::clock::now() - 1800).abs() <= 5);
    assert_eq!(record.token_type.as_deref(), Some("Bearer"));

    let (status, body) = grant(
        &s,
        "ok",
        json!({"grant": "password", "tag": "legacy2", "username": "legacy", "password": "wrong"}),
    )
    .await;
    assert_eq!(
        status, 400,
        "a wrong password is the caller's to fix: {body}"
    );
    assert_eq!(body["provider_error"], "invalid_grant");
    let (status, body) = grant(&s, "ok", json!({"grant": "password", "tag": "legacy3"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("username"));
    // No token in the answer to a client without a stored record either.
    let (status, _) = grant(&s, "ok", json!({"grant": "implicit"})).await;
    assert_eq!(status, 400);
}
