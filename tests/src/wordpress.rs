//! A stand-in for a WordPress site with REMP's original `dn-remp-wp-auth` plugin: `POST
//! /api/v1/remp/auth` answering exactly as that plugin's `handle_request` does (the answers the
//! book's "Migrating from WordPress" lists, `docs/book/src/wordpress-migration.md`), and failing
//! on demand: slow, down (connections dropped), a 500 page, or HTML where JSON belongs.
//!
//! The plugin's rules, as its code has them: no `Authorization` header is 400; a header that is
//! not two words split on one space is 400; the first word is not checked (the plugin's test of
//! it never fails); a token other than the site's is 401. Then the first field *present* decides,
//! in this order: `token` (a logged-in cookie, which this stand-in never validates, so 404),
//! `login` (a `user_login` only), `email` (a `user_email` only); none of them is 404. No such user
//! is 404 with an empty body; a wrong or missing password 401. Both lookups ignore case, as
//! MySQL's collation does.
//!
//! Every answer closes its connection, so a change of [`Mode`] applies to the very next request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// The bearer token the stand-in's plugin is configured with.
pub const WORDPRESS_TOKEN: &str = "wp-plugin-token-6f1d2c0b9a8e7d6c";

/// What the stand-in's plugin says for the messages the reference lists.
pub const WRONG_PASSWORD: &str = "Unable to authenticate user";
pub const TOKEN_REFUSED: &str = "Invalid authorization token provided";

/// A WordPress account of the stand-in.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: u64,
    pub login: String,
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
}

impl Account {
    /// An account with names `Example Admin`.
    pub fn new(id: u64, login: &str, email: &str, password: &str) -> Self {
        Account {
            id,
            login: login.into(),
            email: email.into(),
            password: password.into(),
            first_name: "Example".into(),
            last_name: "Admin".into(),
        }
    }
}

/// How the stand-in behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The plugin's protocol.
    Normal,
    /// The protocol, after a delay.
    Slow(Duration),
    /// Accepts connections and drops them at once, as a dead site behind a balancer does.
    Down,
    /// 500 with WordPress's "critical error" page.
    ServerError,
    /// 200 with an HTML page (a maintenance page, a cache or a login wall in front).
    Html,
}

/// One request as the stand-in received it (the password left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The form fields' names, in order.
    pub fields: Vec<String>,
    pub login: Option<String>,
    pub email: Option<String>,
}

struct Site {
    accounts: Mutex<Vec<Account>>,
    mode: Mutex<Mode>,
    down: Arc<AtomicBool>,
    calls: AtomicUsize,
    received: Mutex<Vec<Received>>,
}

/// A running stand-in on a random 127.0.0.1 port.
pub struct WordpressStandIn {
    pub base: Url,
    site: Arc<Site>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for WordpressStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl WordpressStandIn {
    /// Starts a site with `accounts`.
    pub async fn start(accounts: Vec<Account>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port for the WordPress stand-in");
        let addr = listener.local_addr().expect("the stand-in's address");
        let down = Arc::new(AtomicBool::new(false));
        let site = Arc::new(Site {
            accounts: Mutex::new(accounts),
            mode: Mutex::new(Mode::Normal),
            down: down.clone(),
            calls: AtomicUsize::new(0),
            received: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .route("/api/v1/remp/auth", post(credential_check))
            .layer(axum::middleware::map_response(close_connection))
            .with_state(site.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(Switchable { listener, down }, app).await;
        });
        WordpressStandIn {
            base: Url::parse(&format!("http://{addr}/")).expect("the stand-in's URL"),
            site,
            server,
        }
    }

    /// Changes how the site behaves from the next request on.
    pub fn set_mode(&self, mode: Mode) {
        self.site.down.store(mode == Mode::Down, Ordering::SeqCst);
        *self.site.mode.lock().expect("mode lock") = mode;
    }

    /// Adds or replaces (by ID) an account.
    pub fn put_account(&self, account: Account) {
        let mut accounts = self.site.accounts.lock().expect("accounts lock");
        accounts.retain(|a| a.id != account.id);
        accounts.push(account);
    }

    /// How many credential checks reached the plugin.
    pub fn calls(&self) -> usize {
        self.site.calls.load(Ordering::SeqCst)
    }

    /// The requests the plugin received, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.site.received.lock().expect("received lock").clone()
    }
}

/// A listener that drops every connection while the site is down.
struct Switchable {
    listener: TcpListener,
    down: Arc<AtomicBool>,
}

impl axum::serve::Listener for Switchable {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) if self.down.load(Ordering::SeqCst) => drop(stream),
                Ok(accepted) => return accepted,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

async fn close_connection(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

/// The plugin's 404: its JSON content type, and no body.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
    )
        .into_response()
}

/// The plugin's route: `Authorization: Bearer <token>`, then `token`, `login` (a `user_login`
/// only) or `email` (a `user_email` only), and `password`.
async fn credential_check(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    site.calls.fetch_add(1, Ordering::SeqCst);
    let mode = *site.mode.lock().expect("mode lock");
    match mode {
        Mode::Slow(delay) => tokio::time::sleep(delay).await,
        Mode::ServerError => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><p>There has been a critical error on this website.</p></body></html>",
            )
                .into_response();
        }
        Mode::Html => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<!doctype html><html><body><h1>Briefly unavailable for scheduled maintenance.</h1></body></html>",
            )
                .into_response();
        }
        Mode::Normal | Mode::Down => {}
    }

    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    site.received.lock().expect("received lock").push(Received {
        fields: fields.iter().map(|(k, _)| k.clone()).collect(),
        login: field("login"),
        email: field("email"),
    });

    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(authorization) = authorization else {
        return message(
            StatusCode::BAD_REQUEST,
            "Authorization header with Bearer token is not set",
        );
    };
    // `explode(' ', ...)`: one space separates, two make an empty word.
    let words: Vec<&str> = authorization.split(' ').collect();
    let [_, token] = words.as_slice() else {
        return message(
            StatusCode::BAD_REQUEST,
            "Authorization header contains invalid structure",
        );
    };
    if *token != WORDPRESS_TOKEN {
        return message(StatusCode::UNAUTHORIZED, TOKEN_REFUSED);
    }

    let accounts = site.accounts.lock().expect("accounts lock").clone();
    let account = if field("token").is_some() {
        // wp_validate_auth_cookie: no cookie of this stand-in is valid.
        None
    } else if let Some(login) = field("login") {
        accounts
            .iter()
            .find(|a| a.login.eq_ignore_ascii_case(&login))
    } else if let Some(email) = field("email") {
        accounts
            .iter()
            .find(|a| a.email.eq_ignore_ascii_case(&email))
    } else {
        None
    };
    let Some(account) = account else {
        return not_found();
    };
    if field("password").as_deref() != Some(account.password.as_str()) {
        return message(StatusCode::UNAUTHORIZED, WRONG_PASSWORD);
    }
    axum::Json(json!({
        "data": {
            "ID": account.id.to_string(),
            "user_login": account.login,
            "user_nicename": account.login.replace('.', "-"),
            "user_email": account.email,
            "user_url": "",
            "user_registered": "2017-01-01 01:12:23",
            "user_status": "0",
            "display_name": format!("{} {}", account.first_name, account.last_name),
            "first_name": account.first_name,
            "last_name": account.last_name,
        },
        "ID": account.id,
        "roles": ["subscriber"],
    }))
    .into_response()
}
