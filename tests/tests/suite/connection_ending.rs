//! Ending a connection, as the CLI and the console do it, against the test command's
//! authorization server on both stores:
//!
//! - `revoke_connection` revokes the grant at the server (its refresh token no longer works there)
//!   and keeps the record, needing reauthorization, with its history;
//! - `delete_connection` asks the provider first and deletes the record whatever it answered: a
//!   provider that refuses the revocation still loses the record, and the refusal is answered and
//!   journalled (`grant: failed`);
//! - a console user holding `connect` and `connections:own` (the `connector` role) sees and touches
//!   only the connections they made in the console or own; `connections:all` sees every one.

use std::collections::HashMap;

use authbridge::clock;
use authbridge::console::connections::{self as console_connections, ConnectRequest};
use authbridge::console::{ConsoleError, ConsoleSessions, ConsoleSettings, SignedIn};
use authbridge::domain::{ConnectionStatus, Role, Tag, User, UserSource};
use authbridge::oauth::connections::{ConnectionSearch, delete_connection, revoke_connection};
use authbridge::oauth::records::field;
use authbridge::oauth::revocation::{Released, Revoked};
use authbridge::store::PageRequest;
use authbridge_tests::login::email_of;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC};
use authbridge_tests::stack::{self, Browser, StackOptions, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{accepted, open, record, stored, tag_of};
use authbridge_tests::{Backend, on_both_backends, unique};
use axum::Form;
use axum::response::IntoResponse;
use serde_json::json;

/// A provider of the test's own: the password grant for anyone, and a revocation endpoint that
/// always refuses (503), as a provider that is down does.
async fn refusing_provider() -> String {
    async fn token(Form(form): Form<HashMap<String, String>>) -> axum::response::Response {
        match form.get("grant_type").map(String::as_str) {
            Some("password") => axum::Json(json!({
                "access_token": unique("AT"), "token_type": "Bearer",
                "expires_in": 1800, "refresh_token": unique("RT")
            }))
            .into_response(),
            _ => (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_grant"})),
            )
                .into_response(),
        }
    }
    async fn revoke() -> axum::response::Response {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": "temporarily_unavailable"})),
        )
            .into_response()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let app = axum::Router::new()
        .route("/token", axum::routing::post(token))
        .route("/revoke", axum::routing::post(revoke));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    json!({
        "title": "Refusing",
        "options": {
            "urlAuthorize": format!("{base}/authorize"),
            "urlAccessToken": format!("{base}/token"),
            "urlRevokeToken": format!("{base}/revoke"),
            "scopes": ["read"]
        }
    })
    .to_string()
}

async fn revoking_ends_the_grant_at_the_server_and_keeps_the_record(b: Backend) {
    let Some(s) = stack::start_on_test_server(b, StackOptions::default()).await else {
        return;
    };
    let issuer = oidc::issuer().expect("the test server");
    let code = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    let done = s
        .connect_as(code.id.as_str(), "end:revoke", "alice", json!({}))
        .await;
    assert_eq!(done.status(), 200, "connected");
    let refresh = open(&s, &record(&s, "end:revoke").await, field::REFRESH_TOKEN).await;
    assert!(accepted(&issuer, &refresh).await, "live before");

    let released = revoke_connection(&s.stack.oauth, &tag_of("end:revoke"), clock::now())
        .await
        .expect("revoked")
        .expect("there was a record");
    assert_eq!(released, Released::Revoked(Revoked::RefreshToken));
    assert!(!accepted(&issuer, &refresh).await, "the server forgot it");
    let kept = record(&s, "end:revoke").await;
    assert_eq!(
        kept.connection_status(),
        ConnectionStatus::NeedsReauthorization
    );
    let history = s
        .stack
        .oauth
        .app
        .audit_trail()
        .history(&tag_of("end:revoke"), &PageRequest::first(10))
        .await
        .expect("the history");
    assert!(
        history
            .items
            .iter()
            .any(|e| e.kind == "connection.reauthorization_required"),
        "{:?}",
        history.items
    );
    assert_eq!(
        revoke_connection(&s.stack.oauth, &tag_of("end:none"), clock::now())
            .await
            .expect("an answer"),
        None,
        "nothing under an unknown tag"
    );
}

async fn a_delete_the_provider_refuses_still_deletes_and_says_so(b: Backend) {
    let provider = refusing_provider().await;
    let Some(s) = stack::start_on_test_server(
        b,
        StackOptions {
            providers: vec![("refusing".into(), provider)],
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let client = s
        .register("refusing", "refusing-client", "s3cret", Default::default())
        .await;
    let response = stack::http()
        .post(s.url("/oauth/token"))
        .bearer_auth(TEST_API_TOKEN)
        .json(
            &json!({"client": client.id, "grant": "password", "tag": "end:refused",
            "username": "someone", "password": "pw"}),
        )
        .send()
        .await
        .expect("client-credentials answers");
    assert_eq!(response.status(), 200, "the password grant is stored");

    let released = delete_connection(&s.stack.oauth, &tag_of("end:refused"))
        .await
        .expect("deleted")
        .expect("there was a record");
    assert!(
        matches!(released, Released::Failed { .. }),
        "the refusal is answered: {released:?}"
    );
    assert_eq!(
        stored(&s, "end:refused").await,
        None,
        "deleted all the same"
    );
    let history = s
        .stack
        .oauth
        .app
        .audit_trail()
        .history(&tag_of("end:refused"), &PageRequest::first(10))
        .await
        .expect("the history");
    let deleted = history
        .items
        .iter()
        .find(|e| e.kind == "connection.deleted")
        .expect("the delete is journalled");
    assert!(
        deleted.summary.contains("grant failed"),
        "the journal says the revocation failed: {}",
        deleted.summary
    );
}

/// A console user holding `role`, signed in.
async fn signed_in(s: &TestStack, email: &str, role: Role) -> SignedIn {
    let mut user = User::new(email_of(email), UserSource::Local, clock::now());
    user.grant_role(role);
    let users = &s.stack.oauth.app.stores.users;
    users.create_user(&user, None).await.expect("a user");
    let sessions = ConsoleSessions::of(&s.stack.oauth.app, ConsoleSettings::default());
    let now = clock::now();
    let opened = sessions.open(&user, now).await.expect("a session");
    sessions
        .resolve(opened.cookie.expose(), now)
        .await
        .expect("signed in")
}

/// The tags `signed` sees in the console's table.
async fn seen(s: &TestStack, signed: &SignedIn) -> Vec<String> {
    let page = console_connections::list(
        &s.stack.oauth,
        signed,
        &ConnectionSearch {
            tag_prefix: Some("own:".into()),
            ..Default::default()
        },
        &PageRequest::first(50),
    )
    .await
    .expect("the table");
    let mut tags: Vec<String> = page.items.iter().map(|c| c.tag.to_string()).collect();
    tags.sort();
    tags
}

async fn connections_own_reaches_only_the_users_own_connections(b: Backend) {
    let Some(s) = stack::start_on_test_server(b, StackOptions::default()).await else {
        return;
    };
    let code = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    let carol = format!("{}@example.org", unique("carol"));
    let connector = signed_in(&s, &carol, Role::Connector).await;
    let operator = signed_in(
        &s,
        &format!("{}@example.org", unique("oscar")),
        Role::Operator,
    )
    .await;

    // Owned by Carol (made through the API), someone else's, and one Carol makes in the console.
    for (tag, owner) in [("own:owned", carol.as_str()), ("own:other", "contact:9")] {
        let done = s
            .connect_as(code.id.as_str(), tag, "alice", json!({"owner": owner}))
            .await;
        assert_eq!(done.status(), 200, "{tag} connected");
    }
    let urls = s
        .stack
        .oauth
        .settings
        .flow_urls(&s.base.as_str().parse().expect("a URI"))
        .expect("the flow's addresses");
    let started = console_connections::connect(
        &s.stack.oauth,
        &connector,
        ConnectRequest {
            client: code.id.clone(),
            tag: Some(tag_of("own:made")),
            owner: None,
            replace: false,
        },
        &urls,
        clock::now(),
    )
    .await
    .expect("a connector may connect");
    let browser = Browser::default();
    let authorize = browser.open(started.url.as_str()).await;
    let back = oidc::authorize(authorize.as_str(), "bob", true)
        .await
        .expect("the provider sends the browser back");
    assert_eq!(browser.get(back).await.status(), 200, "own:made connected");

    assert_eq!(seen(&s, &connector).await, ["own:made", "own:owned"]);
    assert_eq!(
        seen(&s, &operator).await,
        ["own:made", "own:other", "own:owned"]
    );
    let other = Tag::parse("own:other").expect("a tag");
    assert!(matches!(
        console_connections::get(&s.stack.oauth, &connector, &other).await,
        Err(ConsoleError::NotFound(_))
    ));
    assert!(matches!(
        console_connections::revoke(&s.stack.oauth, &connector, &other, clock::now()).await,
        Err(ConsoleError::NotFound(_))
    ));
    assert!(matches!(
        console_connections::delete(&s.stack.oauth, &connector, &other).await,
        Err(ConsoleError::NotFound(_))
    ));
    assert_eq!(
        record(&s, "own:other").await.connection_status(),
        ConnectionStatus::Active,
        "another's connection is untouched"
    );
    console_connections::revoke(
        &s.stack.oauth,
        &connector,
        &tag_of("own:made"),
        clock::now(),
    )
    .await
    .expect("a connector revokes what they made");
}

on_both_backends!(
    revoking_ends_the_grant_at_the_server_and_keeps_the_record,
    a_delete_the_provider_refuses_still_deletes_and_says_so,
    connections_own_reaches_only_the_users_own_connections,
);
