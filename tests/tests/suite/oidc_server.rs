//! The OpenID Connect test server does what the other tests rely on: it is a strict authorization
//! server (client authentication, PKCE S256, rotating refresh tokens, `iss` in the authorization
//! response per RFC 9207) and the browser stand-in in `authbridge_tests::oidc` can get through it.
//!
//! Plain HTTP, no OAuth library: these tests check the server, not our client.

use authbridge_tests::oidc::{
    self, CODE_CLIENT_BASIC, CODE_CLIENT_POST, SERVICE_CLIENT, TestClient,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

/// The server's issuer and endpoints, from its discovery document.
struct Server {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    discovery: Value,
    http: reqwest::Client,
}

/// How a client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy)]
enum Auth {
    Basic(TestClient),
    Post(TestClient),
}

impl Auth {
    fn client(self) -> TestClient {
        match self {
            Auth::Basic(client) | Auth::Post(client) => client,
        }
    }
}

/// A PKCE verifier and its S256 challenge (RFC 7636 §4.1-4.2).
struct Pkce {
    verifier: String,
    challenge: String,
}

impl Pkce {
    fn new() -> Self {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

async fn server() -> Option<Server> {
    let issuer = oidc::issuer()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let discovery: Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the OpenID Connect test server at {issuer} answers: {e}"))
        .error_for_status()
        .expect("discovery answers 200")
        .json()
        .await
        .expect("discovery is JSON");
    let endpoint = |name: &str| {
        discovery[name]
            .as_str()
            .unwrap_or_else(|| panic!("discovery names the {name}"))
            .to_owned()
    };
    Some(Server {
        authorization_endpoint: endpoint("authorization_endpoint"),
        token_endpoint: endpoint("token_endpoint"),
        issuer,
        discovery,
        http,
    })
}

/// A port nobody listens on now: the browser stand-in never visits the redirect URI.
fn some_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// An authorization request (RFC 6749 §4.1.1) with a PKCE challenge unless `challenge` is `None`.
fn authorize_url(
    server: &Server,
    client: TestClient,
    redirect_uri: &str,
    state: &str,
    challenge: Option<&str>,
) -> String {
    let mut url = Url::parse(&server.authorization_endpoint).expect("the authorization endpoint");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client.id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", state);
    if let Some(challenge) = challenge {
        url.query_pairs_mut()
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
    }
    url.into()
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A token request; the status and the JSON body.
async fn token(server: &Server, auth: Auth, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = server.http.post(&server.token_endpoint);
    match auth {
        Auth::Basic(client) => request = request.basic_auth(client.id, Some(client.secret)),
        Auth::Post(client) => {
            form.push(("client_id", client.id));
            form.push(("client_secret", client.secret));
        }
    }
    let response = request
        .form(&form)
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status();
    let body = response.json().await.expect("a JSON token response");
    (status, body)
}

/// Signs in as `login`, consents, and returns the redirect URI's `code`, checking `state` and `iss`.
async fn code(server: &Server, client: TestClient, redirect_uri: &str, pkce: &Pkce) -> String {
    let state = uuid::Uuid::new_v4().to_string();
    let url = authorize_url(server, client, redirect_uri, &state, Some(&pkce.challenge));
    let back = oidc::authorize(&url, "alice", true)
        .await
        .expect("the browser gets through login and consent");
    assert_eq!(
        back.as_str().split('?').next(),
        Some(redirect_uri),
        "back at our redirect URI: {back}"
    );
    assert_eq!(param(&back, "state").as_deref(), Some(state.as_str()));
    assert_eq!(
        param(&back, "iss").as_deref(),
        Some(server.issuer.as_str()),
        "RFC 9207 iss in the authorization response"
    );
    assert_eq!(param(&back, "error"), None, "no error: {back}");
    param(&back, "code").expect("a code")
}

async fn exchange(
    server: &Server,
    auth: Auth,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token(
        server,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// Signs in and exchanges the code: the token response.
async fn tokens(server: &Server, auth: Auth) -> Value {
    let redirect_uri = oidc::return_url(some_port());
    let pkce = Pkce::new();
    let code = code(server, auth.client(), &redirect_uri, &pkce).await;
    let (status, body) = exchange(server, auth, &code, &redirect_uri, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "code exchange: {body}");
    body
}

fn text<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
}

#[tokio::test]
async fn discovery_names_our_issuer_and_its_guarantees() {
    let Some(server) = server().await else { return };
    assert_eq!(text(&server.discovery, "issuer"), server.issuer);
    assert_eq!(
        server.discovery["authorization_response_iss_parameter_supported"],
        Value::Bool(true)
    );
    assert_eq!(
        server.discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let grants = server.discovery["grant_types_supported"].to_string();
    for grant in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(grants.contains(grant), "{grant} in {grants}");
    }
}

#[tokio::test]
async fn code_flow_with_pkce_gives_access_and_refresh_tokens() {
    let Some(server) = server().await else { return };
    for auth in [Auth::Basic(CODE_CLIENT_BASIC), Auth::Post(CODE_CLIENT_POST)] {
        let body = tokens(&server, auth).await;
        assert!(!text(&body, "access_token").is_empty());
        assert!(!text(&body, "refresh_token").is_empty());
        assert!(!text(&body, "id_token").is_empty());
        assert_eq!(text(&body, "token_type"), "Bearer");
        assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0), "{body}");

        let userinfo: Value = server
            .http
            .get(text(&server.discovery, "userinfo_endpoint"))
            .bearer_auth(text(&body, "access_token"))
            .send()
            .await
            .expect("userinfo answers")
            .json()
            .await
            .expect("userinfo is JSON");
        assert_eq!(text(&userinfo, "sub"), "alice");
        assert_eq!(text(&userinfo, "email"), "alice@example.test");
        assert_eq!(text(&userinfo, "name"), "Test User alice");
    }
}

#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant() {
    let Some(server) = server().await else { return };
    let redirect_uri = oidc::return_url(some_port());
    let pkce = Pkce::new();
    let code = code(&server, CODE_CLIENT_BASIC, &redirect_uri, &pkce).await;
    let wrong = Pkce::new();
    let auth = Auth::Basic(CODE_CLIENT_BASIC);
    let (status, body) = exchange(&server, auth, &code, &redirect_uri, &wrong.verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(text(&body, "error"), "invalid_grant");
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let Some(server) = server().await else { return };
    let redirect_uri = oidc::return_url(some_port());
    let pkce = Pkce::new();
    let code = code(&server, CODE_CLIENT_BASIC, &redirect_uri, &pkce).await;
    let impostor = TestClient {
        id: CODE_CLIENT_BASIC.id,
        secret: "not-the-secret",
    };
    let (status, body) = exchange(
        &server,
        Auth::Basic(impostor),
        &code,
        &redirect_uri,
        &pkce.verifier,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(text(&body, "error"), "invalid_client");

    let impostor = TestClient {
        id: SERVICE_CLIENT.id,
        secret: "not-the-secret",
    };
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    let (status, body) = token(&server, Auth::Basic(impostor), &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(text(&body, "error"), "invalid_client");
}

#[tokio::test]
async fn an_authorization_request_without_pkce_is_refused() {
    let Some(server) = server().await else { return };
    let redirect_uri = oidc::return_url(some_port());
    let url = authorize_url(&server, CODE_CLIENT_BASIC, &redirect_uri, "s1", None);
    let back = oidc::authorize(&url, "alice", true)
        .await
        .expect("the server sends the error to the redirect URI");
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&back, "code"), None);
    assert_eq!(param(&back, "state").as_deref(), Some("s1"));
    assert_eq!(param(&back, "iss").as_deref(), Some(server.issuer.as_str()));
}

#[tokio::test]
async fn only_loopback_return_urls_on_any_port_are_accepted() {
    let Some(server) = server().await else { return };
    let pkce = Pkce::new();
    for port in [some_port(), 3999] {
        let redirect_uri = oidc::return_url(port);
        code(&server, CODE_CLIENT_BASIC, &redirect_uri, &pkce).await;
    }
    for redirect_uri in [
        format!("http://127.0.0.1:{}/elsewhere", some_port()),
        "http://attacker.example/oauth/return".to_owned(),
    ] {
        let url = authorize_url(
            &server,
            CODE_CLIENT_BASIC,
            &redirect_uri,
            "s",
            Some(&pkce.challenge),
        );
        let refused = oidc::authorize(&url, "alice", true).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("invalid_redirect_uri")),
            "{redirect_uri} is refused on the server's own page: {refused:?}"
        );
    }
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_kills_the_grant() {
    let Some(server) = server().await else { return };
    let auth = Auth::Basic(CODE_CLIENT_BASIC);
    let first = tokens(&server, auth).await;
    let old = text(&first, "refresh_token");

    let refresh = |refresh_token: String| {
        let server = &server;
        async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
            ];
            token(server, auth, &form).await
        }
    };

    let (status, second) = refresh(old.to_owned()).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let new = text(&second, "refresh_token");
    assert_ne!(new, old, "a new refresh token");
    assert_ne!(text(&second, "access_token"), text(&first, "access_token"));

    let (status, body) = refresh(old.to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        text(&body, "error"),
        "invalid_grant",
        "the old one is spent"
    );

    // Reuse is taken as theft: the server revokes the grant, so the new token dies too.
    let (status, body) = refresh(new.to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        text(&body, "error"),
        "invalid_grant",
        "the grant is revoked"
    );
}

#[tokio::test]
async fn client_credentials_give_an_access_token() {
    let Some(server) = server().await else { return };
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    let (status, body) = token(&server, Auth::Basic(SERVICE_CLIENT), &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!text(&body, "access_token").is_empty());
    assert_eq!(text(&body, "token_type"), "Bearer");
    assert_eq!(text(&body, "scope"), "api:read");
    assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0), "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn denying_consent_sends_access_denied() {
    let Some(server) = server().await else { return };
    let redirect_uri = oidc::return_url(some_port());
    let pkce = Pkce::new();
    let url = authorize_url(
        &server,
        CODE_CLIENT_BASIC,
        &redirect_uri,
        "s2",
        Some(&pkce.challenge),
    );
    let back = oidc::authorize(&url, "bob", false)
        .await
        .expect("the browser cancels on the consent page");
    assert_eq!(back.as_str().split('?').next(), Some(redirect_uri.as_str()));
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "code"), None);
    assert_eq!(param(&back, "state").as_deref(), Some("s2"));
    assert_eq!(param(&back, "iss").as_deref(), Some(server.issuer.as_str()));
}
