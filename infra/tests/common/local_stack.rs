//! The real `authbridge-local` binary as a child process, on a free 127.0.0.1 port with a store of
//! its own: an embedded file (what a person gets from the README's Quick start), or a DynamoDB
//! table and secret prefix of its own in the emulator the test command starts ([`Store`]).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use url::Url;

/// How long the stack may take to answer `/` after it is spawned.
const STACK_START_TIMEOUT: Duration = Duration::from_secs(30);

/// The real `authbridge-local`, built by cargo for this package's tests.
fn local_stack_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_authbridge-local"))
}

/// The `authbridge` CLI of this test run's sources. Another package's binary has no
/// `CARGO_BIN_EXE_` variable, so the first call runs `cargo build` for it, once per test process:
/// cargo rebuilds it only when its sources changed since, and a CLI left from older sources is
/// never used.
fn cli_binary() -> &'static Path {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        // Into the target folder the stack's binary was built in (`<target>/debug/`).
        let target = local_stack_binary()
            .parent()
            .and_then(Path::parent)
            .expect("the target folder of authbridge-local");
        let built = Command::new(env!("CARGO"))
            .args([
                "build",
                "-p",
                "authbridge-cli",
                "--bin",
                "authbridge",
                "--manifest-path",
            ])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target)
            .status()
            .expect("building the authbridge CLI");
        assert!(built.success(), "building the authbridge CLI failed");
        let binary = local_stack_binary().with_file_name("authbridge");
        assert!(binary.exists(), "no CLI at {}", binary.display());
        binary
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free 127.0.0.1 port")
        .port()
}

/// Which store a stack runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// A SQLite file in the stack's own folder.
    Embedded,
    /// A table and a secret prefix of the stack's own in the DynamoDB / Secrets Manager emulator
    /// (`AUTHBRIDGE_TEST_AWS_ENDPOINT`).
    DynamoDb,
}

impl Store {
    /// The store's name in test output and screenshot folders: `embedded` or `dynamodb`.
    pub fn name(self) -> &'static str {
        match self {
            Store::Embedded => "embedded",
            Store::DynamoDb => "dynamodb",
        }
    }

    /// Whether this store can be had: the emulator for DynamoDB. Under the test command
    /// (`AUTHBRIDGE_TEST_REQUIRE_SERVERS=1`) a missing emulator is a failure; under plain `cargo
    /// test` the test says why and should return.
    pub fn available(self) -> bool {
        match self {
            Store::Embedded => true,
            Store::DynamoDb => emulator().is_some(),
        }
    }
}

/// The emulator's endpoint, as [`Store::available`] asks for it.
fn emulator() -> Option<String> {
    match std::env::var("AUTHBRIDGE_TEST_AWS_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("AUTHBRIDGE_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => panic!(
            "AUTHBRIDGE_TEST_AWS_ENDPOINT is not set: the test command must start the emulator"
        ),
        _ => {
            eprintln!(
                "skipped: the DynamoDB emulator is not running (AUTHBRIDGE_TEST_AWS_ENDPOINT unset); run the README's test command"
            );
            None
        }
    }
}

/// The variables that put a process on `store`, kept in `dir` (the embedded file) or under a
/// fresh table and secret prefix in the emulator.
fn store_env(store: Store, dir: &Path) -> Vec<(String, String)> {
    match store {
        Store::Embedded => vec![
            ("AUTHBRIDGE_BACKEND".into(), "embedded".into()),
            (
                "AUTHBRIDGE_DB_PATH".into(),
                dir.join("authbridge.db").display().to_string(),
            ),
        ],
        Store::DynamoDb => {
            let endpoint = emulator().expect("the emulator (check Store::available first)");
            let run = format!("console-test-{}", uuid::Uuid::new_v4().simple());
            vec![
                ("AUTHBRIDGE_BACKEND".into(), "aws".into()),
                ("AUTHBRIDGE_TABLE".into(), run.clone()),
                ("AUTHBRIDGE_SECRET_PREFIX".into(), format!("{run}/")),
                ("AWS_ENDPOINT_URL".into(), endpoint),
                ("AWS_REGION".into(), "us-east-1".into()),
                ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ]
        }
    }
}

/// The real `authbridge-local` on its own port and store; killed when dropped.
pub struct LocalStackProcess {
    pub base: Url,
    pub store: Store,
    child: Child,
    log: PathBuf,
    /// The variables that put a process (the stack, the CLI) on this stack's store.
    store_env: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

impl LocalStackProcess {
    /// Spawns the stack on the embedded store and waits until `/` answers.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Spawns the stack on the embedded store with the variables `vars` set as well, and waits
    /// until `/` answers.
    pub async fn start_with(vars: &[(&str, String)]) -> Self {
        Self::start_on(Store::Embedded, vars).await
    }

    /// Spawns the stack on a fresh `store` (for DynamoDB: its table made and its token key stored
    /// with the CLI, as `infra/api-test.sh` does) with the variables `vars` set as well, and waits
    /// until `/` answers.
    pub async fn start_on(store: Store, vars: &[(&str, String)]) -> Self {
        Self::start_prepared(store, vars, &[]).await
    }

    /// [`Self::start_on`], with the CLI run on the fresh store with each of `prepare` (its
    /// arguments and standard input) before the stack starts: what the stack reads as it starts,
    /// such as the WordPress plugin's token.
    pub async fn start_prepared(
        store: Store,
        vars: &[(&str, String)],
        prepare: &[(&[&str], &str)],
    ) -> Self {
        let binary = local_stack_binary();
        let dir = tempfile::tempdir().expect("a folder for the stack's store and log");
        let store_env = store_env(store, dir.path());
        if store == Store::DynamoDb {
            prepare_table(&store_env);
        }
        for (args, stdin) in prepare {
            run_cli(&store_env, args, stdin);
        }
        let port = free_port();
        let log = dir.path().join("authbridge-local.log");
        let out = File::create(&log).expect("the stack's log file");
        let err = out.try_clone().expect("the stack's log file, twice");
        let mut command = Command::new(binary);
        // Only what this test sets: not the test command's endpoints, not an AWS table.
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("AUTHBRIDGE_"))
                || key == "AWS_ENDPOINT_URL"
            {
                command.env_remove(key);
            }
        }
        let child = command
            .envs(store_env.iter().map(|(k, v)| (k, v)))
            .env("AUTHBRIDGE_PORT", port.to_string())
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut stack = LocalStackProcess {
            base: Url::parse(&format!("http://127.0.0.1:{port}/")).expect("the stack's URL"),
            store,
            child,
            log,
            store_env,
            _dir: dir,
        };
        let started = Instant::now();
        stack.wait_until_up().await;
        eprintln!("authbridge-local answered after {:.1?}", started.elapsed());
        stack
    }

    async fn wait_until_up(&mut self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + STACK_START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the stack's exit status") {
                panic!(
                    "authbridge-local exited ({status}) before answering; its log:\n{}",
                    self.log_text()
                );
            }
            if let Ok(response) = http.get(self.base.clone()).send().await
                && response.status().is_success()
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "authbridge-local did not answer {} within {STACK_START_TIMEOUT:?}; its log:\n{}",
                    self.base,
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The stack's embedded store file (on [`Store::Embedded`]).
    pub fn db_path(&self) -> PathBuf {
        assert_eq!(
            self.store,
            Store::Embedded,
            "only an embedded stack has a file"
        );
        self._dir.path().join("authbridge.db")
    }

    /// The variables that put a process on this stack's store (for an in-process context:
    /// `authbridge::config::Env::from_pairs`).
    pub fn store_env(&self) -> Vec<(&str, &str)> {
        self.store_env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Runs the real `authbridge` CLI (built next to the stack's binary, see [`cli_binary`]) on
    /// the stack's store with `args` and `stdin`, and asserts it succeeded; its standard output.
    pub fn cli(&self, args: &[&str], stdin: &str) -> String {
        run_cli(&self.store_env, args, stdin)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Makes the table of a DynamoDB store and the key that seals its tokens (the stack's template
/// makes both on AWS), with the CLI.
fn prepare_table(store_env: &[(String, String)]) {
    run_cli(store_env, &["create-table"], "");
    let prefix = store_env
        .iter()
        .find(|(k, _)| k == "AUTHBRIDGE_SECRET_PREFIX")
        .map(|(_, v)| v.as_str())
        .expect("a secret prefix");
    let key = format!(
        "{}{}\n",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    run_cli(
        store_env,
        &[
            "secrets",
            "set",
            &format!("{prefix}token-key"),
            "--value-stdin",
        ],
        &key,
    );
}

/// Runs the CLI on the store `store_env` names with `args` and `stdin`, and asserts it succeeded;
/// its standard output.
fn run_cli(store_env: &[(String, String)], args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let binary = cli_binary();
    let mut command = Command::new(binary);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("AUTHBRIDGE_")) || key == "AWS_ENDPOINT_URL" {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args(args)
        .envs(store_env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    child
        .stdin
        .take()
        .expect("the CLI's stdin")
        .write_all(stdin.as_bytes())
        .expect("writing to the CLI");
    let out = child.wait_with_output().expect("the CLI's output");
    assert!(
        out.status.success(),
        "authbridge {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Drop for LocalStackProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
