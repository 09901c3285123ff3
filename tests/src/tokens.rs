//! Token fixtures: a local stack whose provider is a test authorization server with its token
//! endpoint behind a proxy that counts the refreshes reaching it, a tag connected through the whole
//! authorization-code flow, and the server's introspection of a handed-out access token.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use authbridge::clock::Epoch;
use authbridge::domain::StoredToken;
use authbridge::oauth::records::field;
use authbridge::secrets::ExposeSecret;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use crate::Backend;
use crate::oidc::CODE_CLIENT_BASIC;
use crate::stack::{self, StackOptions, TestStack};

/// The provider's name in the stacks made here.
pub const PROVIDER: &str = "test-oidc";

/// Counts the refresh requests that reach the server: a proxy in front of its token endpoint.
pub struct TokenProxy {
    target: String,
    refreshes: AtomicUsize,
    http: reqwest::Client,
}

impl TokenProxy {
    /// Refresh requests forwarded so far.
    pub fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }
}

async fn proxy_token(
    State(proxy): State<Arc<TokenProxy>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    if String::from_utf8_lossy(&body).contains("grant_type=refresh_token") {
        proxy.refreshes.fetch_add(1, Ordering::SeqCst);
    }
    let mut request = proxy.http.post(&proxy.target).body(body.to_vec());
    for name in ["authorization", "content-type", "accept"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            (
                axum::http::StatusCode::from_u16(status)
                    .unwrap_or(axum::http::StatusCode::BAD_GATEWAY),
                [("content-type", "application/json")],
                bytes,
            )
                .into_response()
        }
        Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// A stack on `backend` whose provider is the server at `issuer`, its token endpoint behind a
/// counting proxy.
pub async fn stack_on(backend: Backend, issuer: &str) -> (TestStack, Arc<TokenProxy>) {
    stack_with(backend, issuer, Map::new()).await
}

/// [`stack_on`], with `extra` keys added to the provider file (e.g. `mailSettingsTemplate`).
pub async fn stack_with(
    backend: Backend,
    issuer: &str,
    extra: Map<String, Value>,
) -> (TestStack, Arc<TokenProxy>) {
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .expect("discovery answers")
        .json()
        .await
        .expect("a discovery document");
    let proxy = Arc::new(TokenProxy {
        target: discovery["token_endpoint"]
            .as_str()
            .expect("a token endpoint")
            .to_string(),
        refreshes: AtomicUsize::new(0),
        http: reqwest::Client::new(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let proxy_url = format!(
        "http://{}/token",
        listener.local_addr().expect("the bound address")
    );
    let app = axum::Router::new()
        .route("/token", axum::routing::post(proxy_token))
        .with_state(proxy.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut provider = json!({
        "title": "Test OpenID Connect server",
        "issuer": issuer,
        "options": {
            "urlAuthorize": discovery["authorization_endpoint"],
            "urlAccessToken": proxy_url,
            "urlResourceOwnerDetails": discovery["userinfo_endpoint"],
            "scopes": ["openid", "profile", "email", "offline_access"]
        }
    });
    if let Some(file) = provider.as_object_mut() {
        file.extend(extra);
    }
    let s = stack::start(
        backend,
        StackOptions {
            providers: vec![(PROVIDER.into(), provider.to_string())],
            ..Default::default()
        },
    )
    .await;
    (s, proxy)
}

/// Connects `tag` through the whole authorization-code flow and returns the stored record.
pub async fn connect(s: &TestStack, tag: &str) -> StoredToken {
    let client = s
        .register(
            PROVIDER,
            CODE_CLIENT_BASIC.id,
            CODE_CLIENT_BASIC.secret,
            Map::new(),
        )
        .await;
    let done = s
        .connect_as(client.id.as_str(), tag, "rita", serde_json::json!({}))
        .await;
    assert_eq!(done.status(), 200, "connected page");
    record(s, tag).await
}

/// `raw` as a tag, which a test means to be valid.
pub fn tag_of(raw: &str) -> authbridge::domain::Tag {
    authbridge::domain::Tag::parse(raw).expect("a valid tag")
}

/// A record as a store test writes it: an active authorization-code token of a new client, with
/// a placeholder sealed access token, an hour to live and due in 55 minutes. Tests change what
/// they need with `StoredToken { field, ..sample_record(tag) }`.
pub fn sample_record(tag: &str) -> StoredToken {
    let now = authbridge::clock::now();
    StoredToken {
        tag: tag_of(tag),
        client_id: authbridge::domain::ClientId::generate(),
        grant_type: "authorization_code".into(),
        scopes: vec!["a".into(), "b".into()],
        token_type: Some("Bearer".into()),
        access_token: Some(authbridge::domain::token::Sealed("c2VhbGVk".into())),
        refresh_token: None,
        id_token: None,
        raw: None,
        expires: Some(now + 3600),
        lifetime: Some(3600),
        resource_owner_name: Some("ada@example.org".into()),
        resource_owner: None,
        error: None,
        status: authbridge::domain::token::TokenStatus::Active,
        due_at: Some(now + 3300),
        refreshed_at: Some(now),
        attempts: 0,
        next_attempt_at: None,
        lease_owner: None,
        lease_until: None,
        owner: None,
        created_by: None,
        connection_id: None,
        metadata: Default::default(),
        sealed_metadata: Default::default(),
        refresh_expires: None,
        expiring_since: None,
        created: now,
        modified: now,
        version: 0,
    }
}

/// The stored record of `tag`, if any.
pub async fn stored(s: &TestStack, tag: &str) -> Option<StoredToken> {
    s.stack
        .app
        .stores
        .tokens
        .get_token(&tag_of(tag))
        .await
        .expect("reading the record")
}

/// The stored record of `tag`, which must be there.
pub async fn record(s: &TestStack, tag: &str) -> StoredToken {
    stored(s, tag).await.expect("a record")
}

/// Moves the record `secs` seconds into its past, as time passing would: its expiry, last refresh
/// and due time. The lifetime it was granted stays.
pub async fn age(s: &TestStack, tag: &str, secs: i64) -> StoredToken {
    let mut r = record(s, tag).await;
    r.expires = r.expires.map(|e| e - secs);
    r.refreshed_at = r.refreshed_at.map(|t| t - secs);
    r.due_at = r.due_at.map(|t| t - secs);
    r.created -= secs;
    s.stack
        .app
        .stores
        .tokens
        .update_token(&r)
        .await
        .expect("ageing the record")
}

/// Makes `tag`'s access token fall due for a caller `secs` seconds from now, as a short-lived
/// token would: granted for 4 s (so its margin is half of that, 2 s), expiring `secs + 2` seconds
/// from now. Returns the record and the instant it falls due ([`until`] waits for it).
pub async fn falling_due(s: &TestStack, tag: &str, secs: i64) -> (StoredToken, Epoch) {
    let mut r = record(s, tag).await;
    let now = authbridge::clock::now();
    r.lifetime = Some(4);
    r.expires = Some(now + secs + 2);
    let r = s
        .stack
        .app
        .stores
        .tokens
        .update_token(&r)
        .await
        .expect("shortening the token's life");
    (r, now + secs)
}

/// Waits until the clock reaches `instant` (epoch seconds): time passing for a record, not a
/// measure of anything.
pub async fn until(instant: Epoch) {
    while authbridge::clock::now() < instant {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The sealed field `which` of `r` ([`field::ACCESS_TOKEN`] or [`field::REFRESH_TOKEN`]), opened.
pub async fn open(s: &TestStack, r: &StoredToken, which: &str) -> String {
    let sealed = match which {
        field::ACCESS_TOKEN => r.access_token.as_ref(),
        field::REFRESH_TOKEN => r.refresh_token.as_ref(),
        other => panic!("{other} is not a sealed token field"),
    }
    .unwrap_or_else(|| panic!("no {which} in the record"));
    let keys = s
        .stack
        .oauth
        .keyring()
        .await
        .expect("the keyring")
        .keys_for([sealed])
        .await
        .expect("the keys");
    keys.open(authbridge::keys::reseal::record_id(r), which, sealed)
        .expect("opening the sealed token")
        .expose_secret()
        .to_string()
}

/// The secret captured value `name` of `r` (sealed by the keyring under `metadata.NAME`), opened.
pub async fn open_metadata(s: &TestStack, r: &StoredToken, name: &str) -> String {
    let sealed = r
        .sealed_metadata
        .get(name)
        .unwrap_or_else(|| panic!("no sealed {name} in the record"));
    let keys = s
        .stack
        .oauth
        .keyring()
        .await
        .expect("the keyring")
        .keys_for([sealed])
        .await
        .expect("the keys");
    authbridge::oauth::records::open_metadata(&keys, r, name)
        .expect("opening the sealed value")
        .expect("it is there")
        .expose_secret()
        .to_string()
}

/// The stored access token of `r`, opened.
pub async fn access_token(s: &TestStack, r: &StoredToken) -> String {
    open(s, r, field::ACCESS_TOKEN).await
}

/// An answer of the token API: status, `ETag`, JSON body (`null` when there is none).
pub type Answer = (u16, Option<String>, Value);

/// Sends `request` to a stack and reads its answer.
pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the stack answers");
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (status, etag, response.json().await.unwrap_or(Value::Null))
}

/// `GET /tokens/{tag}` with the test API token.
pub async fn get_token(s: &TestStack, tag: &str) -> Answer {
    send(
        stack::http()
            .get(s.url(&format!("/tokens/{tag}")))
            .bearer_auth(stack::TEST_API_TOKEN),
    )
    .await
}

/// Whether the server at `issuer` still accepts `token` (RFC 7662 introspection, as the client it
/// was issued to).
pub async fn accepted(issuer: &str, token: &str) -> bool {
    let answer: Value = reqwest::Client::new()
        .post(format!("{issuer}/token/introspection"))
        .basic_auth(CODE_CLIENT_BASIC.id, Some(CODE_CLIENT_BASIC.secret))
        .form(&[("token", token)])
        .send()
        .await
        .expect("introspection answers")
        .json()
        .await
        .expect("an introspection response");
    answer["active"] == true
}

/// Callers in other processes: `processes` runs of the `refresh-worker` binary at `worker` (a test
/// passes `env!("CARGO_BIN_EXE_refresh-worker")`), each making `per_process` concurrent
/// `GET /tokens/{tag}` against the stack's store. Every worker must succeed; the answer is the
/// SHA-256 of each token they got, and how many callers got one.
pub async fn across_processes(
    s: &TestStack,
    worker: &str,
    tag: &str,
    processes: usize,
    per_process: usize,
) -> (std::collections::HashSet<String>, usize) {
    let env = s.process_env();
    let per_process = per_process.to_string();
    let workers = (0..processes).map(|_| {
        let mut cmd = tokio::process::Command::new(worker);
        cmd.args([tag, per_process.as_str()])
            .env_remove("AUTHBRIDGE_TABLE")
            .env_remove("AUTHBRIDGE_BACKEND")
            .env_remove("AWS_ENDPOINT_URL")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .kill_on_drop(true);
        cmd.output()
    });
    let mut hashes = std::collections::HashSet::new();
    let mut answered = 0;
    for output in futures::future::join_all(workers).await {
        let output = output.expect("the worker ran");
        assert!(
            output.status.success(),
            "a worker failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            answered += 1;
            hashes.insert(line.to_string());
        }
    }
    (hashes, answered)
}
