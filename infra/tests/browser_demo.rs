//! In a real browser: headless Chromium (Debian's `chromium`), driven through ChromeDriver over
//! WebDriver, clicks through the local stack's demo flow and checks the landing page.
//!
//! The stack under test is the real `authbridge-local` binary, started as a child process on a
//! free 127.0.0.1 port with an embedded store of its own, so what is tested is exactly what a
//! person gets from the README's Quick start: the index page, `GET /oauth/start`, the local demo
//! provider's consent page, the return handler, and the landing back on the index page.
//!
//! Needs ChromeDriver (`AUTHBRIDGE_TEST_WEBDRIVER`), which the README's test command starts; under
//! plain `cargo test` each test prints why it is skipped and returns.

mod common;

use authbridge_infra::demo::LOCAL_ONLY_NOTICE;
use common::browser::{in_browser, webdriver};
use common::local_stack::LocalStackProcess;
use fantoccini::error::CmdError;
use fantoccini::{Client, Locator};
use std::path::Path;
use url::Url;

/// A whole run of a token, without spaces, longer than this looks like a secret on the page.
const LONGEST_PLAIN_WORD: usize = 40;

/// What the browser saw on the demo provider's consent page.
struct ConsentPage {
    url: Url,
    notice: String,
    heading: String,
}

/// What the browser saw on the index page after the flow.
struct LandingPage {
    url: Url,
    status: String,
    /// Every row of `#tokens`, header first; empty when no table is shown.
    tokens: Vec<Vec<String>>,
    body: String,
    screenshot: Vec<u8>,
}

/// Opens `/`, clicks "Connect demo", answers the consent page with the button `decision`
/// (`approve` or `deny`) and reads the page the browser lands on.
async fn demo_flow(
    browser: &Client,
    base: &Url,
    decision: &str,
) -> Result<(ConsentPage, LandingPage), CmdError> {
    browser.goto(base.as_str()).await?;
    browser
        .find(Locator::Css("#connect-demo"))
        .await?
        .click()
        .await?;
    let button = browser
        .wait()
        .for_element(Locator::Css(&format!("button[value={decision}]")))
        .await?;
    let consent = ConsentPage {
        url: browser.current_url().await?,
        notice: browser.find(Locator::Css(".banner")).await?.text().await?,
        heading: browser.find(Locator::Css("h1")).await?.text().await?,
    };
    button.click().await?;
    let status = browser
        .wait()
        .for_element(Locator::Css("#status"))
        .await?
        .text()
        .await?;
    let mut tokens = Vec::new();
    for row in browser.find_all(Locator::Css("#tokens tr")).await? {
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("th, td")).await? {
            cells.push(cell.text().await?);
        }
        tokens.push(cells);
    }
    let landing = LandingPage {
        url: browser.current_url().await?,
        status,
        tokens,
        body: browser.find(Locator::Css("body")).await?.text().await?,
        screenshot: browser.screenshot().await?,
    };
    Ok((consent, landing))
}

fn query_keys(url: &Url) -> Vec<String> {
    url.query_pairs().map(|(k, _)| k.into_owned()).collect()
}

fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn assert_local_consent_page(consent: &ConsentPage, stack: &LocalStackProcess) {
    assert_eq!(
        consent.url.origin(),
        stack.base.origin(),
        "the consent page is served by the local stack"
    );
    assert!(
        consent.url.path().starts_with("/demo/authorize"),
        "Connect demo leads to the demo provider's authorize page, not {}",
        consent.url
    );
    assert_eq!(
        consent.notice, LOCAL_ONLY_NOTICE,
        "the consent page says it is local-only"
    );
    assert_eq!(consent.heading, "Authorize authbridge-demo?");
}

#[tokio::test]
async fn approving_the_demo_provider_lands_connected_with_the_token_redacted() {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let stack = LocalStackProcess::start().await;
    let (consent, landing) = in_browser(&webdriver, async |browser| {
        demo_flow(browser, &stack.base, "approve").await
    })
    .await;

    let shot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.test-run")
        .join("browser-demo.png");
    std::fs::create_dir_all(shot.parent().expect("a parent folder")).expect("creating .test-run");
    std::fs::write(&shot, &landing.screenshot).expect("writing the screenshot");
    eprintln!("screenshot of the landing page: {}", shot.display());

    assert_local_consent_page(&consent, &stack);
    assert_eq!(
        landing.url.path(),
        "/",
        "the browser lands on the index page"
    );
    assert_eq!(query(&landing.url, "status").as_deref(), Some("connected"));
    assert_eq!(query(&landing.url, "tag").as_deref(), Some("demo"));
    assert_eq!(
        query_keys(&landing.url),
        ["status", "tag"],
        "no code or token in the landing URL: {}",
        landing.url
    );
    assert!(
        landing.status.contains("Connected") && landing.status.contains("demo"),
        "the status line says connected: {:?}",
        landing.status
    );

    let (header, rows) = landing
        .tokens
        .split_first()
        .unwrap_or_else(|| panic!("a #tokens table on the landing page:\n{}", landing.body));
    assert_eq!(header.last().map(String::as_str), Some("access token"));
    let demo = rows
        .iter()
        .find(|row| row.first().map(String::as_str) == Some("demo"))
        .unwrap_or_else(|| panic!("a token tagged demo in {:?}", landing.tokens));
    assert_eq!(
        demo.last().map(String::as_str),
        Some("[redacted]"),
        "the access token column is redacted: {demo:?}"
    );
    for cell in landing.tokens.iter().flatten() {
        let longest = cell.split_whitespace().map(str::len).max().unwrap_or(0);
        assert!(
            longest <= LONGEST_PLAIN_WORD,
            "a cell of #tokens looks like a secret: {cell:?}"
        );
    }
}

#[tokio::test]
async fn denying_the_demo_provider_lands_with_access_denied() {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let stack = LocalStackProcess::start().await;
    let (consent, landing) = in_browser(&webdriver, async |browser| {
        demo_flow(browser, &stack.base, "deny").await
    })
    .await;

    assert_local_consent_page(&consent, &stack);
    assert_eq!(
        landing.url.path(),
        "/",
        "the browser lands on the index page"
    );
    assert_eq!(query(&landing.url, "status").as_deref(), Some("error"));
    assert_eq!(
        query(&landing.url, "error").as_deref(),
        Some("access_denied")
    );
    assert!(
        landing.status.contains("Not connected") && landing.status.contains("access_denied"),
        "the status line shows the error: {:?}",
        landing.status
    );
    assert!(
        landing.tokens.is_empty() && landing.body.contains("No tokens stored yet."),
        "no token is stored after a denial:\n{}",
        landing.body
    );
}
