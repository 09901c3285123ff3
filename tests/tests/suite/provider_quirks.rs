//! Every provider quirk class end to end, on both stores: a provider file in our keys pointing at
//! the configurable authorization server of `authbridge_tests::quirky` (on 127.0.0.1), behaving
//! like that class; then connect (start, link, provider, return) → read (`GET /tokens/{tag}`) →
//! refresh (`POST /tokens/{tag}/refresh`) → revoke (deleting the connection). Needs no server of
//! the test command but the emulator (for the DynamoDB runs). The host quirk's server is
//! `https://acme-shop.localhost:PORT`, trusted through the private-CA setting.

use std::time::{Duration, SystemTime};

use authbridge::clock;
use authbridge::console::connections::{self as console_connections, ConnectRequest};
use authbridge::console::{ConsoleSessions, ConsoleSettings, SignedIn};
use authbridge::domain::journal::Subject;
use authbridge::domain::{ConnectionStatus, StoredToken};
use authbridge::domain::{Role, User, UserSource};
use authbridge::oauth::connections::revoke_connection;
use authbridge::oauth::refresh::{LAPSED, Refresher};
use authbridge::store::PageRequest;
use authbridge_tests::Backend;
use authbridge_tests::login::email_of;
use authbridge_tests::on_both_backends;
use authbridge_tests::quirky::{
    CLIENT_ID, CLIENT_SECRET, MOVED_API_DOMAIN, Quirk, QuirkyServer, REFRESH_TOKEN_LIFETIME,
    REVOCATION_VERSION, SHOP,
};
use authbridge_tests::stack::{self, Browser, StackOptions, TEST_API_TOKEN, TestStack, location};
use authbridge_tests::tokens::{Answer, get_token, record, send, tag_of};
use serde_json::{Map, Value, json};

const PROVIDER: &str = "quirky";
const TAG: &str = "quirk:1";

/// A stack whose provider `quirky` is `server`, and the server's client registered.
async fn stack_for(b: Backend, server: &QuirkyServer) -> (TestStack, String) {
    let s = stack::start(
        b,
        StackOptions {
            providers: vec![(PROVIDER.into(), server.provider_file().to_string())],
            extra_ca: server.ca_file().map(Into::into),
            ..Default::default()
        },
    )
    .await;
    let client = s
        .register(PROVIDER, CLIENT_ID, CLIENT_SECRET, Map::new())
        .await;
    (s, client.id.to_string())
}

/// The start's extra fields for `quirk`: the shop for a path parameter.
fn start_fields(quirk: Quirk) -> Value {
    match quirk {
        Quirk::PathParameter | Quirk::HostParameter => json!({"connection": {"shop": SHOP}}),
        _ => json!({}),
    }
}

/// The whole flow: start, open the link, the provider approves at once, the browser comes back.
async fn connect(s: &TestStack, server: &QuirkyServer, client: &str, quirk: Quirk) {
    let link = s.start_link(client, TAG, start_fields(quirk)).await;
    follow(server, &link).await;
}

/// A started flow's one-time `link` followed: the provider approves at once, the browser comes
/// back.
async fn follow(server: &QuirkyServer, link: &str) {
    let browser = Browser::default();
    let authorize = browser.open(link).await;
    let approved = server
        .browser()
        .get(authorize)
        .send()
        .await
        .expect("the provider answers");
    let back = location(&approved);
    assert!(
        back.query_pairs().any(|(k, _)| k == "code"),
        "the provider approved: {back}"
    );
    let done = browser.get(back).await;
    let status = done.status();
    let page = done.text().await.unwrap_or_default();
    assert_eq!(status, 200, "connected: {page}");
}

/// `POST /tokens/{tag}/refresh` for the token `etag` names.
async fn refresh(s: &TestStack, etag: &str) -> Answer {
    send(
        stack::http()
            .post(s.url(&format!("/tokens/{TAG}/refresh")))
            .bearer_auth(TEST_API_TOKEN)
            .header("if-match", etag),
    )
    .await
}

async fn connect_read_refresh_revoke(b: Backend, quirk: Quirk) {
    let server = QuirkyServer::start(quirk).await;
    let (s, client) = stack_for(b, &server).await;
    connect(&s, &server, &client, quirk).await;

    // Read: a usable token, with what it must be used with.
    let (status, etag, read) = get_token(&s, TAG).await;
    assert_eq!(status, 200, "{read}");
    let first = read["access_token"].as_str().expect("a token").to_string();
    assert!(first.starts_with("at-"), "{read}");
    let metadata = read["metadata"].as_object().cloned().unwrap_or_default();

    // Refresh: a new token from the provider.
    let (status, _, refreshed) = refresh(&s, &etag.expect("an ETag")).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_ne!(refreshed["access_token"], first.as_str(), "a new token");
    if quirk != Quirk::TokenValues {
        assert_eq!(refreshed["metadata"], read["metadata"], "the values stay");
    }
    let refreshes: Vec<_> = server
        .requests_to("token")
        .into_iter()
        .filter(|r| r.params.get("grant_type").map(String::as_str) == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 1, "one refresh reached the provider");

    // Revoke: deleting the connection revokes its refresh token at the provider.
    let stored = record(&s, TAG).await;
    let live = open_refresh(&s, &stored).await;
    assert!(server.refresh_token_live(&live));
    let released = authbridge::oauth::connections::delete_connection(&s.stack.oauth, &tag_of(TAG))
        .await
        .expect("deleting the connection")
        .expect("there was one");
    assert_eq!(released.name(), "revoked");
    assert!(!server.refresh_token_live(&live), "revoked at the provider");

    // What the quirk changes.
    let authorize = &server.requests_to("authorize")[0];
    let tokens = server.requests_to("token");
    let exchange = &tokens[0];
    match quirk {
        Quirk::TokenValues => {
            assert_eq!(metadata["instance_url"], server.base.as_str());
            assert_eq!(metadata["api_domain"], "https://www.zohoapis.eu");
            // Nested members, by dotted keys (Slack's `team.id`, `authed_user.id`).
            assert_eq!(metadata["team_id"], "T9TK3CUKW");
            assert_eq!(metadata["authed_user_id"], "U1234");
            // The refresh answer's values replace the stored ones; those it leaves out stay.
            let after = &refreshed["metadata"];
            assert_eq!(after["api_domain"], MOVED_API_DOMAIN, "{refreshed}");
            assert_eq!(after["instance_url"], server.base.as_str());
            assert_eq!(
                after["team_id"], "T9TK3CUKW",
                "not in the refresh answer: kept"
            );
            assert_eq!(after["authed_user_id"], "U1234");
            assert!(
                !metadata.contains_key("signature"),
                "a secret is no metadata"
            );
            assert_eq!(
                authbridge_tests::tokens::open_metadata(&s, &stored, "signature").await,
                "sig-secret-value-2",
                "sealed by the keyring for this connection, as the refresh answered it"
            );
            let raw = s.raw_token_item(TAG).await;
            assert!(
                raw.is_empty() || !raw.contains("sig-secret-value"),
                "sealed"
            );
            assert_eq!(stored.metadata["api_domain"], MOVED_API_DOMAIN, "stored");
            assert_eq!(
                server.requests_to("me").len(),
                1,
                "the owner at the instance"
            );
            assert_eq!(stored.resource_owner_name.as_deref(), Some("Quirky Person"));
        }
        Quirk::RedirectValues => {
            assert_eq!(metadata["realm_id"], "4620816365");
            assert_eq!(metadata["accounts_server"], server.base.as_str());
        }
        Quirk::NoPkce => {
            assert!(!authorize.params.contains_key("code_challenge"));
            assert!(!exchange.params.contains_key("code_verifier"));
        }
        Quirk::SecretPost => {
            for request in &tokens {
                assert_eq!(request.params["client_secret"], CLIENT_SECRET);
                assert!(!request.headers.contains_key("authorization"));
            }
        }
        Quirk::FormResponse => {
            assert!(
                read["expires_at"].as_i64().is_some(),
                "expires_in read from the form"
            );
        }
        Quirk::NoExpiresIn => {
            let expires = read["expires_at"].as_i64().expect("an assumed expiry");
            assert!((expires - clock::now() - 3600).abs() < 120, "{expires}");
            assert_eq!(stored.lifetime, Some(3600));
        }
        Quirk::RefreshTokenLifetime => {
            let ends = read["refresh_token_expires_at"].as_i64().expect("stated");
            assert!((ends - clock::now() - REFRESH_TOKEN_LIFETIME).abs() < 120);
        }
        Quirk::ExtraParameters => {
            assert_eq!(authorize.params["audience"], "api");
            assert_eq!(exchange.params["resource"], "r1");
            assert_eq!(refreshes[0].params["expires_in"], "7200");
            for request in &tokens {
                assert_eq!(request.headers["x-api-version"], "2");
            }
        }
        Quirk::PathParameter => {
            assert_eq!(metadata["shop"], SHOP);
            for request in server.requests() {
                assert_eq!(request.shop, SHOP, "every URL names the shop");
            }
        }
        Quirk::RevokeSecretPost => {
            let revoke = &server.requests_to("revoke")[0];
            assert_eq!(revoke.params["client_secret"], CLIENT_SECRET);
            assert!(!revoke.headers.contains_key("authorization"));
            for request in &tokens {
                assert!(request.headers["authorization"].starts_with("Basic "));
            }
        }
        Quirk::RevokeJson => {
            let revoke = &server.requests_to("revoke")[0];
            assert_eq!(revoke.headers["content-type"], "application/json");
            assert_eq!(revoke.headers["notion-version"], REVOCATION_VERSION);
            assert!(revoke.headers["authorization"].starts_with("Basic "));
            assert_eq!(revoke.params.keys().collect::<Vec<_>>(), ["token"]);
        }
        Quirk::HostParameter => {
            assert_eq!(metadata["shop"], SHOP);
            let routes: Vec<_> = server.requests().into_iter().map(|r| r.route).collect();
            for route in ["authorize", "token", "me", "revoke"] {
                assert!(routes.iter().any(|r| r == route), "{route}: {routes:?}");
            }
            for request in server.requests() {
                assert_eq!(request.shop, SHOP, "every request at the shop's own host");
            }
        }
    }
}

/// The stored refresh token of `r`, opened.
async fn open_refresh(s: &TestStack, r: &StoredToken) -> String {
    authbridge_tests::tokens::open(s, r, authbridge::oauth::records::field::REFRESH_TOKEN).await
}

/// A start whose connection parameter is missing, unknown or does not match is refused with 400,
/// naming the parameter; nothing reaches the provider.
async fn a_bad_connection_parameter_is_refused_naming_it(b: Backend) {
    let server = QuirkyServer::start(Quirk::PathParameter).await;
    let (s, client) = stack_for(b, &server).await;
    for (connection, parameter) in [
        (json!({}), "shop"),
        (json!({"shop": "../admin"}), "shop"),
        (json!({"shop": SHOP, "region": "eu"}), "region"),
    ] {
        let response = s
            .post_start(&json!({"client": client, "tag": TAG, "connection": connection}))
            .await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("a JSON answer");
        assert_eq!(body["error"], "invalid_connection", "{body}");
        assert_eq!(body["parameter"], parameter, "{body}");
    }
    assert!(server.requests().is_empty());
}

/// A connection that needs reauthorization answers 409 with the start that makes it again, naming
/// the shop the first start supplied (and no captured value); that start, sent as given, connects
/// the same shop again. The console's Reconnect starts with the shop too.
async fn reconnecting_names_the_connection_parameters(b: Backend) {
    let server = QuirkyServer::start(Quirk::PathParameter).await;
    let (s, client) = stack_for(b, &server).await;
    connect(&s, &server, &client, Quirk::PathParameter).await;
    let ended = revoke_connection(&s.stack.oauth, &tag_of(TAG), clock::now())
        .await
        .expect("revoking the connection");
    assert!(ended.is_some_and(|r| r.revoked()));

    let (status, _, answer) = get_token(&s, TAG).await;
    assert_eq!(status, 409, "{answer}");
    let start = &answer["reauthorize"]["body"];
    assert_eq!(start["connection"], json!({"shop": SHOP}), "{answer}");
    assert_eq!(start["replace"], true);
    let response = s.post_start(start).await;
    assert_eq!(response.status(), 200, "the hint is a start as it stands");
    let started: Value = response.json().await.expect("a JSON answer");
    follow(&server, started["url"].as_str().expect("a link")).await;
    let (status, _, read) = get_token(&s, TAG).await;
    assert_eq!(status, 200, "connected again: {read}");
    assert_eq!(read["metadata"]["shop"], SHOP);

    // The console's Reconnect, by a user who may touch every connection.
    revoke_connection(&s.stack.oauth, &tag_of(TAG), clock::now())
        .await
        .expect("revoking again");
    let signed = console_user(&s).await;
    let urls = s
        .stack
        .oauth
        .settings
        .flow_urls(&s.base.as_str().parse().expect("a URI"))
        .expect("the flow's addresses");
    let existing = console_connections::get(&s.stack.oauth, &signed, &tag_of(TAG))
        .await
        .expect("the connection");
    let started = console_connections::connect(
        &s.stack.oauth,
        &signed,
        ConnectRequest {
            client: existing.client,
            tag: Some(existing.tag),
            owner: existing.owner,
            replace: true,
        },
        &urls,
        clock::now(),
    )
    .await
    .expect("Reconnect starts");
    follow(&server, started.url.as_str()).await;
    let (status, _, read) = get_token(&s, TAG).await;
    assert_eq!(status, 200, "reconnected: {read}");
    let authorizes = server.requests_to("authorize");
    assert_eq!(authorizes.len(), 3);
    assert!(
        authorizes.iter().all(|r| r.shop == SHOP),
        "the same shop each time"
    );
}

/// A signed-in console user with every connection permission.
async fn console_user(s: &TestStack) -> SignedIn {
    let email = format!("{}@example.org", authbridge_tests::unique("oscar"));
    let mut user = User::new(email_of(&email), UserSource::Local, clock::now());
    user.grant_role(Role::Operator);
    let users = &s.stack.oauth.app.stores.users;
    users.create_user(&user, None).await.expect("a user");
    let sessions = ConsoleSessions::of(&s.stack.oauth.app, ConsoleSettings::default());
    let opened = sessions.open(&user, clock::now()).await.expect("a session");
    sessions
        .resolve(opened.cookie.expose(), clock::now())
        .await
        .expect("signed in")
}

/// The scheduled sweep, as token-refresh runs it.
async fn sweep(s: &TestStack) {
    let event: token_refresh::ScheduledEvent =
        serde_json::from_str(include_str!("../../fixtures/events/scheduled.json"))
            .expect("the scheduled event");
    let o = &s.stack.oauth;
    let context = token_refresh::Context {
        oauth: authbridge::oauth::OAuthContext::new(
            o.app.clone(),
            o.settings.clone(),
            authbridge::providers::ProviderRegistry::load(
                Some(s.providers_dir()),
                o.http.client().clone(),
            )
            .expect("the providers"),
            o.http.clone(),
        ),
        refresher: Refresher::default(),
        concurrency: 2,
    };
    token_refresh::handle(&context, event, SystemTime::now() + Duration::from_secs(60)).await;
}

/// Makes the record due now, as time passing would.
async fn make_due(s: &TestStack, change: impl FnOnce(&mut StoredToken)) {
    let mut r = record(s, TAG).await;
    r.due_at = Some(clock::now() - 1);
    change(&mut r);
    s.stack
        .app
        .stores
        .tokens
        .update_token(&r)
        .await
        .expect("updating the record");
}

/// The journal's event types for the connection, oldest first.
async fn events_of(s: &TestStack) -> Vec<String> {
    let page = s
        .stack
        .app
        .stores
        .journal
        .journal_entries(
            &Subject::Connection(TAG.to_string()),
            clock::now() + 10,
            &PageRequest::first(100),
        )
        .await
        .expect("the journal");
    page.items.into_iter().rev().map(|e| e.kind).collect()
}

/// A refresh token whose end is stated: announced once when it nears (status `expiring`,
/// `connection.expiring`), then, once it has ended, `reauthorization_required` without a call.
async fn a_stated_refresh_token_end_is_announced_once_then_lapses(b: Backend) {
    let server = QuirkyServer::start(Quirk::RefreshTokenLifetime).await;
    let (s, client) = stack_for(b, &server).await;
    connect(&s, &server, &client, Quirk::RefreshTokenLifetime).await;
    assert_eq!(
        record(&s, TAG).await.connection_status(),
        ConnectionStatus::Active
    );

    // Three days left, inside the week's window: the sweep's refresh announces it.
    make_due(&s, |_| {}).await;
    sweep(&s).await;
    let r = record(&s, TAG).await;
    assert_eq!(r.connection_status(), ConnectionStatus::Expiring);
    make_due(&s, |_| {}).await;
    sweep(&s).await;
    let expiring = events_of(&s)
        .await
        .iter()
        .filter(|k| *k == "connection.expiring")
        .count();
    assert_eq!(expiring, 1, "announced once: {:?}", events_of(&s).await);
    let (_, _, read) = get_token(&s, TAG).await;
    assert!(read["refresh_token_expires_at"].as_i64().is_some());

    // Its end has passed: reauthorization, and no refresh is tried.
    let calls = server.requests_to("token").len();
    make_due(&s, |r| r.refresh_expires = Some(clock::now() - 1)).await;
    sweep(&s).await;
    let r = record(&s, TAG).await;
    assert_eq!(
        r.connection_status(),
        ConnectionStatus::NeedsReauthorization
    );
    assert_eq!(r.error.as_ref().map(|e| e.error.as_str()), Some(LAPSED));
    assert_eq!(
        server.requests_to("token").len(),
        calls,
        "no call that can only fail"
    );
    assert!(
        events_of(&s)
            .await
            .contains(&"connection.reauthorization_required".to_string())
    );
    let (status, _, answer) = get_token(&s, TAG).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"], "reauthorization_required");
}

on_both_backends!(
    token_values = connect_read_refresh_revoke(Quirk::TokenValues),
    redirect_values = connect_read_refresh_revoke(Quirk::RedirectValues),
    no_pkce = connect_read_refresh_revoke(Quirk::NoPkce),
    client_secret_post = connect_read_refresh_revoke(Quirk::SecretPost),
    form_encoded_answer = connect_read_refresh_revoke(Quirk::FormResponse),
    no_expires_in = connect_read_refresh_revoke(Quirk::NoExpiresIn),
    refresh_token_lifetime = connect_read_refresh_revoke(Quirk::RefreshTokenLifetime),
    extra_parameters_and_headers = connect_read_refresh_revoke(Quirk::ExtraParameters),
    connection_parameter_in_the_path = connect_read_refresh_revoke(Quirk::PathParameter),
    connection_parameter_in_the_host = connect_read_refresh_revoke(Quirk::HostParameter),
    revocation_with_its_own_client_authentication =
        connect_read_refresh_revoke(Quirk::RevokeSecretPost),
    revocation_as_a_json_body = connect_read_refresh_revoke(Quirk::RevokeJson),
    a_bad_connection_parameter_is_refused_naming_it,
    reconnecting_names_the_connection_parameters,
    a_stated_refresh_token_end_is_announced_once_then_lapses,
);
