//! Running the real binary against an isolated deployment: a temporary folder holding the
//! embedded store, and no variable of the caller's environment that would point elsewhere.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use authbridge::secrets::{ExposeSecret, SecretStore};
use authbridge::store::sqlite::SqliteStore;
use serde_json::Value;

/// Variables that would point the tool elsewhere than the test's own file.
const FOREIGN_VARS: [&str; 12] = [
    "AUTHBRIDGE_STACK",
    "AUTHBRIDGE_PUBLIC_URL",
    "AUTHBRIDGE_RETURN_URL",
    "AUTHBRIDGE_TABLE",
    "AUTHBRIDGE_BACKEND",
    "AUTHBRIDGE_PROVIDERS_DIR",
    "AUTHBRIDGE_SECRET_PREFIX",
    "AUTHBRIDGE_TOKEN_KEY_SECRET",
    "AUTHBRIDGE_KMS_KEY_ID",
    "AUTHBRIDGE_KEY_FILE",
    "AUTHBRIDGE_KEY_CACHE_TTL",
    "RUST_LOG",
];

/// One isolated deployment: a temporary folder holding the embedded store.
pub struct Deployment {
    dir: tempfile::TempDir,
}

/// What one run of the binary did.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "stdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Neither output holds `needle`.
    pub fn assert_never_shows(&self, needle: &str) {
        assert!(
            !self.stdout.contains(needle),
            "stdout shows it: {}",
            self.stdout
        );
        assert!(
            !self.stderr.contains(needle),
            "stderr shows it: {}",
            self.stderr
        );
    }
}

impl Deployment {
    pub fn new() -> Self {
        Deployment {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("authbridge.db")
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(args, stdin, &[])
    }

    /// Runs with `stdin` and the extra variables `vars` (e.g. the emulator's endpoint).
    pub fn run_with(&self, args: &[&str], stdin: &str, vars: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_authbridge"));
        for var in FOREIGN_VARS {
            command.env_remove(var);
        }
        command.envs(vars.iter().copied());
        let mut child = command
            .args(args)
            .env("AUTHBRIDGE_DB_PATH", self.db_path())
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            code: status.code(),
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }

    /// Registers a client with `secret` given on standard input; returns its id.
    pub fn create_client(&self, provider: &str, secret: &str) -> String {
        let run = self
            .run_with_stdin(
                &[
                    "clients",
                    "create",
                    "--json",
                    "--provider",
                    provider,
                    "--guid",
                    "app-1",
                    "--secret-stdin",
                ],
                &format!("{secret}\n"),
            )
            .ok();
        run.assert_never_shows(secret);
        run.json()["id"].as_str().unwrap().to_string()
    }

    pub fn store(&self) -> SqliteStore {
        SqliteStore::open(&self.db_path()).unwrap()
    }

    pub async fn stored_secret(&self, client_id: &str) -> Option<String> {
        self.store()
            .get_secret(&format!("authbridge/clients/{client_id}"))
            .await
            .unwrap()
            .map(|s| s.expose_secret().to_string())
    }
}

/// The emulator's endpoint (`AUTHBRIDGE_TEST_AWS_ENDPOINT`): `None` (with the reason printed) under
/// plain `cargo test`, a panic under the test command (`AUTHBRIDGE_TEST_REQUIRE_SERVERS=1`), so a
/// missing emulator never passes.
pub fn emulator_endpoint() -> Option<String> {
    match std::env::var("AUTHBRIDGE_TEST_AWS_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("AUTHBRIDGE_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
            panic!(
                "AUTHBRIDGE_TEST_AWS_ENDPOINT is not set: the test command must start the emulator"
            )
        }
        _ => {
            eprintln!(
                "skipped: the AWS emulator is not running (AUTHBRIDGE_TEST_AWS_ENDPOINT unset)"
            );
            None
        }
    }
}

/// The variables that send the tool to the emulator, with test credentials.
pub fn emulator_vars(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
    ]
}

/// `raw` as an e-mail address, which a test means to be valid.
pub fn email_of(raw: &str) -> authbridge::domain::Email {
    authbridge::domain::Email::parse(raw).expect("a valid e-mail address")
}
