//! Helpers for the login tests: a test stack with login settings and, when asked, the WordPress
//! stand-in wired in as the fallback; calls to `/auth/login` and `/auth/me`; local users written
//! straight to the store.

use std::time::{Duration, Instant};

use authbridge::clock;
use authbridge::domain::user::PasswordHash;
use authbridge::domain::{Email, User, UserSource, WordpressLink};
use authbridge::login::LoginSettings;
use authbridge::login::settings::WordpressSettings;
use authbridge::oauth::outbound::Timeouts;
use authbridge::secrets::SecretString;
use serde_json::Value;

use crate::stack::{self, StackOptions, TestStack};
use crate::wordpress::{WORDPRESS_TOKEN, WordpressStandIn};
use crate::{Backend, unique};

/// The WordPress timeouts of test stacks: short, so a slow site is given up on quickly.
pub const WORDPRESS_TIMEOUT: Duration = Duration::from_secs(1);

/// The fallback settings for `site`, with the token in the secret `token_secret`.
pub fn wordpress_settings(site: &WordpressStandIn, token_secret: &str) -> WordpressSettings {
    WordpressSettings {
        url: site.base.clone(),
        token_secret: token_secret.to_string(),
        timeouts: Timeouts {
            connect: WORDPRESS_TIMEOUT,
            total: WORDPRESS_TIMEOUT,
        },
        priority: 100,
    }
}

/// Starts a stack on `backend` with `settings`; with `site`, WordPress is the fallback and the
/// plugin's token is in the backend's secret store.
pub async fn start(
    backend: Backend,
    site: Option<&WordpressStandIn>,
    settings: LoginSettings,
) -> TestStack {
    start_with(backend, site, settings, StackOptions::default()).await
}

/// [`start`] with the stack's other `options` (providers, events, ...).
pub async fn start_with(
    backend: Backend,
    site: Option<&WordpressStandIn>,
    mut settings: LoginSettings,
    options: StackOptions,
) -> TestStack {
    if let Some(site) = site {
        let secret = format!("{}/wordpress-token", unique("authbridge-test"));
        backend
            .secrets
            .put_secret(&secret, &SecretString::from(WORDPRESS_TOKEN))
            .await
            .expect("storing the WordPress token");
        settings.wordpress = Some(wordpress_settings(site, &secret));
    }
    stack::start_with_login(backend, options, settings).await
}

/// An answer of the stack.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Value,
    pub elapsed: Duration,
}

impl Answer {
    async fn from(response: reqwest::Response, started: Instant) -> Self {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let text = response.text().await.expect("reading the answer");
        Answer {
            status,
            retry_after,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            elapsed: started.elapsed(),
        }
    }

    /// The session token of a successful login.
    pub fn token(&self) -> String {
        self.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {}", self.body))
            .to_string()
    }
}

/// `POST /auth/login` with a JSON body.
pub async fn login(stack: &TestStack, body: Value) -> Answer {
    login_with(&stack::http(), stack, body).await
}

/// `POST /auth/login` with a JSON body, sent by `client` (a bench keeps one client, and so its
/// connection, across logins, as a service calling authbridge would; the time starts at sending).
pub async fn login_with(client: &reqwest::Client, stack: &TestStack, body: Value) -> Answer {
    let started = Instant::now();
    let response = client
        .post(stack.url("/auth/login"))
        .json(&body)
        .send()
        .await
        .expect("POST /auth/login");
    Answer::from(response, started).await
}

/// `POST /auth/login` with a form body.
pub async fn login_form(stack: &TestStack, fields: &[(&str, &str)]) -> Answer {
    let started = Instant::now();
    let response = stack::http()
        .post(stack.url("/auth/login"))
        .form(fields)
        .send()
        .await
        .expect("POST /auth/login");
    Answer::from(response, started).await
}

/// `GET /auth/me`, with `token` as the bearer token when given.
pub async fn me(stack: &TestStack, token: Option<&str>) -> Answer {
    let started = Instant::now();
    let mut request = stack::http().get(stack.url("/auth/me"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Answer::from(request.send().await.expect("GET /auth/me"), started).await
}

/// `POST /auth/logout` with `token` as the bearer token.
pub async fn logout(stack: &TestStack, token: &str) -> Answer {
    let started = Instant::now();
    let response = stack::http()
        .post(stack.url("/auth/logout"))
        .bearer_auth(token)
        .send()
        .await
        .expect("POST /auth/logout");
    Answer::from(response, started).await
}

/// `raw` as an e-mail address, which a test means to be valid.
pub fn email_of(raw: &str) -> Email {
    Email::parse(raw).expect("a valid e-mail address")
}

/// `raw` as an administrator names a user (an id, or an address holding an `@`).
pub fn user_ref(raw: &str) -> authbridge::users::UserRef {
    raw.parse().expect("a valid user reference")
}

/// A local, active user with `email` and the stored `hash` (none: no usable password).
pub fn user(email: &str, hash: Option<&str>) -> User {
    let now = clock::now();
    User {
        password_hash: hash.map(|h| PasswordHash(h.to_string())),
        ..User::new(email_of(email), UserSource::Local, now)
    }
}

/// The link row of `user` to WordPress account `wordpress_id`.
pub fn link(user: &User, wordpress_id: u64) -> WordpressLink {
    WordpressLink {
        wordpress_id,
        user_id: user.id.clone(),
        email: user.email.clone(),
        login: user.email.to_string(),
        registered_at: "2020-03-13T14:02:44Z".into(),
        nicename: None,
        url: None,
        display_name: None,
        first_name: None,
        last_name: None,
        version: 0,
    }
}

/// Writes `user` (linked to `wordpress_id` when given, the link's login being the e-mail
/// address) to the stack's store.
pub async fn save_user(stack: &TestStack, user: User, wordpress_id: Option<u64>) -> User {
    let login = user.email.to_string();
    save_linked(stack, user, wordpress_id.map(|id| (id, login.as_str()))).await
}

/// Writes `user`, linked to WordPress account `id` with `user_login` `login` when given.
pub async fn save_linked(stack: &TestStack, mut user: User, linked: Option<(u64, &str)>) -> User {
    user.wordpress_id = linked.map(|(id, _)| id);
    let link = linked.map(|(id, login)| WordpressLink {
        login: login.to_string(),
        ..link(&user, id)
    });
    stack
        .backend
        .stores
        .users
        .create_user(&user, link.as_ref())
        .await
        .expect("creating a local user");
    user
}

/// The stored user with `email`.
pub async fn stored_user(stack: &TestStack, email: &str) -> Option<User> {
    stack
        .backend
        .stores
        .users
        .find_user_by_email(&email_of(email))
        .await
        .expect("reading a user")
}
