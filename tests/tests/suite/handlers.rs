//! Every function's handler called in-process with the event Lambda delivers (the fixtures in
//! `tests/fixtures/events/`), its context built from an environment as its `main.rs` builds it:
//! what API Gateway puts where (path parameters, the query map, cookies in their own list, a
//! base64 body, the source address in the request context) reaches the handler, and the answer is
//! the one the HTTP tests see from the local stack. No server is needed: the store is embedded and
//! no step calls a provider.

use authbridge_tests::login::email_of;
use authbridge_tests::tokens::tag_of;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use authbridge::clients::{ClientAdmin, NewClient};
use authbridge::domain::{ClientId, OAuthClient, Role, StoredToken, Subject, User, UserSource};
use authbridge::oauth::OAuthContext;
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge::store::{ClientStore, JournalStore, PageRequest, TokenStore, UserStore};
use authbridge_tests::lambda::{LANDING, LambdaEnv, event, fixture, header, json_body};
use authbridge_tests::stack::TEST_API_TOKEN;
use authbridge_tests::tokens::sample_record;
use base64::Engine;
use lambda_http::{Body, Request, Response};
use url::Url;

/// A code client of the shipped `github` provider (static endpoints: nothing to discover).
async fn github_client(context: &OAuthContext) -> OAuthClient {
    ClientAdmin {
        app: &context.app,
        providers: &context.providers,
    }
    .create(NewClient {
        provider: "github".into(),
        guid: "Iv1.fixture".into(),
        secret: Some(SecretString::from("fixture-secret")),
        tenant: None,
        options: serde_json::Map::new(),
    })
    .await
    .expect("registering a client")
}

/// `POST /oauth/start` for a new `github` client's flow, then its link opened: the start's
/// answer, the link id and the link's answer (the redirect to the provider).
async fn start_and_open(context: &Arc<OAuthContext>) -> (Response<Body>, String, Response<Body>) {
    let client = github_client(context).await;
    let start = start_auth::handle(
        context.clone(),
        event(
            "start_auth.json",
            &[
                ("api_token", TEST_API_TOKEN),
                ("client", client.id.as_str()),
            ],
        ),
    )
    .await;
    let url = json_body(&start)["url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let link = url.rsplit('/').next().unwrap_or_default().to_string();
    let go = start_auth::handle(
        context.clone(),
        event("start_auth_link.json", &[("link", &link)]),
    )
    .await;
    (start, link, go)
}

#[tokio::test]
async fn start_auth_makes_a_link_and_the_link_sends_the_browser_to_the_provider() {
    let lambda = LambdaEnv::new().await;
    let context = Arc::new(OAuthContext::from(&lambda.env()).await.expect("a context"));
    let (start, link, go) = start_and_open(&context).await;
    assert_eq!(start.status(), 200, "{:?}", start.body());
    let started = json_body(&start);
    assert_eq!(started["tag"], "crm:mailbox");
    assert_eq!(
        started["url"],
        format!("https://abc123.execute-api.eu-west-1.amazonaws.com/oauth/go/{link}")
    );
    assert_eq!(go.status(), 302);
    let to = Url::parse(header(&go, "location")).expect("a provider URL");
    assert_eq!(to.host_str(), Some("github.com"));
    let query: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "Iv1.fixture");
    assert_eq!(
        query["redirect_uri"],
        "https://abc123.execute-api.eu-west-1.amazonaws.com/oauth/return"
    );
    assert!(header(&go, "set-cookie").contains("HttpOnly"));

    // The same link a second time sends nobody anywhere.
    let again =
        start_auth::handle(context, event("start_auth_link.json", &[("link", &link)])).await;
    assert_ne!(again.status(), 302);
}

#[tokio::test]
async fn oauth_return_lands_a_denied_consent_with_its_error_and_stores_nothing() {
    let lambda = LambdaEnv::new().await;
    let context = Arc::new(OAuthContext::from(&lambda.env()).await.expect("a context"));
    let (_, _, go) = start_and_open(&context).await;
    let to = Url::parse(header(&go, "location")).expect("a provider URL");
    let state = to
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    let cookie = header(&go, "set-cookie")
        .split(';')
        .next()
        .expect("a cookie")
        .to_string();

    let back = oauth_return::handle(
        context.clone(),
        event(
            "oauth_return.json",
            &[("state", &state), ("cookie", &cookie)],
        ),
    )
    .await;
    assert_eq!(back.status(), 303, "{:?}", back.body());
    let landing = Url::parse(header(&back, "location")).expect("a landing URL");
    assert!(landing.as_str().starts_with(LANDING), "{landing}");
    assert!(
        landing
            .query_pairs()
            .any(|(k, v)| k == "error" && v == "access_denied"),
        "{landing}"
    );
    assert_eq!(
        context
            .app
            .stores
            .tokens
            .get_token(&tag_of("crm:mailbox"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn client_credentials_reads_a_base64_body_and_names_an_unknown_client() {
    let lambda = LambdaEnv::new().await;
    let context = Arc::new(
        client_credentials::Context::from(&lambda.env())
            .await
            .expect("a context"),
    );
    let unknown = ClientId::generate();
    let response = client_credentials::handle(
        context.clone(),
        event(
            "client_credentials.json",
            &[("api_token", TEST_API_TOKEN), ("client", unknown.as_str())],
        ),
    )
    .await;
    assert_eq!(response.status(), 404, "{:?}", response.body());
    assert_eq!(json_body(&response)["error"], "unknown_client");

    let refused = client_credentials::handle(
        context,
        event(
            "client_credentials.json",
            &[("api_token", "not-a-token"), ("client", unknown.as_str())],
        ),
    )
    .await;
    assert_eq!(refused.status(), 403, "{:?}", refused.body());
}

#[tokio::test]
async fn login_logs_in_from_the_source_ip_and_the_session_answers_me() {
    let lambda = LambdaEnv::new().await;
    let user = User {
        password_hash: Some(
            hash_password(&SecretString::from("correct horse battery staple")).unwrap(),
        ),
        ..User::new(
            email_of("ada@example.org"),
            UserSource::Local,
            authbridge::clock::now(),
        )
    };
    lambda.store().create_user(&user, None).await.unwrap();
    let context = Arc::new(
        login_authenticate::Context::from(&lambda.env())
            .await
            .expect("a context"),
    );

    let response = login_authenticate::handle(context.clone(), event("login.json", &[])).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let answer = json_body(&response);
    assert_eq!(answer["user"]["id"], user.id.to_string());
    let stored = lambda.store().get_user(&user.id).await.unwrap().unwrap();
    // From the request context, not from `X-Forwarded-For` (which the caller controls).
    assert_eq!(stored.current_sign_in_ip.as_deref(), Some("203.0.113.9"));

    let token = answer["access_token"].as_str().unwrap();
    let mut me = Request::new(Body::Empty);
    *me.uri_mut() = "/auth/me".parse().unwrap();
    me.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let response = login_authenticate::handle(context, me).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(&response)["user"]["email"], "ada@example.org");
}

#[tokio::test]
async fn sync_user_makes_the_user_and_its_link() {
    let lambda = LambdaEnv::new().await;
    let context = Arc::new(
        wp_sync_user::Context::from(&lambda.env())
            .await
            .expect("a context"),
    );
    let response = wp_sync_user::handle(
        context.clone(),
        event("sync_user.json", &[("api_token", TEST_API_TOKEN)]),
    )
    .await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let body = json_body(&response);
    assert_eq!(body["wordpress_id"], 145);
    let link = lambda
        .store()
        .get_wordpress_link(145)
        .await
        .unwrap()
        .expect("the link");
    assert_eq!(body["user_id"], link.user_id.as_str());

    let refused = wp_sync_user::handle(
        context,
        event("sync_user.json", &[("api_token", "not-a-token")]),
    )
    .await;
    assert_eq!(refused.status(), 403, "{:?}", refused.body());
}

#[tokio::test]
async fn token_access_takes_the_tag_from_the_path_and_needs_a_token() {
    let lambda = LambdaEnv::new().await;
    let context = Arc::new(
        token_access::Context::from(&lambda.env())
            .await
            .expect("a context"),
    );
    let response = token_access::handle(
        context.clone(),
        event("token_access.json", &[("api_token", TEST_API_TOKEN)]),
    )
    .await;
    assert_eq!(response.status(), 404, "{:?}", response.body());
    let answer = json_body(&response);
    assert_eq!(answer["error"], "not_found");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("svc:mail+bounces"),
        "{answer}"
    );

    // Without API Gateway's parameter map (as the local stack calls it), the tag comes from the
    // path, percent-decoded, `+` kept as a plus.
    let mut bare = Request::new(Body::Empty);
    *bare.uri_mut() = "/tokens/svc%3Amail%2Bbounces%20x+y".parse().unwrap();
    bare.headers_mut().insert(
        "authorization",
        format!("Bearer {TEST_API_TOKEN}").parse().unwrap(),
    );
    let response = token_access::handle(context.clone(), bare).await;
    assert_eq!(response.status(), 404, "{:?}", response.body());
    let answer = json_body(&response);
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("svc:mail+bounces x+y"),
        "{answer}"
    );

    let refused = token_access::handle(
        context,
        event("token_access.json", &[("api_token", "not-a-token")]),
    )
    .await;
    assert_eq!(refused.status(), 403, "{:?}", refused.body());
}

#[tokio::test]
async fn the_scheduled_event_sweeps_the_due_tokens() {
    let lambda = LambdaEnv::new().await;
    let now = authbridge::clock::now();
    let due = StoredToken {
        due_at: Some(now - 60),
        expires: Some(now + 60),
        ..sample_record("svc:due")
    };
    lambda.store().create_token(&due).await.unwrap();
    let context = token_refresh::Context::from(&lambda.env())
        .await
        .expect("a context");
    let event: token_refresh::ScheduledEvent =
        serde_json::from_str(&fixture("scheduled.json", &[])).expect("a scheduled event");
    assert_eq!(event.detail_type, "Scheduled Event");
    let summary =
        token_refresh::handle(&context, event, SystemTime::now() + Duration::from_secs(60)).await;
    assert_eq!(summary.read, 1, "{summary:?}");
    assert_eq!(summary.refreshed, 0, "{summary:?}");
}

/// A form posted to the console page `page` (`sign-in`, `clients`), base64 as API Gateway sends
/// a form, with the `cookies` (`name=value`) the browser holds.
fn console_form(page: &str, cookies: &[&str], form: &[(&str, &str)]) -> Request {
    let body = serde_urlencoded::to_string(form).expect("a form");
    let cookies = cookies
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    event(
        "console_form.json",
        &[
            ("page", page),
            ("cookies", &cookies),
            (
                "form",
                &base64::engine::general_purpose::STANDARD.encode(body),
            ),
        ],
    )
}

fn text_body(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn admin_console_serves_its_sign_in_page_signs_in_and_refuses_a_form_without_its_token() {
    let lambda = LambdaEnv::new().await;
    let user = User {
        password_hash: Some(
            hash_password(&SecretString::from("correct horse battery staple")).unwrap(),
        ),
        roles: vec![Role::Admin],
        ..User::new(
            email_of("ada@example.org"),
            UserSource::Local,
            authbridge::clock::now(),
        )
    };
    lambda.store().create_user(&user, None).await.unwrap();
    let context = Arc::new(
        admin_console::Context::from(&lambda.env())
            .await
            .expect("a context"),
    );

    // The sign-in page, with the console's security headers.
    let page = admin_console::handle(context.clone(), event("console_sign_in.json", &[])).await;
    assert_eq!(page.status(), 200, "{:?}", page.body());
    assert!(header(&page, "content-type").starts_with("text/html"));
    assert_eq!(
        header(&page, "content-security-policy"),
        admin_console::CONSOLE_CSP
    );
    assert_eq!(header(&page, "referrer-policy"), "same-origin");
    assert!(text_body(&page).contains("id=\"sign-in\""));

    // Signing in: a session cookie made for the browser, and the sign-in in the audit trail with
    // the address API Gateway saw (not `X-Forwarded-For`).
    let signed = admin_console::handle(
        context.clone(),
        console_form(
            "sign-in",
            &[],
            &[
                ("email", "ada@example.org"),
                ("password", "correct horse battery staple"),
            ],
        ),
    )
    .await;
    assert_eq!(signed.status(), 303, "{:?}", signed.body());
    assert_eq!(header(&signed, "location"), "/admin");
    let set_cookie = header(&signed, "set-cookie");
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin"] {
        assert!(set_cookie.contains(part), "{part} in {set_cookie}");
    }
    let cookie = set_cookie.split(';').next().expect("a cookie").to_string();
    assert!(cookie.starts_with("authbridge_console="), "{cookie}");
    let journal = lambda
        .store()
        .journal_entries(
            &Subject::Admin,
            authbridge::clock::now(),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    let started: Vec<_> = journal
        .items
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.actor.as_deref(),
                e.address.map(|a| a.to_string()),
            )
        })
        .collect();
    assert_eq!(
        started,
        [(
            "admin.session.started",
            Some("ada@example.org"),
            Some("203.0.113.9".to_string())
        )]
    );

    // A form of that session without its CSRF token: refused, and nothing registered.
    let refused = admin_console::handle(
        context.clone(),
        console_form(
            "clients",
            &[&cookie],
            &[("provider", "github"), ("guid", "Iv1.forged")],
        ),
    )
    .await;
    assert_eq!(refused.status(), 403, "{:?}", refused.body());
    assert!(
        text_body(&refused).contains("did not carry this session's token"),
        "{:?}",
        refused.body()
    );
    // Without a session at all: to the sign-in page.
    let outside = admin_console::handle(
        context,
        console_form(
            "clients",
            &[],
            &[("provider", "github"), ("guid", "Iv1.forged")],
        ),
    )
    .await;
    assert_eq!(outside.status(), 303, "{:?}", outside.body());
    assert_eq!(header(&outside, "location"), "/admin/sign-in");
    let clients = lambda
        .store()
        .list_clients(&PageRequest::first(10))
        .await
        .unwrap();
    assert!(clients.items.is_empty(), "{:?}", clients.items);
}
