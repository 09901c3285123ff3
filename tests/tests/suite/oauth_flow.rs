//! The authorization-code flow and the client-credentials grant, end to end over HTTP: the local
//! stack's real handlers on a random port, against the real OpenID Connect server the test command
//! starts (oidc-provider: client authentication and PKCE enforced, refresh tokens issued). Each flow
//! test runs on the embedded store and on DynamoDB (the emulator).

use authbridge::api_tokens::token_hash;
use authbridge::domain::{ApiToken, Endpoint, IpRestriction};
use authbridge::oauth::records::field;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC, CODE_CLIENT_POST};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::api_token_name;
use authbridge_tests::stack::{
    self, Browser, LANDING, StackOptions, TEST_API_TOKEN, TestStack, location,
};
use authbridge_tests::tokens::{open, stored};
use authbridge_tests::{Backend, sqlite_backend};
use serde_json::{Map, Value, json};
use url::Url;

const PROVIDER: &str = stack::TEST_PROVIDER;

/// A stack with the test server as provider `test-oidc`; `None` outside the test command.
async fn stack_on(backend: Backend) -> Option<TestStack> {
    stack::start_on_test_server(backend, StackOptions::default()).await
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

/// Starts a flow through `POST /oauth/start` with a landing URL, opens its link in `browser` and
/// returns the provider URL the link redirects to.
async fn start_flow(s: &TestStack, browser: &Browser, client: &str, tag: &str) -> Url {
    let link = s
        .start_link(client, tag, json!({"landing_url": LANDING}))
        .await;
    assert!(
        link.starts_with(s.url("/oauth/go/").as_str()),
        "authbridge's own one-time link: {link}"
    );
    browser.open(&link).await
}

/// The security headers every page carries.
fn assert_page_headers(response: &reqwest::Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert!(!header("content-security-policy").contains("script-src"));
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "no-store");
}

/// The test server's basic-auth code client, registered on `s`.
async fn basic_client(s: &TestStack) -> authbridge::domain::OAuthClient {
    s.register_code_client(CODE_CLIENT_BASIC.secret).await
}

async fn the_whole_flow_connects_and_stores_an_encrypted_token(b: Backend, client_auth: &str) {
    let Some(s) = stack_on(b).await else {
        return;
    };
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
    let browser = Browser::default();
    let link = s
        .start_link(
            client.id.as_str(),
            "mail:1",
            json!({"landing_url": LANDING}),
        )
        .await;
    let opened = browser.get(&link).await;
    assert_eq!(opened.status(), 302);
    let cookie = opened.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/oauth", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: {cookie}"
    );
    let authorize = location(&opened);
    assert_eq!(
        query(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(
        query(&authorize, "state").is_some_and(|st| st.len() >= 22),
        "128+ bits of state"
    );
    assert!(
        !link.contains(&query(&authorize, "state").unwrap()),
        "the link is not the state"
    );

    let back = oidc::authorize(authorize.as_str(), "alice", true)
        .await
        .expect("the provider sends the browser back");
    assert!(query(&back, "code").is_some(), "{back}");
    let response = browser.get(back.clone()).await;
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
    assert_eq!(record.created_by.as_deref(), Some("api-token:tests"));
    assert!(
        record.refresh_token.is_some(),
        "the server issued a refresh token"
    );
    assert!(record.expires.is_some());
    let access = open(&s, &record, field::ACCESS_TOKEN).await;
    let refresh = open(&s, &record, field::REFRESH_TOKEN).await;
    let raw = s.raw_token_item("mail:1").await;
    assert!(raw.contains("mail:1"), "the raw item was read: {raw}");
    for secret in [&access, &refresh] {
        assert!(
            !raw.contains(secret.as_str()),
            "a token is in clear in the stored item"
        );
    }

    // The same return URL again is a replay: refused, and the record is untouched.
    let replay = browser.get(back).await;
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await.unwrap().contains("already used"));
    assert_eq!(
        stored(&s, "mail:1").await.map(|r| r.version),
        Some(record.version)
    );
}

async fn a_start_without_authority_starts_nothing(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    let start = s.url("/oauth/start");
    let params = [("client", client.id.as_str()), ("tag", "outsider")];
    let json = stack::http()
        .get(start.clone())
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 401);
    assert!(json.headers().get("location").is_none());
    assert_eq!(json.headers()["www-authenticate"], "Bearer");
    let body: Value = json.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("POST /oauth/start")
    );

    let page = Browser::default().get(start.clone()).await;
    assert_eq!(page.status(), 401);
    assert_page_headers(&page);
    assert!(page.text().await.unwrap().contains("needs authority"));

    // POST without a token, and with a token not allowed `oauth-start`.
    let body = json!({"client": client.id, "tag": "outsider"});
    let anonymous = stack::http()
        .post(start.clone())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
    let limited = "limited-token-0123456789abcdef0123456789abcdef";
    s.stack
        .app
        .stores
        .api_tokens
        .create_api_token(&ApiToken {
            name: api_token_name("limited"),
            token_hash: token_hash(limited),
            active: true,
            ip_restriction: IpRestriction::Any,
            endpoints: vec![Endpoint::Tokens],
            scope: Default::default(),
            created: authbridge::clock::now(),
            last_used: None,
            version: 0,
        })
        .await
        .unwrap();
    let refused = stack::http()
        .post(start)
        .bearer_auth(limited)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let refusal: Value = refused.json().await.unwrap();
    assert_eq!(refusal["error"], "no_authorization");
    assert!(stored(&s, "outsider").await.is_none());
}

async fn a_flow_finished_in_another_browser_is_refused(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    // The outsider opens the link and approves with their own account...
    let outsider = Browser::default();
    let back = s
        .approved_as(
            &outsider,
            client.id.as_str(),
            "victim",
            "mallory",
            json!({}),
        )
        .await;
    // ...and has the victim's browser finish it.
    let victim = Browser::default();
    let response = victim.get(back.clone()).await;
    assert_eq!(response.status(), 400);
    assert_page_headers(&response);
    let page = response.text().await.unwrap();
    assert!(page.contains("another browser"), "{page}");
    assert!(stored(&s, "victim").await.is_none(), "nothing stored");
    // The flow is consumed: not even the browser that opened it can finish it now.
    assert_eq!(outsider.get(back).await.status(), 400);
    assert!(stored(&s, "victim").await.is_none());
}

async fn a_link_opened_twice_is_refused(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    let link = s.start_link(client.id.as_str(), "twice", json!({})).await;
    let first = Browser::default();
    first.open(&link).await;
    for browser in [Browser::default(), first] {
        let again = browser.get(&link).await;
        assert_eq!(again.status(), 400);
        assert!(again.headers().get("location").is_none());
        assert!(again.text().await.unwrap().contains("already used"));
    }
    let forged = Browser::default()
        .get(s.url(&format!("/oauth/go/{}", "A".repeat(43))))
        .await;
    assert_eq!(forged.status(), 400);
}

async fn an_existing_connection_is_replaced_only_on_request_and_its_grant_revoked(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    let done = s
        .connect_as(client.id.as_str(), "shared", "alice", json!({}))
        .await;
    assert_eq!(done.status(), 200);
    let first = stored(&s, "shared").await.expect("a record");
    let old_refresh = open(&s, &first, field::REFRESH_TOKEN).await;

    let refused = s
        .post_start(&json!({"client": client.id, "tag": "shared"}))
        .await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "connection_exists");
    assert_eq!(stored(&s, "shared").await, Some(first.clone()), "unchanged");

    let done = s
        .connect_as(
            client.id.as_str(),
            "shared",
            "bob",
            json!({"replace": true}),
        )
        .await;
    assert_eq!(done.status(), 200);
    let second = stored(&s, "shared").await.expect("a record");
    assert_eq!(second.resource_owner_name.as_deref(), Some("Test User bob"));
    let new_refresh = open(&s, &second, field::REFRESH_TOKEN).await;
    assert!(
        !oidc::refresh_token_works(&old_refresh).await,
        "the replaced grant is revoked at the provider"
    );
    assert!(
        oidc::refresh_token_works(&new_refresh).await,
        "the new one works"
    );
}

async fn deleting_a_client_with_connections_needs_with_tokens_and_revokes(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    use authbridge::oauth::connections::{DeleteClientError, delete_client};
    let client = basic_client(&s).await;
    let done = s
        .connect_as(client.id.as_str(), "doomed", "carol", json!({}))
        .await;
    assert_eq!(done.status(), 200);
    let record = stored(&s, "doomed").await.expect("a record");
    let refresh = open(&s, &record, field::REFRESH_TOKEN).await;

    let refused = delete_client(&s.stack.oauth, &client.id, false).await;
    assert!(
        matches!(&refused, Err(DeleteClientError::HasTokens { count: 1, .. })),
        "{refused:?}"
    );
    assert_eq!(stored(&s, "doomed").await, Some(record), "nothing changed");

    let removed = delete_client(&s.stack.oauth, &client.id, true)
        .await
        .expect("deleted with its tokens");
    assert_eq!(removed, ["doomed"]);
    assert!(stored(&s, "doomed").await.is_none());
    assert!(
        !oidc::refresh_token_works(&refresh).await,
        "revoked at the provider"
    );
}

async fn connections_are_listed_by_owner(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    let done = s
        .connect_as(
            client.id.as_str(),
            "mail:42",
            "nina",
            json!({"owner": "contact:42"}),
        )
        .await;
    assert_eq!(done.status(), 200);
    let other = s
        .connect_as(
            client.id.as_str(),
            "mail:43",
            "omar",
            json!({"owner": "contact:43"}),
        )
        .await;
    assert_eq!(other.status(), 200);
    let list = |query: &'static str| {
        stack::http()
            .get(s.url(&format!("/connections{query}")))
            .bearer_auth(TEST_API_TOKEN)
            .send()
    };
    let mine: Value = list("?owner=contact:42")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connections = mine["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 1, "{mine}");
    let c = &connections[0];
    assert_eq!(c["tag"], "mail:42");
    assert_eq!(c["owner"], "contact:42");
    assert_eq!(c["provider"], PROVIDER);
    assert_eq!(c["client"], client.id.as_str());
    assert_eq!(c["resource_owner_name"], "Test User nina");
    assert_eq!(c["status"], "active");
    assert!(c["expires_at"].is_number());
    let text = c.to_string();
    assert!(
        !text.contains("access_token") && !text.contains("refresh_token"),
        "{text}"
    );
    let all: Value = list("").await.unwrap().json().await.unwrap();
    assert_eq!(all["connections"].as_array().unwrap().len(), 2, "{all}");
    let paged: Value = list("?limit=1").await.unwrap().json().await.unwrap();
    assert_eq!(paged["connections"].as_array().unwrap().len(), 1);
    assert!(paged["next"].is_string(), "{paged}");
    assert_eq!(list("?limit=0").await.unwrap().status(), 400);
    let anonymous = stack::http()
        .get(s.url("/connections"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
}

async fn a_denied_consent_lands_with_the_error_and_stores_nothing(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    let browser = Browser::default();
    let authorize = start_flow(&s, &browser, client.id.as_str(), "denied").await;
    let back = oidc::authorize(authorize.as_str(), "bob", false)
        .await
        .expect("the provider sends the browser back");
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    let response = browser.get(back.clone()).await;
    assert_eq!(response.status(), 303);
    let landed = location(&response);
    assert_eq!(query(&landed, "status").as_deref(), Some("error"));
    assert_eq!(query(&landed, "error").as_deref(), Some("access_denied"));
    assert!(stored(&s, "denied").await.is_none());
    // The state was consumed.
    assert_eq!(browser.get(back).await.status(), 400);
}

async fn an_exchange_failure_lands_on_the_landing_url_or_explains_itself(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = s.register_code_client("not-the-secret").await;
    let browser = Browser::default();
    let authorize = start_flow(&s, &browser, client.id.as_str(), "wrong-secret").await;
    let back = oidc::authorize(authorize.as_str(), "carol", true)
        .await
        .unwrap();
    let response = browser.get(back).await;
    assert_eq!(response.status(), 303);
    let landed = location(&response);
    assert!(landed.as_str().starts_with(LANDING), "{landed}");
    assert_eq!(query(&landed, "status").as_deref(), Some("error"));
    assert_eq!(query(&landed, "error").as_deref(), Some("invalid_client"));
    assert!(
        stored(&s, "wrong-secret").await.is_none(),
        "no half-written record"
    );

    // Without a landing URL: a page that says what happened.
    let response = s
        .connect_as(client.id.as_str(), "wrong-secret", "carol", json!({}))
        .await;
    assert_eq!(response.status(), 502);
    assert_page_headers(&response);
    let page = response.text().await.unwrap();
    assert!(page.contains("refused"), "{page}");
    assert!(stored(&s, "wrong-secret").await.is_none());
}

async fn an_iss_from_another_server_is_refused(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    let browser = Browser::default();
    let back = s
        .approved_as(&browser, client.id.as_str(), "mixup", "dave", json!({}))
        .await;
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
    let response = browser.get(forged).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("unexpected issuer"));
    assert!(stored(&s, "mixup").await.is_none());
}

async fn an_expired_or_unknown_state_is_refused(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    let browser = Browser::default();
    let back = s
        .approved_as(
            &browser,
            client.id.as_str(),
            "late",
            "erin",
            json!({"ttl": 2}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let response = browser.get(back).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("expired"));
    assert!(stored(&s, "late").await.is_none());

    let unknown = browser
        .get(s.url("/oauth/return?code=x&state=never-issued"))
        .await;
    assert_eq!(unknown.status(), 400);
    let missing = browser.get(s.url("/oauth/return?code=x")).await;
    assert_eq!(missing.status(), 400);
}

async fn a_foreign_landing_url_is_refused(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = basic_client(&s).await;
    for landing in [
        "https://evil.example/landing",
        "https://app.example.test/elsewhere",
    ] {
        let response = s
            .post_start(&json!({"client": client.id, "landing_url": landing}))
            .await;
        assert_eq!(response.status(), 400, "{landing}");
        assert!(response.headers().get("location").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_landing_url");
    }
    let unknown = s.post_start(&json!({"client": "nope"})).await;
    assert_eq!(unknown.status(), 404);
    let started = s
        .post_start(&json!({"client": client.id, "tag": "api", "scopes": ["openid"]}))
        .await;
    assert_eq!(started.status(), 200);
    let body: Value = started.json().await.unwrap();
    assert!(body["url"].as_str().unwrap().contains("/oauth/go/"));
    assert!(body["expires_at"].is_number());
}

async fn client_credentials_store_a_redacted_token(b: Backend) {
    let Some(s) = stack_on(b).await else {
        return;
    };
    let client = s.register_service_client().await;
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
    let access = authbridge_tests::tokens::open(&s, &record, field::ACCESS_TOKEN).await;
    assert!(!text.contains(&access), "the answer is redacted");
    assert_eq!(record.scopes, ["api:read"]);

    let bad_scope = stack::http()
        .post(s.url("/oauth/token"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&json!({"client": client.id, "grant": "client_credentials", "scopes": ["openid"], "tag": "svc2"}))
        .send()
        .await
        .unwrap();
    // A scope the client may not have is the caller's to fix: 400 with the provider's code.
    assert_eq!(bad_scope.status(), 400);
    let body: Value = bad_scope.json().await.unwrap();
    assert_eq!(body["error"], "provider_rejected");
    assert_eq!(body["provider_error"], "invalid_scope");
    assert!(stored(&s, "svc2").await.is_none());
}

on_both_backends!(
    the_whole_flow_connects_and_stores_an_encrypted_token("basic"),
    a_start_without_authority_starts_nothing,
    a_flow_finished_in_another_browser_is_refused,
    a_link_opened_twice_is_refused,
    an_existing_connection_is_replaced_only_on_request_and_its_grant_revoked,
    deleting_a_client_with_connections_needs_with_tokens_and_revokes,
    connections_are_listed_by_owner,
    a_denied_consent_lands_with_the_error_and_stores_nothing,
    an_exchange_failure_lands_on_the_landing_url_or_explains_itself,
    an_iss_from_another_server_is_refused,
    an_expired_or_unknown_state_is_refused,
    a_foreign_landing_url_is_refused,
    client_credentials_store_a_redacted_token,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_post_authenticates_too() {
    the_whole_flow_connects_and_stores_an_encrypted_token(sqlite_backend(), "post").await
}
