//! The authorization-code flow and the client-credentials grant, end to end over HTTP: the local
//! stack's real handlers on a random port, against the real OpenID Connect server the test command
//! starts (oidc-provider: client authentication and PKCE enforced, refresh tokens issued). Each flow
//! test runs on the embedded store and on DynamoDB (the emulator).

use authbridge::domain::StoredToken;
use authbridge::oauth::records::field;
use authbridge::secrets::ExposeSecret;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC, CODE_CLIENT_POST, SERVICE_CLIENT};
use authbridge_tests::stack::{self, LANDING, StackOptions, TEST_API_TOKEN, TestStack};
use authbridge_tests::{Backend, dynamo_backend, sqlite_backend};
use serde_json::{Map, Value, json};
use url::Url;

const PROVIDER: &str = "test-oidc";

/// A stack with the test server as provider `test-oidc`, given by its issuer alone (the endpoints
/// come from discovery). `None` outside the test command.
async fn stack_on(backend: Backend) -> Option<TestStack> {
    let issuer = oidc::issuer()?;
    let provider = json!({
        "title": "Test OpenID Connect server",
        "issuer": issuer,
        "options": {"scopes": ["openid", "profile", "email", "offline_access"]}
    });
    Some(
        stack::start(
            backend,
            StackOptions {
                providers: vec![(PROVIDER.into(), provider.to_string())],
                ..Default::default()
            },
        )
        .await,
    )
}

fn options(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect()
}

fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn location(response: &reqwest::Response) -> Url {
    let raw = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("a Location header on {}", response.status()));
    Url::parse(raw).expect("an absolute Location")
}

/// Starts a flow through `GET /oauth/start` and returns the provider URL it redirects to.
async fn start_flow(s: &TestStack, client: &str, tag: &str) -> Url {
    let response = stack::http()
        .get(s.url("/oauth/start"))
        .query(&[("client", client), ("tag", tag), ("landing_url", LANDING)])
        .send()
        .await
        .expect("start-auth answers");
    assert_eq!(response.status(), 302, "start-auth redirects the browser");
    location(&response)
}

async fn stored(s: &TestStack, tag: &str) -> Option<StoredToken> {
    s.stack
        .app
        .stores
        .tokens
        .get_token(tag)
        .await
        .expect("reading the store")
}

async fn the_whole_flow_connects_and_stores_an_encrypted_token(s: TestStack, client_auth: &str) {
    let (guid, secret, auth) = match client_auth {
        "post" => (
            CODE_CLIENT_POST.id,
            CODE_CLIENT_POST.secret,
            "client_secret_post",
        ),
        _ => (
            CODE_CLIENT_BASIC.id,
            CODE_CLIENT_BASIC.secret,
            "client_secret_basic",
        ),
    };
    let client = s
        .register(
            PROVIDER,
            guid,
            secret,
            options(&[("tokenAuthMethod", auth)]),
        )
        .await;
    let authorize = start_flow(&s, client.id.as_str(), "mail:1").await;
    assert_eq!(
        query(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(
        query(&authorize, "state").is_some_and(|st| st.len() >= 22),
        "128+ bits of state"
    );

    let back = oidc::authorize(authorize.as_str(), "alice", true)
        .await
        .expect("the provider sends the browser back");
    assert!(query(&back, "code").is_some(), "{back}");
    let response = stack::http()
        .get(back.clone())
        .send()
        .await
        .expect("oauth-return answers");
    assert_eq!(response.status(), 303);
    let landed = location(&response);
    assert!(landed.as_str().starts_with(LANDING), "{landed}");
    assert_eq!(query(&landed, "status").as_deref(), Some("connected"));
    assert_eq!(query(&landed, "tag").as_deref(), Some("mail:1"));

    let record = stored(&s, "mail:1").await.expect("a token record");
    assert_eq!(
        record.resource_owner_name.as_deref(),
        Some("Test User alice")
    );
    assert_eq!(record.grant_type, "authorization_code");
    assert!(
        record.refresh_token.is_some(),
        "the server issued a refresh token"
    );
    assert!(record.expires.is_some());
    let vault = s.stack.oauth.vault().await.expect("the vault");
    let access = vault
        .open(
            "mail:1",
            field::ACCESS_TOKEN,
            record.access_token.as_ref().unwrap(),
        )
        .expect("the access token opens");
    let refresh = vault
        .open(
            "mail:1",
            field::REFRESH_TOKEN,
            record.refresh_token.as_ref().unwrap(),
        )
        .expect("the refresh token opens");
    let raw = s.raw_token_item("mail:1").await;
    assert!(raw.contains("mail:1"), "the raw item was read: {raw}");
    for secret in [access.expose_secret(), refresh.expose_secret()] {
        assert!(
            !raw.contains(secret),
            "a token is in clear in the stored item"
        );
    }

    // The same return URL again is a replay: refused, and the record is untouched.
    let replay = stack::http()
        .get(back)
        .send()
        .await
        .expect("oauth-return answers");
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await.unwrap().contains("already used"));
    assert_eq!(
        stored(&s, "mail:1").await.map(|r| r.version),
        Some(record.version)
    );
}

async fn a_denied_consent_lands_with_the_error_and_stores_nothing(s: TestStack) {
    let client = s
        .register(
            PROVIDER,
            CODE_CLIENT_BASIC.id,
            CODE_CLIENT_BASIC.secret,
            Map::new(),
        )
        .await;
    let authorize = start_flow(&s, client.id.as_str(), "denied").await;
    let back = oidc::authorize(authorize.as_str(), "bob", false)
        .await
        .expect("the provider sends the browser back");
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    let response = stack::http().get(back.clone()).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let landed = location(&response);
    assert_eq!(query(&landed, "status").as_deref(), Some("error"));
    assert_eq!(query(&landed, "error").as_deref(), Some("access_denied"));
    assert!(stored(&s, "denied").await.is_none());
    // The state was consumed.
    assert_eq!(stack::http().get(back).send().await.unwrap().status(), 400);
}

async fn a_wrong_client_secret_fails_cleanly(s: TestStack) {
    let client = s
        .register(PROVIDER, CODE_CLIENT_BASIC.id, "not-the-secret", Map::new())
        .await;
    let authorize = start_flow(&s, client.id.as_str(), "wrong-secret").await;
    let back = oidc::authorize(authorize.as_str(), "carol", true)
        .await
        .unwrap();
    let response = stack::http().get(back).send().await.unwrap();
    assert_eq!(response.status(), 502);
    let page = response.text().await.unwrap();
    assert!(page.contains("refused"), "{page}");
    assert!(
        stored(&s, "wrong-secret").await.is_none(),
        "no half-written record"
    );
}

async fn an_iss_from_another_server_is_refused(s: TestStack) {
    let client = s
        .register(
            PROVIDER,
            CODE_CLIENT_BASIC.id,
            CODE_CLIENT_BASIC.secret,
            Map::new(),
        )
        .await;
    let authorize = start_flow(&s, client.id.as_str(), "mixup").await;
    let back = oidc::authorize(authorize.as_str(), "dave", true)
        .await
        .unwrap();
    let mut forged = back.clone();
    let pairs: Vec<(String, String)> = back
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "iss" {
                "https://attacker.example".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let response = stack::http().get(forged).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("unexpected issuer"));
    assert!(stored(&s, "mixup").await.is_none());
}

async fn an_expired_or_unknown_state_is_refused(s: TestStack) {
    let client = s
        .register(
            PROVIDER,
            CODE_CLIENT_BASIC.id,
            CODE_CLIENT_BASIC.secret,
            Map::new(),
        )
        .await;
    let response = stack::http()
        .get(s.url("/oauth/start"))
        .query(&[
            ("client", client.id.as_str()),
            ("tag", "late"),
            ("ttl", "1"),
        ])
        .send()
        .await
        .unwrap();
    let authorize = location(&response);
    let back = oidc::authorize(authorize.as_str(), "erin", true)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let response = stack::http().get(back).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("expired"));
    assert!(stored(&s, "late").await.is_none());

    let unknown = stack::http()
        .get(s.url("/oauth/return?code=x&state=never-issued"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let missing = stack::http()
        .get(s.url("/oauth/return?code=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
}

async fn a_foreign_landing_url_is_refused(s: TestStack) {
    let client = s
        .register(
            PROVIDER,
            CODE_CLIENT_BASIC.id,
            CODE_CLIENT_BASIC.secret,
            Map::new(),
        )
        .await;
    for landing in [
        "https://evil.example/landing",
        "https://app.example.test/elsewhere",
    ] {
        let response = stack::http()
            .get(s.url("/oauth/start"))
            .query(&[("client", client.id.as_str()), ("landing_url", landing)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{landing}");
        assert!(response.headers().get("location").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_landing_url");
    }
    let unknown = stack::http()
        .get(s.url("/oauth/start?client=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let json = stack::http()
        .post(s.url("/oauth/start"))
        .json(&json!({"client": client.id, "tag": "api", "scopes": ["openid"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
    let body: Value = json.json().await.unwrap();
    assert!(body["url"].as_str().unwrap().contains("code_challenge="));
}

async fn client_credentials_store_a_redacted_token(s: TestStack) {
    let client = s
        .register(
            PROVIDER,
            SERVICE_CLIENT.id,
            SERVICE_CLIENT.secret,
            Map::new(),
        )
        .await;
    let body = json!({"client": client.id, "grant": "client_credentials", "scopes": ["api:read"], "tag": "svc"});
    let refused = stack::http()
        .post(s.url("/oauth/token"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let refusal: Value = refused.json().await.unwrap();
    assert_eq!(refusal["error"], "no_authorization");
    assert!(stored(&s, "svc").await.is_none());

    let response = stack::http()
        .post(s.url("/oauth/token"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(view["tag"], "svc");
    assert_eq!(view["grant_type"], "client_credentials");
    assert_eq!(view["has_access_token"], true);
    let record = stored(&s, "svc").await.expect("a stored record");
    let vault = s.stack.oauth.vault().await.unwrap();
    let access = vault
        .open(
            "svc",
            field::ACCESS_TOKEN,
            record.access_token.as_ref().unwrap(),
        )
        .unwrap();
    assert!(
        !text.contains(access.expose_secret()),
        "the answer is redacted"
    );
    assert_eq!(record.scopes, ["api:read"]);

    let bad_scope = stack::http()
        .post(s.url("/oauth/token"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&json!({"client": client.id, "grant": "client_credentials", "scopes": ["openid"], "tag": "svc2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_scope.status(), 502);
    let body: Value = bad_scope.json().await.unwrap();
    assert_eq!(body["provider_error"], "invalid_scope");
    assert!(stored(&s, "svc2").await.is_none());
}

macro_rules! on_both_backends {
    ($($test:ident $(($arg:expr))?),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(s) = super::stack_on(super::sqlite_backend()).await else { return };
                    super::$test(s $(, $arg)?).await
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(backend) = super::dynamo_backend().await else { return };
                    let Some(s) = super::stack_on(backend).await else { return };
                    super::$test(s $(, $arg)?).await
                }
            )*
        }
    };
}

on_both_backends!(
    the_whole_flow_connects_and_stores_an_encrypted_token("basic"),
    a_denied_consent_lands_with_the_error_and_stores_nothing,
    a_wrong_client_secret_fails_cleanly,
    an_iss_from_another_server_is_refused,
    an_expired_or_unknown_state_is_refused,
    a_foreign_landing_url_is_refused,
    client_credentials_store_a_redacted_token,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_post_authenticates_too() {
    let Some(s) = stack_on(sqlite_backend()).await else {
        return;
    };
    the_whole_flow_connects_and_stores_an_encrypted_token(s, "post").await
}
