//! What the console's browser tests share: a stack with the test authorization server as a
//! provider, on the store a test asks for; users made with the CLI; signing in through the
//! sign-in page; reading pages; screenshots under `.test-run/console/<store>/`; and
//! [`on_both_stores!`](crate::on_both_stores), which runs a test on the embedded store and on
//! DynamoDB in the emulator.

use std::path::{Path, PathBuf};

use fantoccini::error::CmdError;
use fantoccini::{Client, Locator};
use url::Url;

use super::local_stack::{LocalStackProcess, Store};

/// Runs each listed test on both stores, as `embedded::<name>` and `dynamodb::<name>`: a test is
/// an `async fn(Store)` that starts its stack on that store. The DynamoDB one needs the emulator
/// (a failure under the test command when it is missing; under plain `cargo test` it returns).
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::local_stack::Store::Embedded).await
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = $crate::common::local_stack::Store::DynamoDb;
                    if store.available() {
                        super::$name(store).await
                    }
                }
            )*
        }
    };
}

pub const PASSWORD: &str = "console test password";
pub const TEST_PROVIDER: &str = "test-oidc";
/// The test authorization server's authorization-code client (infra/oidc-server/clients.json).
pub const CODE_CLIENT: &str = "authbridge-test";

/// Where the screenshots of a stack on `store` go: `.test-run/console/<store>/`.
fn screenshots(store: Store) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.test-run/console")
        .join(store.name());
    std::fs::create_dir_all(&dir).expect("creating .test-run/console");
    dir
}

/// Writes what the browser shows as `<name>.png` among the screenshots of `stack`'s store.
pub async fn screenshot(
    browser: &Client,
    stack: &LocalStackProcess,
    name: &str,
) -> Result<(), CmdError> {
    let png = browser.screenshot().await?;
    std::fs::write(screenshots(stack.store).join(format!("{name}.png")), png)
        .expect("writing a screenshot");
    Ok(())
}

/// A stack with the test authorization server as a provider (given by its issuer), when the test
/// command started it; else with the shipped providers only; on `store`.
pub async fn stack(
    store: Store,
    extra: &[(&str, String)],
) -> (LocalStackProcess, Option<tempfile::TempDir>) {
    prepared_stack(store, extra, &[]).await
}

/// [`stack`], with the CLI run on the fresh store with each of `prepare` (its arguments and
/// standard input) before the stack starts.
pub async fn prepared_stack(
    store: Store,
    extra: &[(&str, String)],
    prepare: &[(&[&str], &str)],
) -> (LocalStackProcess, Option<tempfile::TempDir>) {
    let mut vars: Vec<(&str, String)> = extra.to_vec();
    let providers = std::env::var("AUTHBRIDGE_TEST_OIDC_ISSUER")
        .ok()
        .map(|issuer| {
            let dir = tempfile::tempdir().expect("a providers folder");
            let provider = serde_json::json!({
                "title": "Test OpenID Connect server",
                "issuer": issuer.trim_end_matches('/'),
                "options": {"scopes": ["openid", "profile", "email", "offline_access"]}
            });
            std::fs::write(
                dir.path().join(format!("{TEST_PROVIDER}.json")),
                provider.to_string(),
            )
            .expect("writing the provider file");
            dir
        });
    if let Some(dir) = &providers {
        vars.push(("AUTHBRIDGE_PROVIDERS_DIR", dir.path().display().to_string()));
    }
    (
        LocalStackProcess::start_prepared(store, &vars, prepare).await,
        providers,
    )
}

/// Makes a user with the CLI, and gives it `role` when one is named.
pub fn user(stack: &LocalStackProcess, email: &str, role: Option<&str>) {
    stack.cli(
        &["users", "create", "--email", email, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    if let Some(role) = role {
        let shown = stack.cli(&["users", "grant-role", email, role], "");
        assert!(
            shown.contains(role),
            "users grant-role shows the role: {shown}"
        );
    }
}

/// The console page `rest` (`""`, `/clients`, ...) of `stack`.
pub fn console(stack: &LocalStackProcess, rest: &str) -> Url {
    stack
        .base
        .join(&format!("admin{rest}"))
        .expect("a console URL")
}

/// Opens the console, is sent to the sign-in page, and signs in as `email`.
pub async fn sign_in(
    browser: &Client,
    stack: &LocalStackProcess,
    email: &str,
) -> Result<(), CmdError> {
    browser.goto(console(stack, "").as_str()).await?;
    browser
        .wait()
        .for_element(Locator::Css("form#sign-in"))
        .await?;
    browser
        .find(Locator::Id("email"))
        .await?
        .send_keys(email)
        .await?;
    browser
        .find(Locator::Id("password"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    browser
        .find(Locator::Css("form#sign-in button[type=submit]"))
        .await?
        .click()
        .await?;
    // The home page, or the sign-in page again saying why not.
    browser
        .wait()
        .for_element(Locator::Css("ul#allowed, p#problem"))
        .await?;
    Ok(())
}

/// The text of the element `css` finds.
pub async fn text(browser: &Client, css: &str) -> Result<String, CmdError> {
    browser.find(Locator::Css(css)).await?.text().await
}

/// The texts of every element `css` finds.
pub async fn texts(browser: &Client, css: &str) -> Result<Vec<String>, CmdError> {
    let mut all = Vec::new();
    for element in browser.find_all(Locator::Css(css)).await? {
        all.push(element.text().await?);
    }
    Ok(all)
}

/// The session cookie's value as the browser holds it (WebDriver reads HttpOnly cookies).
pub async fn session_cookie(browser: &Client) -> Result<String, CmdError> {
    Ok(browser
        .get_named_cookie("authbridge_console")
        .await?
        .value()
        .to_string())
}

/// The CSRF token in the page's forms.
pub async fn csrf(browser: &Client) -> Result<String, CmdError> {
    Ok(browser
        .find(Locator::Css("input[name=csrf]"))
        .await?
        .attr("value")
        .await?
        .unwrap_or_default())
}

/// Clicks the element `css` finds.
pub async fn click(browser: &Client, css: &str) -> Result<(), CmdError> {
    browser.find(Locator::Css(css)).await?.click().await
}

/// Waits until an element `css` finds is on the page.
pub async fn wait_for(browser: &Client, css: &str) -> Result<(), CmdError> {
    browser.wait().for_element(Locator::Css(css)).await?;
    Ok(())
}
