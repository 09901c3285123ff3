//! The real WordPress the test command starts (`infra/wordpress/setup.sh`: Debian's `wordpress`
//! package on a throwaway MariaDB, served by `php -S` on 127.0.0.1) with the authbridge plugin
//! (`infra/wordpress/plugin/authbridge`) active.
//!
//! Users are made and changed by WordPress's own PHP functions (`infra/wordpress/wp-test.php`,
//! run with the PHP command line), so the hooks fire as on a real site and the plugin posts them
//! to sync-user. Where it posts is the environment of each of those PHP processes
//! ([`WordPress::set_authbridge`]): every test points its own handle at its own authbridge, and
//! tests run in parallel on the one site. Make names unique ([`WordPress::unique_login`]): the
//! site lives for the whole test run. A bulk sync posts every user of the site, other tests' too,
//! and so ends their queued retries: a test that runs one holds [`WordPress::exclusive`], a test
//! that counts on its users' retries holds [`WordPress::shared`].
//!
//! The test command exports `AUTHBRIDGE_TEST_WORDPRESS_URL` (the site),
//! `AUTHBRIDGE_TEST_WORDPRESS_DIR` (its folder, holding `wp-load.php`) and
//! `AUTHBRIDGE_TEST_WORDPRESS_AUTH_TOKEN` (the plugin's `AUTHBRIDGE_AUTH_TOKEN`).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use url::Url;

use crate::server_endpoint;

/// Bulk syncs (writers) against tests that count on their users' retries (readers).
static SITE: RwLock<()> = RwLock::const_new(());

/// How long one PHP command may run before the test gives up on it: a guard against a hang, not
/// a measure of speed (a bulk sync posts every user of the site, one after the other, and on a
/// loaded machine against the emulator that takes a while).
const PHP_TIME_LIMIT: Duration = Duration::from_secs(180);

/// The test WordPress, as one test sees it.
#[derive(Debug, Clone)]
pub struct WordPress {
    /// The site's URL, e.g. `http://127.0.0.1:41234`.
    pub url: Url,
    /// The site's folder (with `wp-load.php`).
    pub dir: PathBuf,
    /// The token the credential check expects (`AUTHBRIDGE_AUTH_TOKEN` in `wp-config.php`).
    pub auth_token: String,
    /// Where this handle's PHP processes post users, and with which API token.
    authbridge: Option<(Url, String)>,
}

/// The test WordPress; `None` (with the reason printed) under plain `cargo test`, a panic under
/// the test command when it is not running.
pub fn wordpress() -> Option<WordPress> {
    let what = "the test WordPress (infra/wordpress/setup.sh)";
    let url = server_endpoint("AUTHBRIDGE_TEST_WORDPRESS_URL", what)?;
    let dir = server_endpoint("AUTHBRIDGE_TEST_WORDPRESS_DIR", what)?;
    let auth_token = server_endpoint("AUTHBRIDGE_TEST_WORDPRESS_AUTH_TOKEN", what)?;
    Some(WordPress {
        url: Url::parse(&url).expect("AUTHBRIDGE_TEST_WORDPRESS_URL is a URL"),
        dir: PathBuf::from(dir),
        auth_token,
        authbridge: None,
    })
}

/// What one PHP command did.
#[derive(Debug, Clone)]
pub struct PhpRun {
    pub success: bool,
    pub stdout: String,
    /// PHP's error log: the plugin's log lines.
    pub stderr: String,
    pub elapsed: Duration,
}

impl PhpRun {
    /// Standard output as JSON; panics, showing the run, when the command failed.
    pub fn json(&self) -> Value {
        assert!(self.success, "the PHP command failed: {self:?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }
}

/// The retry the plugin queued for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// When it is due (Unix time).
    pub at: i64,
    /// The user's failed posts so far.
    pub failures: u32,
    /// When the plugin's WP-Cron event, which runs due retries, is next due.
    pub event_at: Option<i64>,
}

fn infra_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/wordpress")
}

impl WordPress {
    /// The credential check: `{site}/api/v1/remp/auth`.
    pub fn credential_check_url(&self) -> Url {
        self.url
            .join("/api/v1/remp/auth")
            .expect("the credential check's URL")
    }

    /// From now on this handle's PHP processes post users to the authbridge at `url` with
    /// `api_token` (the plugin's `AUTHBRIDGE_URL` and `AUTHBRIDGE_API_TOKEN`).
    pub fn set_authbridge(&mut self, url: &Url, api_token: &str) {
        self.authbridge = Some((url.clone(), api_token.to_string()));
    }

    /// Held by a test that counts on its users' queued retries: no bulk sync of this test binary
    /// runs meanwhile.
    pub async fn shared() -> RwLockReadGuard<'static, ()> {
        SITE.read().await
    }

    /// Held by a test that runs a bulk sync, alone among the tests that hold [`Self::shared`].
    pub async fn exclusive() -> RwLockWriteGuard<'static, ()> {
        SITE.write().await
    }

    /// A user login (and e-mail local part) no other test uses.
    pub fn unique_login(prefix: &str) -> String {
        format!(
            "{prefix}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        )
    }

    /// Runs `php <script> <args>` in the site's environment, off the async executor (the plugin
    /// may be posting to an authbridge served by this very test's runtime).
    pub async fn php(&self, script: PathBuf, args: Vec<String>) -> PhpRun {
        let mut command = Command::new("php");
        command
            .arg(script)
            .args(args)
            .env_remove("AUTHBRIDGE_URL")
            .env_remove("AUTHBRIDGE_API_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some((url, token)) = &self.authbridge {
            command
                .env("AUTHBRIDGE_URL", url.as_str())
                .env("AUTHBRIDGE_API_TOKEN", token);
        }
        tokio::task::spawn_blocking(move || run_with_limit(command))
            .await
            .expect("the PHP command's thread")
    }

    /// `infra/wordpress/wp-test.php COMMAND ARGS` (see that file).
    pub async fn wp_test(&self, command: &str, args: Value) -> PhpRun {
        self.php(
            infra_dir().join("wp-test.php"),
            vec![
                self.dir.display().to_string(),
                command.to_string(),
                args.to_string(),
            ],
        )
        .await
    }

    /// Registers a subscriber with `wp_insert_user` (so `user_register` fires); its WordPress ID.
    pub async fn create_user(
        &self,
        login: &str,
        email: &str,
        password: &str,
        first_name: &str,
        last_name: &str,
    ) -> u64 {
        let run = self
            .wp_test(
                "create-user",
                json!({
                    "login": login,
                    "email": email,
                    "password": password,
                    "first_name": first_name,
                    "last_name": last_name,
                }),
            )
            .await;
        run.json()["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("no user ID: {run:?}"))
    }

    /// Changes a user's e-mail address with `wp_update_user` (`profile_update` fires).
    pub async fn update_user_email(&self, id: u64, email: &str) -> PhpRun {
        let run = self
            .wp_test("update-email", json!({"id": id, "email": email}))
            .await;
        run.json();
        run
    }

    /// Changes a user's password with `wp_update_user` (`profile_update` fires).
    pub async fn set_password(&self, id: u64, password: &str) -> PhpRun {
        let run = self
            .wp_test("set-password", json!({"id": id, "password": password}))
            .await;
        run.json();
        run
    }

    /// The retry the plugin queued for user `id`, if any.
    pub async fn pending_retry(&self, id: u64) -> Option<Retry> {
        let run = self.wp_test("pending-retry", json!({"id": id})).await;
        let retry = run.json();
        if retry.is_null() {
            return None;
        }
        Some(Retry {
            at: retry["at"].as_i64().expect("a due time"),
            failures: retry["failures"].as_u64().expect("a count") as u32,
            event_at: retry["event_at"].as_i64(),
        })
    }

    /// Makes the retries of `users` due now and runs the plugin's WP-Cron retry event for them
    /// (other users' retries are left alone). The run, whose JSON says how many ran (`ran`).
    pub async fn run_cron(&self, users: &[u64]) -> PhpRun {
        self.wp_test("run-cron", json!({ "ids": users })).await
    }

    /// `bin/export-users.php`: every user as JSON lines, with password hashes.
    pub async fn export_users(&self) -> String {
        let run = self
            .php(
                infra_dir().join("plugin/authbridge/bin/export-users.php"),
                vec![self.dir.display().to_string()],
            )
            .await;
        assert!(run.success, "export-users failed: {run:?}");
        run.stdout
    }

    /// `bin/sync-all.php`: every user posted to this handle's authbridge.
    pub async fn sync_all(&self) -> PhpRun {
        self.php(
            infra_dir().join("plugin/authbridge/bin/sync-all.php"),
            vec![self.dir.display().to_string()],
        )
        .await
    }
}

/// Runs `command`, killing it after [`PHP_TIME_LIMIT`].
fn run_with_limit(mut command: Command) -> PhpRun {
    // The arguments only: the environment holds the API token.
    let what = format!("{:?}", command.get_args().collect::<Vec<_>>());
    let started = Instant::now();
    let mut child = command.spawn().expect("starting php (Debian's php-cli)");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for php") {
            break status;
        }
        if started.elapsed() > PHP_TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("php ran for more than {PHP_TIME_LIMIT:?}: {what}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    PhpRun {
        success: status.success(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        elapsed: started.elapsed(),
    }
}
