//! The real `authbridge-local` binary as a child process, on a free 127.0.0.1 port with an
//! embedded store of its own: what a person gets from the README's Quick start.

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

/// The real `authbridge-local` on its own port and embedded store; killed when dropped.
pub struct LocalStackProcess {
    pub base: Url,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl LocalStackProcess {
    /// Spawns the stack and waits until `/` answers.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Spawns the stack with the variables `vars` set as well, and waits until `/` answers.
    pub async fn start_with(vars: &[(&str, String)]) -> Self {
        let binary = local_stack_binary();
        let dir = tempfile::tempdir().expect("a folder for the stack's store and log");
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
            .env("AUTHBRIDGE_DB_PATH", dir.path().join("authbridge.db"))
            .env("AUTHBRIDGE_PORT", port.to_string())
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut stack = LocalStackProcess {
            base: Url::parse(&format!("http://127.0.0.1:{port}/")).expect("the stack's URL"),
            child,
            log,
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

    /// The stack's embedded store, for the CLI to work on.
    pub fn db_path(&self) -> PathBuf {
        self._dir.path().join("authbridge.db")
    }

    /// Runs the real `authbridge` CLI (built next to the stack's binary, see [`cli_binary`]) on
    /// the stack's store with `args` and `stdin`, and asserts it succeeded; its standard output.
    pub fn cli(&self, args: &[&str], stdin: &str) -> String {
        use std::io::Write;
        let binary = cli_binary();
        let mut command = Command::new(binary);
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("AUTHBRIDGE_"))
                || key == "AWS_ENDPOINT_URL"
            {
                command.env_remove(key);
            }
        }
        let mut child = command
            .args(args)
            .env("AUTHBRIDGE_DB_PATH", self.db_path())
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

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LocalStackProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
