//! Headless Chromium (Debian's `chromium`) driven through ChromeDriver over WebDriver, for the
//! real-browser tests; ChromeDriver is started by the README's test command.

use std::time::Instant;

use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// Chromium's flags on this closed network: no sandbox (we run as root), and none of the
/// background connections to Google's hosts that the network refuses.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
];

/// The WebDriver endpoint the test command started (`AUTHBRIDGE_TEST_WEBDRIVER`). Under the test
/// command (`AUTHBRIDGE_TEST_REQUIRE_SERVERS=1`) its absence is a failure; under a plain
/// `cargo test` the test says why and returns.
pub fn webdriver() -> Option<String> {
    match std::env::var("AUTHBRIDGE_TEST_WEBDRIVER") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("AUTHBRIDGE_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
            panic!("AUTHBRIDGE_TEST_WEBDRIVER is not set: the test command must start ChromeDriver")
        }
        _ => {
            eprintln!(
                "skipped: ChromeDriver is not running (AUTHBRIDGE_TEST_WEBDRIVER unset); run the README's test command"
            );
            None
        }
    }
}

/// Opens a headless Chromium session, runs `flow` in it and always closes the session, also
/// when the flow fails. Flows return errors instead of panicking and leave the assertions to
/// the test, so that a failed check never leaves a browser behind.
pub async fn in_browser<T>(
    webdriver: &str,
    flow: impl AsyncFnOnce(&Client) -> Result<T, CmdError>,
) -> T {
    let profile = tempfile::tempdir().expect("a fresh Chromium profile folder");
    let chromium =
        std::env::var("AUTHBRIDGE_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object")
    };
    // ChromeDriver only listens on loopback and only speaks plain HTTP.
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .unwrap_or_else(|e| panic!("opening a Chromium session through {webdriver}: {e}"));
    let started = Instant::now();
    let outcome = flow(&client).await;
    eprintln!("browser flow: {:.1?}", started.elapsed());
    let closed = client.close().await;
    let value = outcome.unwrap_or_else(|e| panic!("the browser flow failed: {e}"));
    closed.expect("closing the WebDriver session");
    value
}
