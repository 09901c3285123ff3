//! The OpenID Connect authorization server the test command starts (panva's `oidc-provider`, see
//! `infra/oidc-server/server.mjs`), and a stand-in for the browser that signs in on its pages.
//!
//! The server enforces client authentication and PKCE (S256), issues rotating refresh tokens, sends
//! `iss` in every authorization response (RFC 9207), and accepts any
//! `http://127.0.0.1:<port>/oauth/return` as redirect URI of its authorization-code clients (the
//! loopback rule of RFC 8252 §7.3), so each test can run its return handler on a port of its own.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use scraper::{ElementRef, Html, Selector};
use url::Url;

/// The variable holding the server's issuer, `http://127.0.0.1:<port>`.
pub const ISSUER_VAR: &str = "AUTHBRIDGE_TEST_OIDC_ISSUER";

/// The variable holding the path of the server's clients file (`infra/oidc-server/clients.json`).
pub const CLIENTS_VAR: &str = "AUTHBRIDGE_TEST_OIDC_CLIENTS";

/// The path of the redirect URI the authorization-code clients accept on any loopback port.
pub const RETURN_PATH: &str = "/oauth/return";

/// A client registered at the test server, as listed in its clients file.
#[derive(Debug, Clone, Copy)]
pub struct TestClient {
    pub id: &'static str,
    pub secret: &'static str,
}

/// Authorization code and refresh token grants; authenticates with HTTP Basic
/// (`client_secret_basic`, RFC 6749 §2.3.1). Scopes `openid profile email offline_access`.
pub const CODE_CLIENT_BASIC: TestClient = TestClient {
    id: "authbridge-test",
    secret: "authbridge-test-secret",
};

/// Authorization code and refresh token grants; authenticates with the secret in the form body
/// (`client_secret_post`). Scopes `openid profile email offline_access`.
pub const CODE_CLIENT_POST: TestClient = TestClient {
    id: "authbridge-test-post",
    secret: "authbridge-test-post-secret",
};

/// Client credentials grant only (RFC 6749 §4.4), HTTP Basic; scope `api:read`.
pub const SERVICE_CLIENT: TestClient = TestClient {
    id: "authbridge-service",
    secret: "authbridge-service-secret",
};

/// The issuer of the test server (`AUTHBRIDGE_TEST_OIDC_ISSUER`), without a trailing slash; `None`
/// with the reason printed under plain `cargo test`, a panic under the test command.
pub fn issuer() -> Option<String> {
    crate::server_endpoint(ISSUER_VAR, "the OpenID Connect test server")
        .map(|url| url.trim_end_matches('/').to_owned())
}

/// The clients file the test server was started with (`AUTHBRIDGE_TEST_OIDC_CLIENTS`), if set.
pub fn clients_file() -> Option<PathBuf> {
    std::env::var_os(CLIENTS_VAR)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

/// A redirect URI the authorization-code clients accept: `http://127.0.0.1:<port>/oauth/return`.
pub fn return_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}{RETURN_PATH}")
}

/// Whether the test server still accepts `refresh_token` of the basic-auth code client: a refresh
/// grant at its token endpoint (which rotates the token when it works).
pub async fn refresh_token_works(refresh_token: &str) -> bool {
    let issuer = issuer().expect("the test server");
    reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(CODE_CLIENT_BASIC.id, Some(CODE_CLIENT_BASIC.secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .expect("the test server answers")
        .status()
        .is_success()
}

/// How many requests the browser makes before it gives up (a loop between pages is a bug).
const MAX_STEPS: usize = 20;

/// Plays the user's browser through the authorization endpoint (RFC 6749 §4.1.1-4.1.2).
///
/// Opens `authorize_url` with a fresh cookie jar, follows the server's redirects by hand, signs in
/// on the development login page as account `login` (any password), then on the consent page
/// either continues (`approve`) or follows the "[ Cancel ]" link, which makes the server answer
/// `error=access_denied`. Stops at the first redirect that leaves the server's origin (that of
/// `authorize_url`) and returns its target without visiting it: the client's redirect URI with
/// `code`, `state` and `iss`, or with `error`.
///
/// An error names the step that failed: a transport error, an error page of the server (a redirect
/// URI it does not accept, an unknown client...), or a page the browser does not understand.
pub async fn authorize(authorize_url: &str, login: &str, approve: bool) -> Result<Url, String> {
    authorize_in(&ProviderSession::new()?, authorize_url, login, approve).await
}

/// One browser's cookies at the test server: authorizations made in one session are the same
/// signed-in person, and oidc-provider keeps one grant per session and client, as Google keeps one
/// per account and client (every refresh token issued in it belongs to that grant, and revoking
/// any of them ends them all).
pub struct ProviderSession {
    browser: reqwest::Client,
}

impl ProviderSession {
    /// A session with an empty cookie jar.
    pub fn new() -> Result<Self, String> {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("building the browser's HTTP client: {e}"))?;
        Ok(ProviderSession { browser })
    }
}

/// [`authorize`] in `session`: the server may skip its login page for an account already signed in
/// there (it still asks for consent).
pub async fn authorize_in(
    session: &ProviderSession,
    authorize_url: &str,
    login: &str,
    approve: bool,
) -> Result<Url, String> {
    let start =
        Url::parse(authorize_url).map_err(|e| format!("bad authorize URL {authorize_url}: {e}"))?;
    let origin = start.origin();
    let browser = &session.browser;

    let mut request = Step::get(start);
    for _ in 0..MAX_STEPS {
        let mut builder = browser.request(request.method.clone(), request.url.clone());
        if request.method == Method::POST {
            builder = builder.form(&request.form);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| format!("{} {}: {e}", request.method, request.url))?;
        let status = response.status();

        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .ok_or_else(|| format!("{status} from {} without a Location", request.url))?
                .to_str()
                .map_err(|e| format!("unreadable Location from {}: {e}", request.url))?;
            let target = request
                .url
                .join(location)
                .map_err(|e| format!("bad Location {location:?} from {}: {e}", request.url))?;
            if target.origin() != origin {
                return Ok(target);
            }
            request = Step::get(target);
            continue;
        }

        let body = response
            .text()
            .await
            .map_err(|e| format!("reading {}: {e}", request.url))?;
        if status != StatusCode::OK {
            return Err(format!(
                "{} answered {status}: {}",
                request.url,
                page_text(&body)
            ));
        }
        request = next_step(&request.url, &body, login, approve)?;
    }
    Err(format!(
        "no redirect out of {origin:?} after {MAX_STEPS} requests"
    ))
}

/// One request of the browser.
struct Step {
    method: Method,
    url: Url,
    form: Vec<(String, String)>,
}

impl Step {
    fn get(url: Url) -> Self {
        Step {
            method: Method::GET,
            url,
            form: Vec::new(),
        }
    }
}

/// What the user does on an interaction page: sign in, consent, or cancel.
///
/// The pages are oidc-provider's development ones: a POST form with a hidden `prompt` (`login`
/// with `login` and `password` fields, or `consent`), and a "[ Cancel ]" link to
/// `/interaction/<uid>/abort`.
fn next_step(page: &Url, body: &str, login: &str, approve: bool) -> Result<Step, String> {
    let html = Html::parse_document(body);
    let forms = selector("form")?;
    let inputs = selector("input[name]")?;
    let links = selector("a[href]")?;

    let Some(form) = html.select(&forms).find(|form| {
        form.value()
            .attr("method")
            .is_some_and(|m| m.eq_ignore_ascii_case("post"))
    }) else {
        return Err(format!(
            "{page} shows no form to submit: {}",
            page_text(body)
        ));
    };
    let mut fields: Vec<(String, String)> = form
        .select(&inputs)
        .filter_map(|input| {
            let input = input.value();
            Some((
                input.attr("name")?.to_owned(),
                input.attr("value").unwrap_or("").to_owned(),
            ))
        })
        .collect();
    let prompt = fields
        .iter()
        .find(|(name, _)| name == "prompt")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();

    match prompt.as_str() {
        "login" => {
            for (name, value) in &mut fields {
                match name.as_str() {
                    "login" => *value = login.to_owned(),
                    "password" => *value = "any password".to_owned(),
                    _ => {}
                }
            }
        }
        "consent" if !approve => {
            let cancel = html
                .select(&links)
                .find(|a| {
                    a.value()
                        .attr("href")
                        .is_some_and(|href| href.trim_end_matches('/').ends_with("/abort"))
                })
                .ok_or_else(|| format!("{page}: the consent page has no cancel link"))?;
            return Ok(Step::get(resolve(page, cancel, "href")?));
        }
        "consent" => {}
        other => {
            return Err(format!(
                "{page}: a form for an unknown prompt {other:?}: {}",
                page_text(body)
            ));
        }
    }
    Ok(Step {
        method: Method::POST,
        url: resolve(page, form, "action")?,
        form: fields,
    })
}

/// The URL in an element's attribute, resolved against the page; a missing `action` is the page.
fn resolve(page: &Url, element: ElementRef<'_>, attribute: &str) -> Result<Url, String> {
    match element.value().attr(attribute) {
        Some(value) => page
            .join(value)
            .map_err(|e| format!("{page}: bad {attribute} {value:?}: {e}")),
        None => Ok(page.clone()),
    }
}

fn selector(css: &str) -> Result<Selector, String> {
    Selector::parse(css).map_err(|e| format!("CSS selector {css:?}: {e}"))
}

/// The visible text of a page, shortened, for error messages.
fn page_text(body: &str) -> String {
    let html = Html::parse_document(body);
    let root = selector("body")
        .ok()
        .and_then(|body| html.select(&body).next())
        .unwrap_or_else(|| html.root_element());
    let text = root
        .text()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push_str("...");
    }
    short
}
