//! The handler called in-process with the API Gateway (HTTP API, payload 2.0) event of a login, as
//! Lambda delivers it: the body is read, the client address comes from the request context (not from
//! `X-Forwarded-For`, which the caller controls), and the session then answers `GET /auth/me`.

use std::sync::Arc;
use std::time::Duration;

use authbridge::config::{Backend, Config};
use authbridge::context::AppContext;
use authbridge::domain::{User, UserSource};
use authbridge::login::LoginSettings;
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge::store::Stores;
use authbridge::store::sqlite::SqliteStore;
use lambda_http::{Body, Request};
use login_authenticate::{Context, handle};

fn app() -> AppContext {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    AppContext {
        config: Config {
            backend: Backend::Embedded {
                path: "unused.db".into(),
            },
            secret_prefix: "authbridge/".into(),
            token_key_secret: "authbridge/token-key".into(),
            secret_cache_ttl: Duration::from_secs(60),
            events: Default::default(),
        },
        stores: Stores::from_one(store.clone()),
        secrets: store,
        events: Default::default(),
    }
}

fn body_json(body: &Body) -> serde_json::Value {
    match body {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("not a text body: {other:?}"),
    }
}

#[tokio::test]
async fn an_api_gateway_login_event_logs_in_from_the_source_ip() {
    let app = app();
    let now = authbridge::clock::now();
    let user = User {
        password_hash: Some(
            hash_password(&SecretString::from("correct horse battery staple")).unwrap(),
        ),
        ..User::new("ada@example.org", UserSource::Local, now)
    };
    app.stores.users.create_user(&user, None).await.unwrap();
    let context = Arc::new(Context::new(&app, &LoginSettings::default()).unwrap());

    let event =
        lambda_http::request::from_str(include_str!("fixtures/login_request.json")).unwrap();
    let response = handle(context.clone(), event).await;
    assert_eq!(response.status(), 200);
    let answer = body_json(response.body());
    assert_eq!(answer["user"]["id"], user.id.to_string());
    let stored = app.stores.users.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.current_sign_in_ip.as_deref(), Some("203.0.113.9"));

    let token = answer["access_token"].as_str().unwrap();
    let mut me = Request::new(Body::Empty);
    me.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let response = handle(context, me).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_json(response.body())["user"]["email"],
        "ada@example.org"
    );
}
