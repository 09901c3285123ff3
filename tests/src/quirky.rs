//! A configurable authorization server of our own, on 127.0.0.1, that behaves like one class of
//! real providers' quirks at a time ([`Quirk`]): it answers `instance_url` / `api_domain` with the
//! token, redirects with `realmId` / `accounts-server`, refuses PKCE, wants `client_secret_post`,
//! answers form-encoded, leaves out `expires_in`, states `refresh_token_expires_in`, wants extra
//! parameters and headers, serves each connection under its own path segment or at its own
//! host (`{shop}.localhost`, over TLS with a certificate from a test CA of its own), or wants its
//! revocation shaped otherwise than its token requests (Calendly, Notion).
//!
//! Why our own rather than options on the OpenID Connect test server: each quirk is a refusal the
//! real provider makes (a PKCE challenge refused, Basic authentication refused, a request without
//! its extra parameter refused), and a few lines of axum state say that exactly; oidc-provider
//! cannot be told to refuse PKCE or to answer form-encoded. Every request it gets is kept
//! ([`QuirkyServer::requests`]) so a test checks what authbridge sent.
//!
//! Every route sits under a first path segment, the "shop" (`/{shop}/authorize`, `/{shop}/token`,
//! `/{shop}/revoke`, `/{shop}/me`); a provider file names it literally or as
//! `{{connection.shop}}`. The host quirk serves the routes under `/admin` at
//! `https://{shop}.localhost:PORT`, the way Shopify serves `https://{shop}.myshopify.com/admin/…`:
//! authbridge reaches that host because names under `localhost` resolve to loopback (RFC 6761,
//! `authbridge::oauth::outbound::localhost`) and trusts its certificate through the private-CA
//! setting (`AUTHBRIDGE_EXTRA_CA_FILE`, [`QuirkyServer::ca_file`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path as FilePath;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The client the server knows.
pub const CLIENT_ID: &str = "quirky-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "quirky-secret";

/// One class of quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// Answers `instance_url` and `api_domain` with every token (Salesforce, Zoho), and nested
    /// `team.id` and `authed_user.id` with the first (Slack); a refresh answers another
    /// `api_domain` and `signature` (an instance that moved).
    TokenValues,
    /// Redirects with `realmId` and `accounts-server` (QuickBooks, Zoho); the token endpoint is
    /// reached at that accounts server.
    RedirectValues,
    /// Refuses a PKCE challenge or verifier.
    NoPkce,
    /// Refuses HTTP Basic client authentication: `client_secret_post` only.
    SecretPost,
    /// Answers the token endpoint form-encoded.
    FormResponse,
    /// Leaves `expires_in` out.
    NoExpiresIn,
    /// States `refresh_token_expires_in` (3 days, inside the default expiring window).
    RefreshTokenLifetime,
    /// Wants `audience=api` on the authorization, `resource=r1` on the code exchange,
    /// `expires_in=7200` on refreshes, and `X-Api-Version: 2` on both token requests.
    ExtraParameters,
    /// Serves a connection under its own path segment, which only the start knows (Shopify's
    /// shop); any other segment is refused.
    PathParameter,
    /// Serves a connection at its own host, `{shop}.localhost`, over TLS (Shopify's
    /// `{shop}.myshopify.com`, Zendesk's `{subdomain}.zendesk.com`, an Okta org's host); any other
    /// host is refused.
    HostParameter,
    /// Wants HTTP Basic on the token requests but the client's credentials in the revocation's
    /// form body, and refuses Basic there (Calendly).
    RevokeSecretPost,
    /// Wants the revocation as a JSON body `{"token": …}` with Basic authentication and a
    /// `Notion-Version` header (Notion); refuses a form body.
    RevokeJson,
}

/// The `Notion-Version` a [`Quirk::RevokeJson`] revocation must carry.
pub const REVOCATION_VERSION: &str = "2025-09-03";

/// The `api_domain` a [`Quirk::TokenValues`] refresh answers (the first answer says
/// `https://www.zohoapis.eu`).
pub const MOVED_API_DOMAIN: &str = "https://www.zohoapis.com";

/// The refresh token's lifetime [`Quirk::RefreshTokenLifetime`] states.
pub const REFRESH_TOKEN_LIFETIME: i64 = 3 * 24 * 3600;

/// One request the server got: its route, and its query or form parameters and headers.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `authorize`, `token`, `revoke` or `me`.
    pub route: String,
    /// The first path segment.
    pub shop: String,
    pub params: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
}

#[derive(Default)]
struct Issued {
    codes: HashMap<String, Option<String>>,
    refresh: HashMap<String, bool>,
    access: HashMap<String, bool>,
    counter: u64,
}

struct Server {
    quirk: Quirk,
    base: String,
    seen: Mutex<Vec<Seen>>,
    issued: Mutex<Issued>,
}

/// A running server; stops when dropped.
pub struct QuirkyServer {
    /// `http://127.0.0.1:PORT` (`https://` for [`Quirk::HostParameter`]).
    pub base: String,
    port: u16,
    /// The test CA's certificate (PEM), for the TLS server of [`Quirk::HostParameter`].
    ca: Option<tempfile::NamedTempFile>,
    server: Arc<Server>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for QuirkyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl QuirkyServer {
    /// Starts a server behaving like `quirk` on a free port.
    pub async fn start(quirk: Quirk) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("the bound address");
        let tls =
            (quirk == Quirk::HostParameter).then(|| tls::TestCa::new(&format!("{SHOP}.localhost")));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{addr}");
        let server = Arc::new(Server {
            quirk,
            base: base.clone(),
            seen: Mutex::new(Vec::new()),
            issued: Mutex::new(Issued::default()),
        });
        let app = axum::Router::new()
            .route("/{shop}/authorize", axum::routing::get(authorize))
            .route("/{shop}/token", axum::routing::post(token))
            .route("/{shop}/revoke", axum::routing::post(revoke))
            .route("/{shop}/me", axum::routing::get(me))
            .with_state(server.clone());
        let (task, ca) = match tls {
            Some(ca) => {
                let listener = tls::TlsListener::new(listener, &ca);
                let task = tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                (task, Some(ca.pem_file()))
            }
            None => {
                let task = tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                (task, None)
            }
        };
        QuirkyServer {
            base,
            port: addr.port(),
            ca,
            server,
            task,
        }
    }

    /// The PEM file of the test CA that issued the server's certificate, for
    /// [`Quirk::HostParameter`]: what an operator names in `AUTHBRIDGE_EXTRA_CA_FILE`.
    pub fn ca_file(&self) -> Option<&FilePath> {
        self.ca.as_ref().map(|f| f.path())
    }

    /// A client that reaches the server as a person's browser does: names under `localhost` on
    /// loopback (as browsers resolve them) and, for the TLS server, its CA trusted. Follows no
    /// redirects, so a test sees where the server sends the browser.
    pub fn browser(&self) -> reqwest::Client {
        let roots = match self.ca_file() {
            Some(file) => authbridge::tls::TrustRoots::with_pem_file(file).expect("the test CA"),
            None => authbridge::tls::TrustRoots::bundled(),
        };
        authbridge::oauth::outbound::OutboundHttp::with_roots(Default::default(), &roots)
            .expect("an HTTP client")
            .client()
            .clone()
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Seen> {
        self.server.seen.lock().expect("the log").clone()
    }

    /// The requests to `route` so far.
    pub fn requests_to(&self, route: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.route == route)
            .collect()
    }

    /// Whether the refresh token `token` is still live (not revoked).
    pub fn refresh_token_live(&self, token: &str) -> bool {
        let issued = self.server.issued.lock().expect("the tokens");
        issued.refresh.get(token).copied().unwrap_or(false)
    }

    /// The provider file of a provider that is this server with its quirk, written in our keys.
    pub fn provider_file(&self) -> Value {
        let base = &self.base;
        let fixed = format!("{base}/fixed");
        let mut file = json!({
            "title": format!("Quirky ({:?})", self.server.quirk),
            "options": {
                "urlAuthorize": format!("{fixed}/authorize"),
                "urlAccessToken": format!("{fixed}/token"),
                "urlRevokeToken": format!("{fixed}/revoke"),
                "urlResourceOwnerDetails": format!("{fixed}/me"),
                "scopes": ["read"]
            }
        });
        let add = |file: &mut Value, key: &str, value: Value| {
            if let Some(object) = file.as_object_mut() {
                object.insert(key.to_string(), value);
            }
        };
        match self.server.quirk {
            Quirk::TokenValues => {
                add(
                    &mut file,
                    "captureFromToken",
                    json!({
                        "instance_url": {"secret": false, "pattern": "http://127\\.0\\.0\\.1:[0-9]+", "example": base},
                        "api_domain": {"secret": false},
                        "signature": {"secret": true},
                        "team.id": {"secret": false, "as": "team_id"},
                        "authed_user.id": {"secret": false, "as": "authed_user_id"}
                    }),
                );
                // Later URLs go to the instance the token names.
                file["options"]["urlResourceOwnerDetails"] =
                    json!("{{connection.instance_url}}/fixed/me");
                file["options"]["urlRevokeToken"] =
                    json!("{{connection.instance_url}}/fixed/revoke");
            }
            Quirk::RedirectValues => {
                add(
                    &mut file,
                    "captureFromRedirect",
                    json!({
                        "realmId": {"secret": false, "as": "realm_id", "pattern": "[0-9]+", "example": "1"},
                        "accounts-server": {"secret": false, "as": "accounts_server",
                            "pattern": "http://127\\.0\\.0\\.1:[0-9]+", "example": base}
                    }),
                );
                file["options"]["urlAccessToken"] =
                    json!("{{connection.accounts_server}}/fixed/token");
            }
            Quirk::NoPkce => add(&mut file, "pkce", json!(false)),
            Quirk::SecretPost => {
                file["options"]["tokenAuthMethod"] = json!("client_secret_post");
            }
            Quirk::FormResponse => add(&mut file, "tokenResponse", json!("form")),
            Quirk::NoExpiresIn => add(&mut file, "assumedAccessTokenLifetime", json!(3600)),
            Quirk::RefreshTokenLifetime => add(
                &mut file,
                "refreshTokenLifetime",
                json!({"responseField": "refresh_token_expires_in", "since": "authorization"}),
            ),
            Quirk::ExtraParameters => {
                add(&mut file, "authorizeParams", json!({"audience": "api"}));
                add(&mut file, "tokenParams", json!({"resource": "r1"}));
                add(&mut file, "refreshParams", json!({"expires_in": "7200"}));
                add(&mut file, "tokenHeaders", json!({"X-Api-Version": "2"}));
            }
            Quirk::RevokeSecretPost => add(
                &mut file,
                "revocation",
                json!({"authMethod": "client_secret_post"}),
            ),
            Quirk::RevokeJson => add(
                &mut file,
                "revocation",
                json!({"body": "json", "headers": {"Notion-Version": REVOCATION_VERSION}}),
            ),
            Quirk::PathParameter | Quirk::HostParameter => {
                add(
                    &mut file,
                    "connectionParameters",
                    json!({
                        "shop": {"description": "the shop's name", "pattern": "[a-z0-9][a-z0-9-]*", "example": "acme"}
                    }),
                );
                let port = self.port;
                for (key, route) in ROUTES {
                    file["options"][key] = json!(match self.server.quirk {
                        Quirk::HostParameter => format!(
                            "https://{{{{connection.shop}}}}.localhost:{port}/admin/{route}"
                        ),
                        _ => format!("{base}/{{{{connection.shop}}}}/{route}"),
                    });
                }
            }
        }
        file
    }
}

/// Each URL key of a provider file and the route it names.
const ROUTES: [(&str, &str); 4] = [
    ("urlAuthorize", "authorize"),
    ("urlAccessToken", "token"),
    ("urlRevokeToken", "revoke"),
    ("urlResourceOwnerDetails", "me"),
];

/// The shop a [`Quirk::PathParameter`] or [`Quirk::HostParameter`] server serves.
pub const SHOP: &str = "acme-shop";

fn headers_of(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

fn refuse(status: StatusCode, error: &str, why: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": why})),
    )
        .into_response()
}

impl Server {
    /// Keeps the request to `route` whose first path segment is `segment`; says whether this
    /// server serves the shop it names.
    fn keep(
        &self,
        route: &str,
        segment: &str,
        params: &BTreeMap<String, String>,
        headers: &HeaderMap,
    ) -> bool {
        let (shop, served) = self.shop_of(segment, headers);
        self.seen.lock().expect("the log").push(Seen {
            route: route.into(),
            shop,
            params: params.clone(),
            headers: headers_of(headers),
        });
        served
    }

    /// The shop a request names, and whether this server serves it: for [`Quirk::HostParameter`]
    /// the host's first label (under the path `/admin`), else the first path segment.
    fn shop_of(&self, segment: &str, headers: &HeaderMap) -> (String, bool) {
        match self.quirk {
            Quirk::HostParameter => {
                let host = headers
                    .get("host")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let label = host.split_once(".localhost").map_or(host, |(l, _)| l);
                (label.to_string(), label == SHOP && segment == "admin")
            }
            Quirk::PathParameter => (segment.to_string(), segment == SHOP),
            _ => (segment.to_string(), segment == "fixed"),
        }
    }

    fn next(&self, prefix: &str) -> String {
        let mut issued = self.issued.lock().expect("the tokens");
        issued.counter += 1;
        format!(
            "{prefix}-{}-{}",
            issued.counter,
            uuid::Uuid::new_v4().simple()
        )
    }
}

async fn authorize(
    State(server): State<Arc<Server>>,
    Path(shop): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let served = server.keep("authorize", &shop, &params, &headers);
    let Some(redirect) = params.get("redirect_uri").cloned() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "no redirect_uri",
        );
    };
    let mut back = url::Url::parse(&redirect).expect("an absolute redirect URI");
    let fail = |back: &mut url::Url, error: &str| {
        back.query_pairs_mut()
            .append_pair("error", error)
            .append_pair("state", params.get("state").map_or("", String::as_str));
        Redirect::to(back.as_str()).into_response()
    };
    if !served || params.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return fail(&mut back, "unauthorized_client");
    }
    let challenge = params.get("code_challenge").cloned();
    let pkce_ok = match server.quirk {
        Quirk::NoPkce => challenge.is_none(),
        _ => {
            challenge.is_some()
                && params.get("code_challenge_method").map(String::as_str) == Some("S256")
        }
    };
    if !pkce_ok {
        return fail(&mut back, "invalid_request");
    }
    if server.quirk == Quirk::ExtraParameters
        && params.get("audience").map(String::as_str) != Some("api")
    {
        return fail(&mut back, "invalid_request");
    }
    let code = server.next("code");
    server
        .issued
        .lock()
        .expect("the tokens")
        .codes
        .insert(code.clone(), challenge);
    {
        let mut query = back.query_pairs_mut();
        query
            .append_pair("code", &code)
            .append_pair("state", params.get("state").map_or("", String::as_str));
        if server.quirk == Quirk::RedirectValues {
            query
                .append_pair("realmId", "4620816365")
                .append_pair("accounts-server", &server.base);
        }
    }
    Redirect::to(back.as_str()).into_response()
}

/// The client's credentials: `(id, secret, by_basic)`.
fn client_auth(
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Option<(String, String, bool)> {
    if let Some(basic) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        return Some((id.to_string(), secret.to_string(), true));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
        false,
    ))
}

async fn token(
    State(server): State<Arc<Server>>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<BTreeMap<String, String>>,
) -> Response {
    if !server.keep("token", &shop, &form, &headers) {
        return refuse(StatusCode::NOT_FOUND, "invalid_request", "no such shop");
    }
    let Some((id, secret, by_basic)) = client_auth(&headers, &form) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no client authentication",
        );
    };
    if id != CLIENT_ID || secret != CLIENT_SECRET {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
    }
    if server.quirk == Quirk::SecretPost && by_basic {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_secret_post only",
        );
    }
    if server.quirk == Quirk::RevokeSecretPost && !by_basic {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_secret_basic only",
        );
    }
    if server.quirk == Quirk::ExtraParameters
        && headers.get("x-api-version").and_then(|v| v.to_str().ok()) != Some("2")
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "X-Api-Version: 2 is required",
        );
    }
    let param = |name: &str| form.get(name).map(String::as_str);
    let refreshing = param("grant_type") == Some("refresh_token");
    match param("grant_type") {
        Some("authorization_code") => {
            let challenge = {
                let mut issued = server.issued.lock().expect("the tokens");
                match param("code").and_then(|c| issued.codes.remove(c)) {
                    Some(challenge) => challenge,
                    None => {
                        return refuse(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
                    }
                }
            };
            let verified = match (challenge, param("code_verifier")) {
                (None, None) => true,
                (Some(challenge), Some(verifier)) => {
                    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
                }
                _ => false,
            };
            if !verified {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "PKCE does not match",
                );
            }
            if server.quirk == Quirk::ExtraParameters && param("resource") != Some("r1") {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "resource=r1 is required",
                );
            }
        }
        Some("refresh_token") => {
            let live = {
                let issued = server.issued.lock().expect("the tokens");
                param("refresh_token").and_then(|r| issued.refresh.get(r).copied())
            };
            if live != Some(true) {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown refresh token",
                );
            }
            if server.quirk == Quirk::ExtraParameters && param("expires_in") != Some("7200") {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "expires_in=7200 is required",
                );
            }
        }
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "no such grant",
            );
        }
    }
    let (access, refresh) = (server.next("at"), server.next("rt"));
    {
        let mut issued = server.issued.lock().expect("the tokens");
        issued.access.insert(access.clone(), true);
        issued.refresh.insert(refresh.clone(), true);
    }
    let mut answer = json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": 3600,
    });
    match server.quirk {
        Quirk::NoExpiresIn => {
            if let Some(answer) = answer.as_object_mut() {
                answer.remove("expires_in");
            }
        }
        Quirk::RefreshTokenLifetime => {
            answer["refresh_token_expires_in"] = json!(REFRESH_TOKEN_LIFETIME);
        }
        Quirk::TokenValues if refreshing => {
            answer["instance_url"] = json!(server.base);
            answer["api_domain"] = json!(MOVED_API_DOMAIN);
            answer["signature"] = json!("sig-secret-value-2");
        }
        Quirk::TokenValues => {
            answer["instance_url"] = json!(server.base);
            answer["api_domain"] = json!("https://www.zohoapis.eu");
            answer["signature"] = json!("sig-secret-value");
            answer["team"] = json!({"id": "T9TK3CUKW", "name": "Quirky Team"});
            answer["authed_user"] = json!({"id": "U1234", "scope": "chat:write"});
        }
        _ => {}
    }
    if server.quirk == Quirk::FormResponse {
        let pairs = answer.as_object().into_iter().flatten().map(|(k, v)| {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            (k.clone(), text)
        });
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        return (
            StatusCode::OK,
            [("content-type", "application/x-www-form-urlencoded")],
            body,
        )
            .into_response();
    }
    axum::Json(answer).into_response()
}

/// A revocation's body, form-encoded or (with a JSON content type) a JSON object of strings.
fn revocation_body(headers: &HeaderMap, body: &[u8]) -> Option<BTreeMap<String, String>> {
    if !form_is_json(headers) {
        return serde_urlencoded::from_bytes(body).ok();
    }
    let object: serde_json::Map<String, Value> = serde_json::from_slice(body).ok()?;
    object
        .into_iter()
        .map(|(k, v)| Some((k, v.as_str()?.to_string())))
        .collect()
}

async fn revoke(
    State(server): State<Arc<Server>>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(form) = revocation_body(&headers, &body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unreadable body",
        );
    };
    if !server.keep("revoke", &shop, &form, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let auth = client_auth(&headers, &form);
    let known = auth
        .as_ref()
        .is_some_and(|(id, secret, _)| id == CLIENT_ID && secret == CLIENT_SECRET);
    let is_json = form_is_json(&headers);
    let refused = match server.quirk {
        Quirk::RevokeSecretPost => !known || auth.is_some_and(|(_, _, by_basic)| by_basic),
        Quirk::RevokeJson => {
            !known
                || !is_json
                || headers.get("notion-version").and_then(|v| v.to_str().ok())
                    != Some(REVOCATION_VERSION)
        }
        _ => false,
    };
    if refused {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "not the revocation this provider wants",
        );
    }
    if let Some(token) = form.get("token") {
        let mut issued = server.issued.lock().expect("the tokens");
        if let Some(live) = issued.refresh.get_mut(token) {
            *live = false;
        }
    }
    StatusCode::OK.into_response()
}

fn form_is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

async fn me(
    State(server): State<Arc<Server>>,
    Path(shop): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !server.keep("me", &shop, &BTreeMap::new(), &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    axum::Json(json!({"id": "u-1", "name": "Quirky Person"})).into_response()
}

/// The TLS side of [`Quirk::HostParameter`]: a test CA, a certificate it issued for the shop's
/// host, and a listener that serves over TLS with it.
mod tls {
    use std::sync::Arc;

    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::server::TlsStream;

    use super::SocketAddr;

    /// A CA of the test's own and a server certificate it issued.
    pub struct TestCa {
        ca_pem: String,
        cert: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
    }

    impl TestCa {
        /// A new CA, and a certificate for `host` issued by it.
        pub fn new(host: &str) -> Self {
            let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
            ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            ca.distinguished_name
                .push(DnType::CommonName, "authbridge quirky test CA");
            let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("a CA key"))
                .expect("a CA certificate");
            let key = KeyPair::generate().expect("a server key");
            let cert = CertificateParams::new(vec![host.to_string()])
                .expect("server parameters")
                .signed_by(&key, &ca)
                .expect("a server certificate");
            TestCa {
                ca_pem: ca.pem(),
                cert: cert.der().clone(),
                key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            }
        }

        /// The CA's certificate in a PEM file.
        pub fn pem_file(&self) -> tempfile::NamedTempFile {
            let file = tempfile::NamedTempFile::new().expect("a CA file");
            std::fs::write(file.path(), &self.ca_pem).expect("writing the CA file");
            file
        }
    }

    /// A TCP listener whose connections are served over TLS.
    pub struct TlsListener {
        tcp: TcpListener,
        acceptor: TlsAcceptor,
    }

    impl TlsListener {
        /// Serves `tcp` with `ca`'s server certificate.
        pub fn new(tcp: TcpListener, ca: &TestCa) -> Self {
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_single_cert(vec![ca.cert.clone()], ca.key.clone_key())
            .expect("the server certificate");
            TlsListener {
                tcp,
                acceptor: TlsAcceptor::from(Arc::new(config)),
            }
        }
    }

    impl axum::serve::Listener for TlsListener {
        type Io = TlsStream<TcpStream>;
        type Addr = SocketAddr;

        async fn accept(&mut self) -> (Self::Io, Self::Addr) {
            loop {
                let Ok((tcp, addr)) = self.tcp.accept().await else {
                    continue;
                };
                // A client that refuses the certificate ends the handshake: wait for the next.
                if let Ok(tls) = self.acceptor.accept(tcp).await {
                    return (tls, addr);
                }
            }
        }

        fn local_addr(&self) -> std::io::Result<Self::Addr> {
            self.tcp.local_addr()
        }
    }
}
