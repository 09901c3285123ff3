//! The two configurations a function process is started in, as environment variables: "aws"
//! (DynamoDB and Secrets Manager at the moto emulator, with a table and the token key created as
//! the tests create them) and "embedded" (the SQLite file, created before the first run).

use authbridge::secrets::SecretString;
use authbridge_tests::{Backend, dynamo_backend_at, sqlite_backend, unique};

/// The public URL every function is configured with (required on AWS; the same on both).
const PUBLIC_URL: &str = "https://auth.example.org";

/// A backend ready for function processes: its variables, and what must outlive the runs.
pub struct BackendEnv {
    /// `aws` or `embedded`.
    pub name: &'static str,
    /// The authbridge and AWS variables of template.yaml for this backend.
    pub vars: Vec<(String, String)>,
    /// The table or file, kept for the runs.
    _backend: Backend,
}

/// The emulator backend: a fresh table and token key at `endpoint`.
pub async fn aws(endpoint: &str) -> Result<BackendEnv, String> {
    let backend = dynamo_backend_at(endpoint).await;
    let table = backend
        .dynamo()
        .map(|d| d.table().to_string())
        .ok_or("the emulator backend has no table")?;
    let prefix = format!("{}/", unique("authbridge-bench"));
    let key_secret = format!("{prefix}token-key");
    backend
        .secrets
        .put_secret(&key_secret, &SecretString::from(unique("key").repeat(2)))
        .await
        .map_err(|e| format!("storing the token key in the emulator at {endpoint}: {e}"))?;
    // The template gives every function a KMS key that wraps the token data keys.
    let settings = authbridge::config::AwsSettings {
        table: table.clone(),
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.parse().map_err(|e| format!("{endpoint}: {e}"))?),
    };
    let sdk = authbridge::aws::sdk_config(&settings).await;
    let kms_key =
        authbridge::keys::kms::KmsWrapper::new(&sdk, "none", settings.endpoint_url.as_ref())
            .map_err(|e| e.to_string())?
            .create_key("authbridge bench")
            .await
            .map_err(|e| format!("making a KMS key in the emulator at {endpoint}: {e}"))?;
    let mut vars = common(&prefix, &key_secret);
    vars.extend(pairs(&[
        ("AUTHBRIDGE_BACKEND", "aws"),
        ("AUTHBRIDGE_TABLE", &table),
        ("AUTHBRIDGE_KMS_KEY_ID", &kms_key),
        ("AWS_ENDPOINT_URL", endpoint),
    ]));
    Ok(BackendEnv {
        name: "aws",
        vars,
        _backend: backend,
    })
}

/// The embedded backend: a SQLite file in a temporary folder, its schema created.
pub fn embedded() -> Result<BackendEnv, String> {
    let backend = sqlite_backend();
    let path = backend
        .sqlite_file()
        .ok_or("the embedded backend has no file")?;
    let prefix = "authbridge/".to_string();
    let mut vars = common(&prefix, &format!("{prefix}token-key"));
    vars.extend(pairs(&[
        ("AUTHBRIDGE_BACKEND", "embedded"),
        ("AUTHBRIDGE_DB_PATH", &path.display().to_string()),
    ]));
    Ok(BackendEnv {
        name: "embedded",
        vars,
        _backend: backend,
    })
}

/// What template.yaml's Globals set, less the backend.
fn common(prefix: &str, key_secret: &str) -> Vec<(String, String)> {
    pairs(&[
        ("AUTHBRIDGE_SECRET_PREFIX", prefix),
        ("AUTHBRIDGE_TOKEN_KEY_SECRET", key_secret),
        ("AUTHBRIDGE_PUBLIC_URL", PUBLIC_URL),
        ("RUST_LOG", "info"),
    ])
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
