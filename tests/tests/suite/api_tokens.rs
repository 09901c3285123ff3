//! Bearer API tokens over HTTP: the reference's checks in its order, each refusal a 403 with
//! `no_authorization` and the reason; the caller's address is API Gateway's, never a header.

use authbridge::api_tokens;
use authbridge::domain::{Endpoint, IpRestriction, Scope};
use authbridge::secrets::ExposeSecret;
use authbridge_tests::stack::api_token_name;
use authbridge_tests::stack::{self, StackOptions};
use authbridge_tests::tokens::sample_record;
use authbridge_tests::{Backend, on_both_backends, sqlite_backend};
use serde_json::Value;

async fn call(s: &stack::TestStack, auth: Option<&str>, forwarded: Option<&str>) -> (u16, Value) {
    let mut request = stack::http().get(s.url("/tokens/some-tag"));
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    if let Some(ip) = forwarded {
        request = request.header("x-forwarded-for", ip);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn reason(body: &Value) -> String {
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["error"], "no_authorization", "{body}");
    body["message"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_says_why_in_the_references_order() {
    let s = stack::start(sqlite_backend(), StackOptions::default()).await;
    let store = s.stack.app.stores.api_tokens.as_ref();
    let (_, good) = api_tokens::create(
        store,
        &api_token_name("good"),
        vec![Endpoint::Tokens],
        IpRestriction::Any,
        Scope::everything(),
    )
    .await
    .unwrap();
    let (_, inactive) = api_tokens::create(
        store,
        &api_token_name("off"),
        vec![Endpoint::Tokens],
        IpRestriction::Any,
        Scope::everything(),
    )
    .await
    .unwrap();
    api_tokens::update(store, &api_token_name("off"), |t| t.active = false)
        .await
        .unwrap();
    let (_, far) = api_tokens::create(
        store,
        &api_token_name("far"),
        vec![Endpoint::Tokens],
        IpRestriction::parse("10.0.0.0/8").unwrap(),
        Scope::everything(),
    )
    .await
    .unwrap();
    let (_, other) = api_tokens::create(
        store,
        &api_token_name("other"),
        vec![Endpoint::SyncUser],
        IpRestriction::Any,
        Scope::everything(),
    )
    .await
    .unwrap();
    let (_, none) = api_tokens::create(
        store,
        &api_token_name("none"),
        vec![],
        IpRestriction::Any,
        Scope::everything(),
    )
    .await
    .unwrap();
    let bearer = |v: &authbridge::secrets::SecretString| format!("Bearer {}", v.expose_secret());

    for (auth, expected) in [
        (
            None,
            "Not authorized: missing or malformed Authorization: Bearer header",
        ),
        (
            Some("Basic abc".to_string()),
            "Not authorized: missing or malformed Authorization: Bearer header",
        ),
        (
            Some("Bearer".to_string()),
            "Not authorized: missing or malformed Authorization: Bearer header",
        ),
        (
            Some(format!("Token {}", good.expose_secret())),
            "Not authorized: missing or malformed Authorization: Bearer header",
        ),
        (
            Some("Bearer not-a-token".to_string()),
            "Not authorized: unknown token",
        ),
        (Some(bearer(&inactive)), "Not authorized: inactive token"),
        (Some(bearer(&far)), "Not authorized: address not allowed"),
        (
            Some(bearer(&other)),
            "Not authorized: no access to this endpoint",
        ),
        (
            Some(bearer(&none)),
            "Not authorized: no access to this endpoint",
        ),
    ] {
        let (status, body) = call(&s, auth.as_deref(), None).await;
        assert_eq!(status, 403, "{auth:?}: {body}");
        assert_eq!(reason(&body), expected, "{auth:?}");
    }
    // A forwarded header does not change the caller's address.
    let (status, body) = call(&s, Some(&bearer(&far)), Some("10.1.2.3")).await;
    assert_eq!(
        (status, reason(&body).as_str()),
        (403, "Not authorized: address not allowed")
    );

    // The good token passes the checks (and finds no such tag).
    let (status, _) = call(&s, Some(&bearer(&good)), None).await;
    assert_eq!(status, 404);
    let used = api_tokens::find(store, &api_token_name("good"))
        .await
        .unwrap();
    assert!(used.last_used.is_some(), "last use is recorded");
}

/// The answer to `method` on `path` with `auth`: its status and body as text.
async fn answer(s: &stack::TestStack, method: &str, path: &str, auth: &str) -> (u16, String) {
    let request = match method {
        "POST" => stack::http().post(s.url(path)).header("if-match", "\"v1\""),
        _ => stack::http().get(s.url(path)),
    };
    let response = request.header("authorization", auth).send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// A token read or refresh reads its record alongside the API token; a refused caller learns
/// nothing of it: the refusal is the same whether the tag holds a record or not. A refusal by a
/// token the process keeps reads nothing at all.
async fn a_refusal_says_nothing_of_the_record_it_asked_for(backend: Backend) {
    let s = stack::start(backend, StackOptions::default()).await;
    s.stack
        .app
        .stores
        .tokens
        .create_token(&sample_record("leak:here"))
        .await
        .unwrap();
    let store = s.stack.app.stores.api_tokens.as_ref();
    let mut refused = vec!["Bearer not-a-token".to_string(), "Basic abc".to_string()];
    for (name, endpoints, restriction, active) in [
        ("off", vec![Endpoint::Tokens], "*", false),
        ("far", vec![Endpoint::Tokens], "10.0.0.0/8", true),
        ("other", vec![Endpoint::SyncUser], "*", true),
    ] {
        let (_, value) = api_tokens::create(
            store,
            &api_token_name(name),
            endpoints,
            IpRestriction::parse(restriction).unwrap(),
            Scope::everything(),
        )
        .await
        .unwrap();
        if !active {
            api_tokens::update(store, &api_token_name(name), |t| t.active = false)
                .await
                .unwrap();
        }
        refused.push(format!("Bearer {}", value.expose_secret()));
    }
    for auth in &refused {
        for (method, here, nowhere) in [
            ("GET", "/tokens/leak:here", "/tokens/leak:nowhere"),
            (
                "POST",
                "/tokens/leak:here/refresh",
                "/tokens/leak:nowhere/refresh",
            ),
        ] {
            let with_record = answer(&s, method, here, auth).await;
            let without = answer(&s, method, nowhere, auth).await;
            assert_eq!(with_record.0, 403, "{method} {auth}: {}", with_record.1);
            assert_eq!(with_record, without, "{method} {auth}");
        }
    }
    // The refused tokens are kept now: their refusal answers before the record is read.
    s.backend.calls.reset();
    let (status, _) = answer(&s, "GET", "/tokens/leak:here", &refused[4]).await;
    assert_eq!(status, 403);
    let tally = s.backend.calls.take();
    assert_eq!(
        tally.calls.len(),
        0,
        "a kept token's refusal reads nothing: {tally}"
    );
}

on_both_backends!(a_refusal_says_nothing_of_the_record_it_asked_for);
