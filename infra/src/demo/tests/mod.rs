//! The demo provider driven like a browser and an OAuth client would, in-process through its
//! router.

mod authorize;
mod token;
mod userinfo;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use url::Url;

use super::{DemoClient, DemoProvider};

pub(super) const CLIENT_ID: &str = "5f0c7a1e-8d4b-4c55-9d0e-2a9b7c1d3e4f";
/// A secret with characters that RFC 6749 §2.3.1 form-encodes inside HTTP Basic.
pub(super) const SECRET: &str = "demo secret+/=%";
pub(super) const REDIRECT_URI: &str = "http://127.0.0.1:3000/oauth/return";
pub(super) const ISSUER: &str = "http://127.0.0.1:3000/demo";
/// RFC 7636 Appendix B.
pub(super) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(super) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The demo provider's routes, for the test client above.
pub(super) fn app() -> Router {
    let client = DemoClient {
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        redirect_uri: REDIRECT_URI.into(),
    };
    let base = Url::parse("http://127.0.0.1:3000").unwrap();
    Arc::new(DemoProvider::new(client, &base)).router()
}

/// A response, read whole.
pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn header(&self, name: http::header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The query parameters of the `Location` this reply redirects to, with the URL before them.
    pub fn redirect(&self) -> (String, HashMap<String, String>) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        let location = Url::parse(self.header(LOCATION).unwrap()).unwrap();
        let params = location.query_pairs().into_owned().collect();
        let mut base = location.clone();
        base.set_query(None);
        (base.to_string(), params)
    }
}

pub(super) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub(super) async fn get(app: &Router, uri: &str, bearer: Option<&str>) -> Reply {
    let mut request = Request::get(uri);
    if let Some(token) = bearer {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

pub(super) async fn post_form(
    app: &Router,
    uri: &str,
    form: &[(&str, &str)],
    authorization: Option<&str>,
) -> Reply {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut request = Request::post(uri).header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        request = request.header(AUTHORIZATION, value);
    }
    send(app, request.body(Body::from(body)).unwrap()).await
}

/// `Authorization: Basic` as RFC 6749 §2.3.1 builds it: id and secret form-encoded first.
pub(super) fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

/// `/demo/authorize?...` with a valid request, each default replaced by `changes` (an empty value
/// leaves the parameter out).
pub(super) fn authorize_uri(changes: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "profile email"),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        params.push((name, value));
    }
    params.retain(|(_, v)| !v.is_empty());
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("/demo/authorize?{query}")
}

/// The one-time `request` nonce of a consent page.
pub(super) fn consent_nonce(page: &Reply) -> String {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let marker = r#"name="request" value=""#;
    let start = page.body.find(marker).expect("a consent form") + marker.len();
    let end = start + page.body[start..].find('"').unwrap();
    page.body[start..end].to_string()
}

/// Shows the consent page for `uri` and answers it with `decision`.
pub(super) async fn answer(app: &Router, uri: &str, decision: &str) -> Reply {
    let nonce = consent_nonce(&get(app, uri, None).await);
    let form = [("request", nonce.as_str()), ("decision", decision)];
    post_form(app, "/demo/authorize/decision", &form, None).await
}

/// A fresh authorization code, from the default request approved.
pub(super) async fn new_code(app: &Router) -> String {
    let (_, params) = answer(app, &authorize_uri(&[]), "approve").await.redirect();
    params["code"].clone()
}

/// Exchanges `code` with `verifier`, authenticating with HTTP Basic.
pub(super) async fn exchange(app: &Router, code: &str, verifier: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ];
    post_form(app, "/demo/token", &form, Some(&basic(CLIENT_ID, SECRET))).await
}

/// Tokens for a new grant: approve, then exchange.
pub(super) async fn new_tokens(app: &Router) -> Value {
    let code = new_code(app).await;
    let reply = exchange(app, &code, VERIFIER).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

/// Spends `refresh_token` with HTTP Basic.
pub(super) async fn refresh(app: &Router, refresh_token: &str, scope: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    post_form(app, "/demo/token", &form, Some(&basic(CLIENT_ID, SECRET))).await
}

/// The `error` of a JSON error reply with `status`.
pub(super) fn error_code(reply: &Reply, status: StatusCode) -> String {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.header(http::header::CACHE_CONTROL), Some("no-store"));
    reply.json()["error"].as_str().unwrap().to_string()
}
