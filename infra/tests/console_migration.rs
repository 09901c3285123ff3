//! The console's migration panel against the real WordPress the test command starts
//! (`infra/wordpress/setup.sh`, with the authbridge plugin), in headless Chromium, on both stores:
//! the real `authbridge-local` with the WordPress fallback on and pointing at the site; two users
//! registered in WordPress, which the plugin posts to the stack's sync-user with an API token made
//! by the CLI; one of them logs in through `POST /auth/login` with the password only WordPress
//! knows (a fallback login, which migrates them); an administrator's migration panel then counts
//! two synced users, one migrated by signing in, one not seen since, one fallback login in the last
//! 24 hours and 7 days, and when it was. Screenshot: `.test-run/console/<store>/migration-wordpress.png`.
//!
//! Needs ChromeDriver and the test WordPress (`AUTHBRIDGE_TEST_WORDPRESS_URL`, `_DIR`,
//! `_AUTH_TOKEN`), which the README's test command starts; under plain `cargo test` the test says
//! why it is skipped and returns.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::browser::{in_browser, webdriver};
use common::console::{prepared_stack, screenshot, sign_in, text, texts, user, wait_for};
use common::local_stack::{LocalStackProcess, Store};
use fantoccini::Locator;
use serde_json::{Value, json};

on_both_stores!(the_migration_panel_counts_a_synced_user_a_migrated_login_and_a_fallback_login);

/// The password the WordPress users are registered with (only WordPress holds it at first).
const WORDPRESS_PASSWORD: &str = "Tr0ub4dor&3 in WordPress";

/// The test WordPress: its URL, its folder (with `wp-load.php`) and the plugin's token for the
/// credential check. `None` (with the reason printed) under plain `cargo test`; a failure under the
/// test command when it is not running.
struct Site {
    url: String,
    dir: PathBuf,
    auth_token: String,
}

fn site() -> Option<Site> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (
        var("AUTHBRIDGE_TEST_WORDPRESS_URL"),
        var("AUTHBRIDGE_TEST_WORDPRESS_DIR"),
        var("AUTHBRIDGE_TEST_WORDPRESS_AUTH_TOKEN"),
    ) {
        (Some(url), Some(dir), Some(auth_token)) => Some(Site {
            url,
            dir: PathBuf::from(dir),
            auth_token,
        }),
        _ if std::env::var("AUTHBRIDGE_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
            panic!(
                "AUTHBRIDGE_TEST_WORDPRESS_URL is not set: the test command must start WordPress"
            )
        }
        _ => {
            eprintln!(
                "skipped: the test WordPress is not running (AUTHBRIDGE_TEST_WORDPRESS_URL unset); run the README's test command"
            );
            None
        }
    }
}

impl Site {
    /// Registers a subscriber with WordPress's own `wp_insert_user` (`infra/wordpress/wp-test.php`),
    /// so the plugin's `user_register` hook posts it to `stack` with `api_token`; its WordPress ID.
    async fn register(&self, stack: &LocalStackProcess, api_token: &str, login: &str) -> u64 {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("wordpress/wp-test.php");
        let args = json!({
            "login": login,
            "email": format!("{login}@example.org"),
            "password": WORDPRESS_PASSWORD,
            "first_name": "Wendy",
            "last_name": "Press",
        });
        let mut command = Command::new("php");
        command
            .arg(script)
            .arg(&self.dir)
            .arg("create-user")
            .arg(args.to_string())
            .env("AUTHBRIDGE_URL", stack.base.as_str())
            .env("AUTHBRIDGE_API_TOKEN", api_token);
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the PHP command's thread")
            .expect("running php (Debian's php-cli)");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "wp-test.php create-user: {stderr}");
        let answer: Value = serde_json::from_slice(&out.stdout).expect("wp-test.php's JSON");
        answer["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("no user ID: {answer} {stderr}"))
    }
}

/// A WordPress login no other test run uses (the site lives for the whole run).
fn unique_login(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// The figure `name` of the migration panel (its row's `data-figure`).
async fn figure(
    browser: &fantoccini::Client,
    name: &str,
) -> Result<String, fantoccini::error::CmdError> {
    text(
        browser,
        &format!("table#migration tr[data-figure='{name}'] td"),
    )
    .await
}

async fn the_migration_panel_counts_a_synced_user_a_migrated_login_and_a_fallback_login(
    store: Store,
) {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let Some(site) = site() else {
        return;
    };
    // The fallback on, asking the site; the plugin's token stored before the stack starts.
    let token_line = format!("{}\n", site.auth_token);
    let (stack, _providers) = prepared_stack(
        store,
        &[
            ("AUTHBRIDGE_WP_FALLBACK", "1".to_string()),
            ("AUTHBRIDGE_WP_URL", site.url.clone()),
        ],
        &[(&["wordpress", "set-token", "--stdin"], &token_line)],
    )
    .await;
    user(&stack, "admin@example.org", Some("admin"));
    let created = stack.cli(
        &[
            "--json",
            "api-tokens",
            "create",
            "wordpress-site",
            "--allow",
            "sync-user",
        ],
        "",
    );
    let created: Value = serde_json::from_str(&created).expect("the new token as JSON");
    let api_token = created["token"].as_str().expect("the token's value");

    // Two users registered in WordPress, posted by the plugin; one of them logs in.
    let stays = unique_login("wp-stays");
    let moves = unique_login("wp-moves");
    site.register(&stack, api_token, &stays).await;
    site.register(&stack, api_token, &moves).await;
    let login = reqwest::Client::new()
        .post(stack.base.join("auth/login").expect("the login URL"))
        .json(&json!({"username": moves, "password": WORDPRESS_PASSWORD}))
        .send()
        .await
        .expect("the stack answers");
    assert_eq!(
        login.status(),
        200,
        "a fallback login: {}",
        login.text().await.unwrap_or_default()
    );

    let seen = in_browser(&webdriver, async |browser| {
        sign_in(browser, &stack, "admin@example.org").await?;
        wait_for(browser, "ul#allowed").await?;
        browser
            .find(Locator::LinkText("Migration"))
            .await?
            .click()
            .await?;
        wait_for(browser, "table#migration").await?;
        let mut figures = Vec::new();
        for name in [
            "synced",
            "migrated",
            "never_seen",
            "fallback_24h",
            "fallback_7d",
            "last_fallback",
        ] {
            figures.push((name, figure(browser, name).await?));
        }
        let verdict = text(browser, "#verdict").await?;
        screenshot(browser, &stack, "migration-wordpress").await?;
        // The synced users, as the users page finds them by their WordPress login.
        browser
            .goto(
                stack
                    .base
                    .join(&format!("admin/users?q={stays}"))
                    .expect("a console URL")
                    .as_str(),
            )
            .await?;
        let found = texts(browser, "table#users tbody tr").await?;
        Ok((figures, verdict, found))
    })
    .await;
    let (figures, verdict, found) = seen;
    let shown = |name: &str| {
        figures
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(shown("synced"), "2", "{figures:?}");
    assert_eq!(shown("migrated"), "1", "{figures:?}");
    assert_eq!(shown("never_seen"), "1", "{figures:?}");
    assert_eq!(shown("fallback_24h"), "1", "{figures:?}");
    assert_eq!(shown("fallback_7d"), "1", "{figures:?}");
    let last = shown("last_fallback");
    assert!(
        last != "never" && last.ends_with(" UTC)"),
        "when the fallback login was: {figures:?}"
    );
    assert!(verdict.starts_with("Not yet"), "{verdict}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(&format!("{stays}@example.org")) && found[0].contains("WordPress"),
        "{found:?}"
    );
}
