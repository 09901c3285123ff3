//! A local stack per test: the real handlers behind real HTTP on a random 127.0.0.1 port, on the
//! test's own backend (SQLite file or emulator table), with provider files the test writes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use authbridge::api_tokens::token_hash;
use authbridge::clients::{ClientAdmin, NewClient};
use authbridge::config::{AwsSettings, Backend as ConfigBackend, Config};
use authbridge::context::AppContext;
use authbridge::domain::OAuthClient;
use authbridge::domain::{ApiToken, Endpoint, IpRestriction};
use authbridge::events::Events;
use authbridge::login::LoginSettings;
use authbridge::oauth::OAuthContext;
use authbridge::oauth::landing::LandingAllowlist;
use authbridge::oauth::outbound::{OutboundHttp, Timeouts};
use authbridge::oauth::settings::OAuthSettings;
use authbridge::providers::ProviderRegistry;
use authbridge::secrets::SecretString;
use authbridge_infra::stack::{LocalStack, router};
use url::Url;

use crate::{Backend, BackendKind, unique};

/// The API token the test stacks accept.
pub const TEST_API_TOKEN: &str = "test-api-token-0123456789abcdef0123456789abcdef";

/// Where test stacks let browsers land.
pub const LANDING: &str = "https://app.example.test/landing";

/// A running stack.
pub struct TestStack {
    pub base: Url,
    pub stack: Arc<LocalStack>,
    pub backend: Backend,
    providers: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestStack {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Options of a test stack.
pub struct StackOptions {
    /// `(name, JSON)` provider files.
    pub providers: Vec<(String, String)>,
    pub timeouts: Timeouts,
    /// Where events go (nowhere by default); the bus is the emulator's.
    pub events: authbridge::events::EventSettings,
    /// A PEM file of private CA certificates the provider calls trust, as
    /// `AUTHBRIDGE_EXTRA_CA_FILE` names one; the process's roots when `None`.
    pub extra_ca: Option<std::path::PathBuf>,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            providers: Vec::new(),
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                total: Duration::from_secs(5),
            },
            events: Default::default(),
            extra_ca: None,
        }
    }
}

fn write_providers(dir: &Path, providers: &[(String, String)]) {
    for (name, json) in providers {
        std::fs::write(dir.join(format!("{name}.json")), json).expect("writing a provider file");
    }
}

/// Starts the stack on `backend`, with local logins only.
pub async fn start(backend: Backend, options: StackOptions) -> TestStack {
    start_with_login(backend, options, LoginSettings::default()).await
}

/// Starts the stack on `backend` with `login` as login-authenticate's settings.
pub async fn start_with_login(
    backend: Backend,
    options: StackOptions,
    login: LoginSettings,
) -> TestStack {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("the bound address");
    let base = Url::parse(&format!("http://{addr}")).expect("a base URL");
    let providers_dir = tempfile::tempdir().expect("a provider folder");
    write_providers(providers_dir.path(), &options.providers);

    let prefix = format!("{}/", unique("authbridge-test"));
    let config = Config {
        backend: match &backend.kind {
            BackendKind::Sqlite(_) => ConfigBackend::Embedded {
                path: backend.sqlite_file().expect("the embedded file"),
            },
            BackendKind::Dynamo(dynamo) => ConfigBackend::Aws(AwsSettings {
                table: dynamo.table().to_string(),
                region: None,
                endpoint_url: None,
            }),
        },
        token_key_secret: format!("{prefix}token-key"),
        events: options.events.clone(),
        secret_prefix: prefix,
        secret_cache_ttl: Duration::from_secs(60),
        keys: Default::default(),
        api_token_cache_ttl: authbridge::api_tokens::cache::DEFAULT_TTL,
    };
    if backend.dynamo().is_some() {
        // On AWS the template creates the data key; here the test does.
        backend
            .secrets
            .put_secret(
                &config.token_key_secret,
                &SecretString::from(unique("key").repeat(2)),
            )
            .await
            .expect("storing the token key");
    }
    // An EventBridge client (on the emulator) only for a stack that publishes to a bus.
    let eventbridge = match config.events.bus {
        Some(_) => crate::emulator_endpoint().map(|e| crate::eventbridge_client(&e)),
        None => None,
    };
    let events = Events::new(&config.events, eventbridge, backend.secrets.clone())
        .with_journal(backend.stores.journal.clone());
    // As a function builds its stores (`AppContext::build`).
    let stores =
        authbridge::api_tokens::cache::cached(backend.stores.clone(), config.api_token_cache_ttl);
    let app = AppContext {
        config,
        stores,
        secrets: backend.secrets.clone(),
        events,
        sdk: None,
    };
    let http = match &options.extra_ca {
        // As the functions read AUTHBRIDGE_EXTRA_CA_FILE (`authbridge::tls`).
        Some(file) => OutboundHttp::with_roots(
            options.timeouts,
            &authbridge::tls::TrustRoots::with_pem_file(file).expect("the private CA file"),
        ),
        None => OutboundHttp::new(options.timeouts),
    }
    .expect("an HTTP client");
    let providers = ProviderRegistry::load(Some(providers_dir.path()), http.client().clone())
        .expect("loading the test providers");
    let settings = OAuthSettings {
        public_url: Some(base.clone()),
        redirect_url: Some(base.join("/oauth/return").expect("the return URL")),
        landing_allowlist: LandingAllowlist::parse(&format!("{LANDING} {base}"))
            .expect("an allow-list"),
        flow_ttl: Duration::from_secs(600),
        timeouts: options.timeouts,
        expiring_window: authbridge::oauth::settings::DEFAULT_EXPIRING_WINDOW,
        client_cache_ttl: authbridge::oauth::settings::DEFAULT_CLIENT_CACHE_TTL,
    };
    let ext_id_referencing = login.migration.ext_id_referencing;
    let login = login_authenticate::Context::new(&app, &login).expect("the login context");
    // The test API token may call every endpoint, from anywhere.
    app.stores
        .api_tokens
        .create_api_token(&test_api_token("tests"))
        .await
        .expect("storing the test API token");
    let oauth = OAuthContext::new(app, settings, providers, http);
    let stack = Arc::new(LocalStack::new(oauth, login, ext_id_referencing));
    let server = serve(listener, stack.clone());
    TestStack {
        base,
        stack,
        backend,
        providers: providers_dir,
        server,
    }
}

/// Serves `stack`'s routes on `listener` until the task is aborted.
fn serve(listener: tokio::net::TcpListener, stack: Arc<LocalStack>) -> tokio::task::JoinHandle<()> {
    let app = router(stack);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    })
}

impl TestStack {
    /// The folder of the stack's provider files.
    pub fn providers_dir(&self) -> &Path {
        self.providers.path()
    }

    /// The environment a separate process needs to work on this stack's data: the same store,
    /// secrets, key and providers.
    pub fn process_env(&self) -> Vec<(String, String)> {
        let config = &self.stack.oauth.app.config;
        let mut env = vec![
            (
                "AUTHBRIDGE_SECRET_PREFIX".to_string(),
                config.secret_prefix.clone(),
            ),
            (
                "AUTHBRIDGE_TOKEN_KEY_SECRET".to_string(),
                config.token_key_secret.clone(),
            ),
            (
                "AUTHBRIDGE_PROVIDERS_DIR".to_string(),
                self.providers.path().display().to_string(),
            ),
            ("AUTHBRIDGE_PUBLIC_URL".to_string(), self.base.to_string()),
        ];
        match &config.backend {
            ConfigBackend::Embedded { path } => {
                env.push(("AUTHBRIDGE_BACKEND".into(), "embedded".into()));
                env.push(("AUTHBRIDGE_DB_PATH".into(), path.display().to_string()));
            }
            ConfigBackend::Aws(aws) => {
                env.push(("AUTHBRIDGE_BACKEND".into(), "aws".into()));
                env.push(("AUTHBRIDGE_TABLE".into(), aws.table.clone()));
                if let Some(endpoint) = crate::emulator_endpoint() {
                    env.push(("AWS_ENDPOINT_URL".into(), endpoint));
                }
                env.push(("AWS_REGION".into(), "us-east-1".into()));
                env.push(("AWS_ACCESS_KEY_ID".into(), "testing".into()));
                env.push(("AWS_SECRET_ACCESS_KEY".into(), "testing".into()));
            }
        }
        env
    }

    /// Registers a client.
    pub async fn register(
        &self,
        provider: &str,
        guid: &str,
        secret: &str,
        options: serde_json::Map<String, serde_json::Value>,
    ) -> OAuthClient {
        ClientAdmin {
            app: &self.stack.oauth.app,
            providers: &self.stack.oauth.providers,
        }
        .create(NewClient {
            provider: provider.into(),
            guid: guid.into(),
            secret: Some(SecretString::from(secret)),
            tenant: None,
            options,
        })
        .await
        .expect("registering a client")
    }

    /// A URL on the stack.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a stack URL")
    }

    /// A second stack on this one's store, secrets, key and providers, with nothing of its
    /// process shared: its own copies of API tokens and clients, its own refresher (lease owner,
    /// per-tag locks, what it knows of the records it served), on a port of its own. As another
    /// Lambda process of the same deployment is.
    pub async fn another_process(&self) -> OtherProcess {
        let first = &self.stack.oauth;
        let stores = authbridge::api_tokens::cache::cached(
            self.backend.stores.clone(),
            first.app.config.api_token_cache_ttl,
        );
        let app = AppContext {
            stores,
            ..first.app.clone()
        };
        let http = OutboundHttp::new(first.settings.timeouts).expect("an HTTP client");
        let providers = ProviderRegistry::load(Some(self.providers_dir()), http.client().clone())
            .expect("loading the test providers");
        let login = login_authenticate::Context::new(&app, &LoginSettings::default())
            .expect("the login context");
        let oauth = OAuthContext::new(app, first.settings.clone(), providers, http);
        let stack = Arc::new(LocalStack::new(oauth, login, false));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("the bound address");
        let server = serve(listener, stack.clone());
        OtherProcess {
            base: Url::parse(&format!("http://{addr}")).expect("a base URL"),
            stack,
            server,
        }
    }

    /// The raw stored form of a token record (the DynamoDB item, or the SQLite row), as text.
    pub async fn raw_token_item(&self, tag: &str) -> String {
        self.backend
            .raw_stored(
                &format!("TOKEN#{tag}"),
                "SELECT data FROM tokens WHERE tag = ?1",
                &[tag],
            )
            .await
            .join("\n")
    }
}

/// A second stack on a [`TestStack`]'s data ([`TestStack::another_process`]).
pub struct OtherProcess {
    pub base: Url,
    pub stack: Arc<LocalStack>,
    server: tokio::task::JoinHandle<()>,
}

impl OtherProcess {
    /// A URL on this stack.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a stack URL")
    }
}

impl Drop for OtherProcess {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// How long a test's request to a stack may take before the test gives up on it: a guard against
/// a hang, not a measure of speed. Generous, because a burst against the emulator on a loaded
/// machine takes many seconds to be served (timings are in the benches).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// `raw` as an API token's name, which a test means to be valid.
pub fn api_token_name(raw: &str) -> authbridge::domain::ApiTokenName {
    raw.parse().expect("a valid API token name")
}

/// The record of [`TEST_API_TOKEN`], named `name`: active, from anywhere, every endpoint.
pub fn test_api_token(name: &str) -> ApiToken {
    ApiToken {
        name: api_token_name(name),
        token_hash: token_hash(TEST_API_TOKEN),
        active: true,
        ip_restriction: IpRestriction::Any,
        endpoints: Endpoint::ALL.to_vec(),
        scope: Default::default(),
        created: authbridge::clock::now(),
        last_used: None,
        version: 0,
    }
}

/// An HTTP client that follows no redirects, like a test that wants to see each hop.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("an HTTP client")
}

/// A browser for authbridge's own pages: its own cookie jar, no redirects followed, so a test sees
/// each hop and the binding cookie does its work (or, in a second `Browser`, does not).
pub struct Browser {
    client: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(REQUEST_TIMEOUT)
                .build()
                .expect("an HTTP client"),
        }
    }
}

impl Browser {
    /// GET `url` with the jar's cookies.
    pub async fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::Response {
        self.client
            .get(url)
            .header("accept", "text/html")
            .send()
            .await
            .expect("authbridge answers")
    }

    /// Opens a one-time link: expects the 302 to the provider and returns that URL.
    pub async fn open(&self, link: &str) -> Url {
        let response = self.get(link).await;
        assert_eq!(response.status(), 302, "the link redirects to the provider");
        assert!(
            response.headers().get("set-cookie").is_some(),
            "the link sets the binding cookie"
        );
        location(&response)
    }
}

/// The absolute `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> Url {
    let raw = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("a Location header on {}", response.status()));
    Url::parse(raw).expect("an absolute Location")
}

impl TestStack {
    /// `POST /oauth/start` with `body`, authorised by the test API token.
    pub async fn post_start(&self, body: &serde_json::Value) -> reqwest::Response {
        http()
            .post(self.url("/oauth/start"))
            .bearer_auth(TEST_API_TOKEN)
            .json(body)
            .send()
            .await
            .expect("start-auth answers")
    }

    /// Starts a flow for `client` and `tag` (with any other fields of `extra`) and returns the
    /// one-time link.
    pub async fn start_link(&self, client: &str, tag: &str, extra: serde_json::Value) -> String {
        let mut body = serde_json::json!({"client": client, "tag": tag});
        if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        let response = self.post_start(&body).await;
        assert_eq!(response.status(), 200, "the start is accepted");
        let started: serde_json::Value = response.json().await.expect("a JSON answer");
        started["url"].as_str().expect("a link").to_string()
    }

    /// The whole flow in one browser: start, open the link, sign in at the test server as
    /// `login` and approve, come back. Returns authbridge's answer to the return.
    pub async fn connect_as(
        &self,
        client: &str,
        tag: &str,
        login: &str,
        extra: serde_json::Value,
    ) -> reqwest::Response {
        let browser = Browser::default();
        let back = self.approved_as(&browser, client, tag, login, extra).await;
        browser.get(back).await
    }

    /// The flow up to the provider's answer: start, open the link in `browser`, sign in at the
    /// test server as `login` and approve. Returns the address the provider sends the browser
    /// back to, not yet followed (a test may forge it or follow it from another browser).
    pub async fn approved_as(
        &self,
        browser: &Browser,
        client: &str,
        tag: &str,
        login: &str,
        extra: serde_json::Value,
    ) -> Url {
        let link = self.start_link(client, tag, extra).await;
        let authorize = browser.open(&link).await;
        crate::oidc::authorize(authorize.as_str(), login, true)
            .await
            .expect("the provider sends the browser back")
    }
}

/// The provider name the test authorization server is registered under.
pub const TEST_PROVIDER: &str = "test-oidc";

/// A stack with the test authorization server as provider [`TEST_PROVIDER`], given by its issuer
/// alone (the endpoints come from discovery), and `options`' other settings. `None` outside the
/// test command.
pub async fn start_on_test_server(
    backend: Backend,
    mut options: StackOptions,
) -> Option<TestStack> {
    let issuer = crate::oidc::issuer()?;
    let provider = serde_json::json!({
        "title": "Test OpenID Connect server",
        "issuer": issuer,
        "options": {"scopes": ["openid", "profile", "email", "offline_access"]}
    });
    options
        .providers
        .push((TEST_PROVIDER.into(), provider.to_string()));
    Some(start(backend, options).await)
}

impl TestStack {
    /// The test server's client-credentials client, registered under [`TEST_PROVIDER`].
    pub async fn register_service_client(&self) -> OAuthClient {
        self.register(
            TEST_PROVIDER,
            crate::oidc::SERVICE_CLIENT.id,
            crate::oidc::SERVICE_CLIENT.secret,
            serde_json::Map::new(),
        )
        .await
    }

    /// The test server's basic-auth code client, registered under [`TEST_PROVIDER`] with
    /// `secret` (the right one, or a wrong one for a refused exchange).
    pub async fn register_code_client(&self, secret: &str) -> OAuthClient {
        self.register(
            TEST_PROVIDER,
            crate::oidc::CODE_CLIENT_BASIC.id,
            secret,
            serde_json::Map::new(),
        )
        .await
    }
}
