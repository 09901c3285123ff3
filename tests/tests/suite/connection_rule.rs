//! One rule for every path that writes a connection, against the test command's authorization
//! server (oidc-provider) on both stores, with a webhook receiver for the events:
//!
//! - a grant without a browser (client credentials at the test server, the password grant at a
//!   legacy provider of the test's own) on a tag that holds an authorization-code connection is
//!   refused with 409 and the connection is untouched; each grant's default tag is of its own kind;
//!   with `replace` the old grant is revoked at the server (its refresh token no longer works there),
//!   the owner is kept and `connection.replaced` says the grant was revoked;
//! - a grant that another connection still holds (one account, one client, two tags: the server
//!   keeps one grant per signed-in session and client, as Google does per account and client) is
//!   kept when one of them is replaced or deleted, and the other still refreshes at the server; the
//!   last one revokes it.

use authbridge_tests::tokens::tag_of;
use std::collections::HashMap;

use authbridge::domain::OAuthClient;
use authbridge::oauth::connections::delete_connection;
use authbridge::oauth::records::field;
use authbridge::oauth::refresh::{Outcome, Refresher, Want, start_by};
use authbridge::oauth::revocation::{Released, Revoked};
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC, ProviderSession, refresh_token_works};
use authbridge_tests::stack::{self, Browser, StackOptions, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{accepted, open, record, stored};
use authbridge_tests::webhook::{Received, receiver, settings as webhook_settings};
use authbridge_tests::{Backend, on_both_backends};
use axum::Form;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

/// A stack on the test server, with a legacy provider that serves the password grant, a webhook
/// receiver, and the clients: the server's code and service clients, and the legacy one.
struct Setup {
    s: TestStack,
    events: Received,
    receiver: tokio::task::JoinHandle<()>,
    code: OAuthClient,
    service: OAuthClient,
    legacy: OAuthClient,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.receiver.abort();
    }
}

/// The legacy provider's token endpoint: the password grant for user `legacy`, password `pa ss`.
async fn legacy_token(Form(form): Form<HashMap<String, String>>) -> axum::response::Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    match (field("grant_type"), field("username"), field("password")) {
        (Some("password"), Some("legacy"), Some("pa ss")) => axum::Json(json!({
            "access_token": authbridge_tests::unique("PW"), "token_type": "Bearer",
            "expires_in": 1800, "refresh_token": authbridge_tests::unique("PW-REFRESH")
        }))
        .into_response(),
        _ => (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response(),
    }
}

async fn setup(b: Backend) -> Option<Setup> {
    let (hook, events, receiver) = receiver(0).await;
    let settings = webhook_settings(&b, &hook).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let legacy_base = format!("http://{}", listener.local_addr().expect("an address"));
    let app = axum::Router::new().route("/token", axum::routing::post(legacy_token));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let legacy_provider = json!({
        "title": "Legacy",
        "options": {
            "urlAuthorize": format!("{legacy_base}/authorize"),
            "urlAccessToken": format!("{legacy_base}/token"),
            "scopes": ["read"]
        }
    });
    let s = stack::start_on_test_server(
        b,
        StackOptions {
            events: settings,
            providers: vec![("legacy".into(), legacy_provider.to_string())],
            ..Default::default()
        },
    )
    .await?;
    let code = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    let service = s.register_service_client().await;
    let legacy = s
        .register("legacy", "legacy-client", "s3cret", Map::new())
        .await;
    Some(Setup {
        s,
        events,
        receiver,
        code,
        service,
        legacy,
    })
}

/// `POST /oauth/token` with `body`: the status and the JSON answer.
async fn grant(s: &TestStack, body: &Value) -> (u16, Value) {
    let response = stack::http()
        .post(s.url("/oauth/token"))
        .bearer_auth(TEST_API_TOKEN)
        .json(body)
        .send()
        .await
        .expect("client-credentials answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// The events the receiver got of `kind` about `tag`.
fn events_of(events: &Received, kind: &str, tag: &str) -> Vec<Value> {
    events
        .events()
        .into_iter()
        .filter(|e| e["type"] == kind && e["tag"] == tag)
        .collect()
}

/// The body of a client-credentials grant at the test server, plus `extra`.
fn service_grant(service: &OAuthClient, extra: Value) -> Value {
    let mut body =
        json!({"client": service.id, "grant": "client_credentials", "scopes": ["api:read"]});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// The body of a password grant at the legacy provider, plus `extra`.
fn password_grant(legacy: &OAuthClient, extra: Value) -> Value {
    let mut body = json!({"client": legacy.id, "grant": "password", "username": "legacy", "password": "pa ss"});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

async fn a_grant_replaces_a_connection_only_when_asked_and_revokes_its_grant(b: Backend) {
    let Some(setup) = setup(b).await else {
        return;
    };
    let Setup {
        s,
        events,
        code,
        service,
        legacy,
        ..
    } = &setup;
    for (tag, login) in [("site:1", "alice"), ("site:2", "bob")] {
        let done = s
            .connect_as(code.id.as_str(), tag, login, json!({"owner": "contact:7"}))
            .await;
        assert_eq!(done.status(), 200, "{tag} connected");
    }
    let first = record(s, "site:1").await;
    let old_refresh = [
        open(s, &first, field::REFRESH_TOKEN).await,
        open(s, &record(s, "site:2").await, field::REFRESH_TOKEN).await,
    ];

    // Without `replace`: 409, whichever grant, and the connection untouched.
    for body in [
        service_grant(service, json!({"tag": "site:1"})),
        password_grant(legacy, json!({"tag": "site:1"})),
        service_grant(service, json!({"tag": "site:1", "replace": false})),
    ] {
        let (status, answer) = grant(s, &body).await;
        assert_eq!(status, 409, "{body}: {answer}");
        assert_eq!(answer["error"], "connection_exists");
        assert_eq!(stored(s, "site:1").await, Some(first.clone()), "untouched");
    }
    assert!(events_of(events, "connection.replaced", "site:1").is_empty());

    // Each grant's default tag is of its own kind: none is the authorization code's `client:<id>`.
    let (status, answer) = grant(s, &service_grant(service, json!({}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["tag"], format!("client-credentials:{}", service.id));
    let (status, answer) = grant(s, &password_grant(legacy, json!({}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["tag"], format!("password:{}", legacy.id));
    let created = events_of(
        events,
        "connection.created",
        &format!("password:{}", legacy.id),
    );
    assert_eq!(created.len(), 1, "{:?}", events.events());

    // With `replace`: stored, the owner kept, the old grant revoked at the server, and said so.
    let replacements = [
        (
            "site:1",
            service_grant(service, json!({"tag": "site:1", "replace": true})),
        ),
        (
            "site:2",
            password_grant(legacy, json!({"tag": "site:2", "replace": true})),
        ),
    ];
    for ((tag, body), old_refresh) in replacements.iter().zip(&old_refresh) {
        let (status, answer) = grant(s, body).await;
        assert_eq!(status, 200, "{tag}: {answer}");
        assert_eq!(answer["grant_type"], body["grant"], "{tag}");
        assert_eq!(answer["owner"], "contact:7", "{tag}: the owner is kept");
        assert_eq!(answer["created_by"], "api-token:tests");
        assert!(
            !refresh_token_works(old_refresh).await,
            "{tag}: the replaced grant is revoked at the server"
        );
        let replaced = events_of(events, "connection.replaced", tag);
        assert_eq!(replaced.len(), 1, "{tag}: {:?}", events.events());
        assert_eq!(replaced[0]["grant"], "revoked");
        assert_eq!(replaced[0]["owner"], "contact:7");
        assert_eq!(replaced[0]["client"], body["client"]);
    }
}

async fn of_two_grants_racing_for_a_free_tag_one_wins(b: Backend) {
    let Some(setup) = setup(b).await else {
        return;
    };
    let Setup { s, service, .. } = &setup;
    let body = service_grant(service, json!({"tag": "raced"}));
    let answers = futures::future::join_all((0..4).map(|_| grant(s, &body))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409], "{answers:?}");
}

/// Connects `tag` as `login` through the whole flow, signing in at the server in `session`.
async fn connect_in(
    s: &TestStack,
    session: &ProviderSession,
    client: &str,
    tag: &str,
    login: &str,
) {
    let browser = Browser::default();
    let link = s.start_link(client, tag, json!({})).await;
    let authorize = browser.open(&link).await;
    let back = oidc::authorize_in(session, authorize.as_str(), login, true)
        .await
        .expect("the server sends the browser back");
    assert_eq!(browser.get(back).await.status(), 200, "{tag} connected");
}

async fn a_grant_another_connection_holds_is_kept_until_the_last_one_goes(b: Backend) {
    let Some(setup) = setup(b).await else {
        return;
    };
    let Setup {
        s,
        events,
        code,
        service,
        ..
    } = &setup;
    let issuer = oidc::issuer().expect("the test server");
    // One person, one client, three tags: one grant at the server.
    let session = ProviderSession::new().expect("a session");
    for tag in ["mail:a", "mail:b", "mail:c"] {
        connect_in(s, &session, code.id.as_str(), tag, "carol").await;
    }
    let [a, b, c] = [
        record(s, "mail:a").await,
        record(s, "mail:b").await,
        record(s, "mail:c").await,
    ];
    assert!(a.account_key().is_some());
    assert_eq!(a.account_key(), b.account_key());
    assert_eq!(a.account_key(), c.account_key());
    let a_refresh = open(s, &a, field::REFRESH_TOKEN).await;

    // Replacing one keeps the grant (others hold it), and the event says which.
    let (status, answer) = grant(
        s,
        &service_grant(service, json!({"tag": "mail:a", "replace": true})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let replaced = events_of(events, "connection.replaced", "mail:a");
    assert_eq!(replaced.len(), 1, "{:?}", events.events());
    assert_eq!(replaced[0]["grant"], "kept");
    assert!(
        ["mail:b", "mail:c"].contains(&replaced[0]["grant_held_by"].as_str().unwrap_or("")),
        "{}",
        replaced[0]
    );
    assert!(accepted(&issuer, &a_refresh).await, "not revoked");

    // Deleting one keeps it too: the other still refreshes at the server.
    let released = delete_connection(&s.stack.oauth, &tag_of("mail:b"))
        .await
        .expect("deleted")
        .expect("there was a record");
    assert_eq!(
        released,
        Released::Kept {
            held_by: tag_of("mail:c")
        }
    );
    let deleted = events_of(events, "connection.deleted", "mail:b");
    assert_eq!(deleted[0]["grant"], "kept");
    assert_eq!(deleted[0]["grant_held_by"], "mail:c");
    let answer_by = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let (refreshed, outcome) = Refresher::default()
        .refresh(
            &s.stack.oauth,
            &tag_of("mail:c"),
            &authbridge::domain::Scope::everything(),
            Want::Always,
            start_by(&s.stack.oauth, answer_by),
        )
        .await
        .expect("a refresh");
    assert_eq!(outcome, Outcome::Refreshed, "{:?}", refreshed.error);

    // The last one revokes it: at the server, the grant of all three is gone.
    let released = delete_connection(&s.stack.oauth, &tag_of("mail:c"))
        .await
        .expect("deleted")
        .expect("there was a record");
    assert_eq!(released, Released::Revoked(Revoked::RefreshToken));
    assert!(
        !accepted(&issuer, &a_refresh).await,
        "one grant: revoking the last holder's token ended the first's"
    );
}

on_both_backends!(
    a_grant_replaces_a_connection_only_when_asked_and_revokes_its_grant,
    of_two_grants_racing_for_a_free_tag_one_wins,
    a_grant_another_connection_holds_is_kept_until_the_last_one_goes,
);
