//! Helpers for the tests that cross functions and implementations: reaching the servers the
//! README's test command starts (the DynamoDB / Secrets Manager emulator, the OpenID Connect
//! authorization server in [`oidc`], Dovecot's IMAP in [`imap`]), the WordPress stand-in
//! ([`wordpress`]), the real WordPress with the authbridge plugin ([`wordpress_site`]), and making
//! isolated stores.
//!
//! Under the test command (`AUTHBRIDGE_TEST_REQUIRE_SERVERS=1`) a test that needs a server fails when
//! it cannot reach it. Under plain `cargo test` such a test prints why and returns early.

use std::sync::Arc;

use authbridge::secrets::SecretStore;
use authbridge::store::Stores;
use authbridge::store::dynamo::{DynamoStore, create_table};
use authbridge::store::sqlite::SqliteStore;

pub mod faults;
pub mod imap;
pub mod login;
pub mod logs;
pub mod oidc;
pub mod oidc_instances;
pub mod stack;
pub mod tokens;
pub mod wordpress;
pub mod wordpress_site;

/// One implementation of every store, as a contract test receives it.
pub struct Backend {
    pub name: &'static str,
    pub stores: Stores,
    pub secrets: Arc<dyn SecretStore>,
    /// The embedded file, when the backend is SQLite; kept alive for the test.
    pub file: Option<tempfile::TempDir>,
    /// The DynamoDB table and client, when the backend is DynamoDB.
    pub dynamo: Option<DynamoStore>,
}

/// True when the test command runs us and every server must be there.
pub fn servers_required() -> bool {
    std::env::var("AUTHBRIDGE_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

/// The endpoint of a server the test command started, from `var`; `None` (with the reason printed)
/// under plain `cargo test`; a panic under the test command, so a missing server never passes.
pub fn server_endpoint(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if servers_required() => {
            panic!("{var} is not set: the test command must start {what} before running the tests")
        }
        _ => {
            eprintln!(
                "skipped: {what} is not running ({var} unset); run the README's test command"
            );
            None
        }
    }
}

/// The emulator's endpoint (`AUTHBRIDGE_TEST_AWS_ENDPOINT`).
pub fn emulator_endpoint() -> Option<String> {
    server_endpoint(
        "AUTHBRIDGE_TEST_AWS_ENDPOINT",
        "the DynamoDB / Secrets Manager emulator",
    )
}

fn credentials() -> aws_sdk_dynamodb::config::Credentials {
    aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "tests")
}

/// A DynamoDB client for the emulator, with test credentials.
pub fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(endpoint)
        .http_client(authbridge::aws::http_client())
        .retry_config(authbridge::aws::retry_config())
        .timeout_config(authbridge::aws::timeout_config())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// An EventBridge client for the emulator, with test credentials.
pub fn eventbridge_client(endpoint: &str) -> aws_sdk_eventbridge::Client {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .endpoint_url(endpoint)
        .http_client(authbridge::aws::http_client())
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// A Secrets Manager client for the emulator, with test credentials.
pub fn secretsmanager_client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(endpoint)
        .http_client(authbridge::aws::http_client())
        .retry_config(authbridge::aws::retry_config())
        .timeout_config(authbridge::aws::timeout_config())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// A unique name for a test's table or secret prefix, so tests run in parallel.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A fresh embedded store in its own temporary file.
pub fn sqlite_backend() -> Backend {
    let dir = tempfile::tempdir().expect("a temporary folder for the embedded store");
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("authbridge.db")).expect("opening the embedded store"),
    );
    Backend {
        name: "sqlite",
        stores: Stores::from_one(store.clone()),
        secrets: store,
        file: Some(dir),
        dynamo: None,
    }
}

/// A fresh table of its own in the emulator, or `None` when the emulator is not running.
pub async fn dynamo_backend() -> Option<Backend> {
    let endpoint = emulator_endpoint()?;
    Some(dynamo_backend_at(&endpoint).await)
}

/// A fresh table of its own in the emulator reached at `endpoint` (the emulator itself, or a
/// proxy in front of it).
pub async fn dynamo_backend_at(endpoint: &str) -> Backend {
    let endpoint = endpoint.to_string();
    let client = dynamodb_client(&endpoint);
    let table = unique("authbridge-test");
    create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("creating table {table} in the emulator at {endpoint}: {e}"));
    let store = DynamoStore::new(client, table);
    Backend {
        name: "dynamodb",
        stores: Stores::from_one(Arc::new(store.clone())),
        secrets: Arc::new(authbridge::secrets::SecretsManagerStore::new(
            secretsmanager_client(&endpoint),
        )),
        file: None,
        dynamo: Some(store),
    }
}
