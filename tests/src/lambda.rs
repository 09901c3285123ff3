//! Handler tests from API Gateway events: a function's context built from an environment, as its
//! Lambda builds it at cold start (here on an embedded store in a temporary folder), and the
//! events Lambda delivers, read from the fixtures in `tests/fixtures/events/` (API Gateway HTTP API
//! payloads, version 2.0, and an EventBridge scheduled event).

use std::path::PathBuf;

use authbridge::config::Env;
use authbridge::store::ApiTokenStore;
use authbridge::store::sqlite::SqliteStore;
use lambda_http::{Body, Response};
use serde_json::Value;

use crate::stack::test_api_token;

/// The public URL the fixtures' requests arrive at (their `Host`).
pub const PUBLIC_URL: &str = "https://abc123.execute-api.eu-west-1.amazonaws.com";

/// Where the fixtures' flows may land.
pub const LANDING: &str = "https://crm.example.org/oauth/done";

/// A function's environment on a fresh embedded store, with the test API token stored.
pub struct LambdaEnv {
    dir: tempfile::TempDir,
}

impl LambdaEnv {
    /// A fresh store whose API token [`TEST_API_TOKEN`](crate::stack::TEST_API_TOKEN) may call
    /// every endpoint.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let env = LambdaEnv { dir };
        env.store()
            .create_api_token(&test_api_token("fixtures"))
            .await
            .expect("storing the test API token");
        env
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("authbridge.db")
    }

    /// The environment a function reads: the embedded store, and the public URL and landing
    /// allow-list of the fixtures.
    pub fn env(&self) -> Env<'static> {
        let file = self.file().display().to_string();
        Env::from_pairs(&[
            ("AUTHBRIDGE_BACKEND", "embedded"),
            ("AUTHBRIDGE_DB_PATH", file.as_str()),
            ("AUTHBRIDGE_PUBLIC_URL", PUBLIC_URL),
            ("AUTHBRIDGE_LANDING_ALLOWLIST", LANDING),
        ])
    }

    /// Another handle on the function's store, to seed it and look into it.
    pub fn store(&self) -> SqliteStore {
        SqliteStore::open(&self.file()).expect("opening the embedded store")
    }
}

/// The fixture `name`, each `{{key}}` in it replaced by its value.
pub fn fixture(name: &str, values: &[(&str, &str)]) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/events")
        .join(name);
    let mut text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    for (key, value) in values {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    assert!(!text.contains("{{"), "a placeholder of {name} has no value");
    text
}

/// The API Gateway event of fixture `name` as the request Lambda hands the function.
pub fn event(name: &str, values: &[(&str, &str)]) -> lambda_http::Request {
    lambda_http::request::from_str(&fixture(name, values))
        .unwrap_or_else(|e| panic!("{name} is not an API Gateway event: {e}"))
}

/// A response's JSON body.
pub fn json_body(response: &Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("a JSON body"),
        Body::Binary(bytes) => serde_json::from_slice(bytes).expect("a JSON body"),
        Body::Empty => Value::Null,
        _ => panic!("an unknown body"),
    }
}

/// A response header, as text.
pub fn header<'r>(response: &'r Response<Body>, name: &str) -> &'r str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
