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
pub mod lambda;
pub mod login;
pub mod logs;
pub mod oidc;
pub mod oidc_instances;
pub mod quirky;
pub mod round_trips;
pub mod stack;
pub mod sync_user;
pub mod tokens;
pub mod webhook;
pub mod wordpress;
pub mod wordpress_site;

/// One implementation of every store, as a test receives it.
pub struct Backend {
    pub stores: Stores,
    pub secrets: Arc<dyn SecretStore>,
    pub kind: BackendKind,
    /// The store calls made through the DynamoDB client (none on SQLite).
    pub calls: round_trips::StoreCalls,
}

/// Which implementation a [`Backend`] is, with what its test keeps.
pub enum BackendKind {
    /// The embedded store, in a temporary folder that lives as long as the test.
    Sqlite(tempfile::TempDir),
    /// A table of its own in the emulator, and its client.
    Dynamo(DynamoStore),
}

impl Backend {
    /// The embedded store's file, when the backend is SQLite.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match &self.kind {
            BackendKind::Sqlite(dir) => Some(dir.path().join(SQLITE_FILE)),
            BackendKind::Dynamo(_) => None,
        }
    }

    /// The DynamoDB table and client, when the backend is DynamoDB.
    pub fn dynamo(&self) -> Option<&DynamoStore> {
        match &self.kind {
            BackendKind::Sqlite(_) => None,
            BackendKind::Dynamo(store) => Some(store),
        }
    }
}

impl Backend {
    /// The raw stored form of what a test looks into, as text: the DynamoDB item with partition
    /// key `pk` (none or one), or the rows `sql` selects from the embedded file with `params`.
    pub async fn raw_stored(&self, pk: &str, sql: &str, params: &[&str]) -> Vec<String> {
        match &self.kind {
            BackendKind::Dynamo(dynamo) => {
                let item = dynamo
                    .raw_client()
                    .get_item()
                    .table_name(dynamo.table())
                    .key(
                        "pk",
                        aws_sdk_dynamodb::types::AttributeValue::S(pk.to_string()),
                    )
                    .send()
                    .await
                    .expect("reading the raw item");
                item.item.iter().map(|item| format!("{item:?}")).collect()
            }
            BackendKind::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join(SQLITE_FILE))
                    .expect("opening the SQLite file");
                let mut statement = conn.prepare(sql).expect("a raw query");
                statement
                    .query_map(rusqlite::params_from_iter(params), |row| row.get(0))
                    .expect("running the raw query")
                    .collect::<Result<_, _>>()
                    .expect("reading the raw rows")
            }
        }
    }
}

/// The embedded store's file name inside a SQLite backend's folder.
const SQLITE_FILE: &str = "authbridge.db";

/// Runs each listed test on both backends, as `sqlite::<name>` and `dynamodb::<name>`, each on a
/// fresh backend of its own; the DynamoDB one needs the emulator (it fails under the test command
/// when the emulator is missing, and returns early under plain `cargo test`).
///
/// A test is an `async fn(Backend, ...)`. List it by name, with any further arguments in
/// parentheses, or give the test a name of its own with `name = function(arguments)`:
///
/// ```text
/// on_both_backends!(
///     a_test,
///     a_test_with_arguments("basic"),
///     lifetime_60_s = one_refresh_per_expiry(60, Callers::InProcess),
/// );
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident $(= $test:ident)? $(($($arg:expr),* $(,)?))?),* $(,)?) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let backend = $crate::sqlite_backend();
                    $crate::on_both_backends!(@call $name $($test)?)(backend $($(, $arg)*)?).await
                }
            )*
        }
        mod dynamodb {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(backend) = $crate::dynamo_backend().await else { return };
                    $crate::on_both_backends!(@call $name $($test)?)(backend $($(, $arg)*)?).await
                }
            )*
        }
    };
    (@call $name:ident) => { super::$name };
    (@call $name:ident $test:ident) => { super::$test };
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
    counted_dynamodb_client(endpoint, &round_trips::StoreCalls::default())
}

/// A DynamoDB client for the emulator, with test credentials, whose calls `calls` records.
pub fn counted_dynamodb_client(
    endpoint: &str,
    calls: &round_trips::StoreCalls,
) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .interceptor(calls.clone())
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
        SqliteStore::open(&dir.path().join(SQLITE_FILE)).expect("opening the embedded store"),
    );
    Backend {
        stores: Stores::from_one(store.clone()),
        secrets: store,
        kind: BackendKind::Sqlite(dir),
        calls: round_trips::StoreCalls::default(),
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
    let calls = round_trips::StoreCalls::default();
    let client = counted_dynamodb_client(&endpoint, &calls);
    let table = unique("authbridge-test");
    create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("creating table {table} in the emulator at {endpoint}: {e}"));
    let store = DynamoStore::new(client, table);
    Backend {
        stores: Stores::from_one(Arc::new(store.clone())),
        secrets: Arc::new(authbridge::secrets::SecretsManagerStore::new(
            secretsmanager_client(&endpoint),
        )),
        kind: BackendKind::Dynamo(store),
        calls,
    }
}
