//! The scheduled sweep (token-refresh, driven by a fixture of a real EventBridge event) and the
//! failure rules: transient failures are recorded and backed off with the old token kept, a success
//! clears the error. The provider is a token endpoint of the test's own that fails on demand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use authbridge::clock;
use authbridge::domain::StoredToken;
use authbridge::oauth::refresh::Refresher;
use authbridge_tests::sqlite_backend;
use authbridge_tests::stack::{self, StackOptions, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{access_token, record};
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

/// The fake provider: answers tokens while `status` is 200, else fails with that status.
struct Fake {
    status: AtomicU16,
    issued: AtomicUsize,
}

async fn token(State(fake): State<Arc<Fake>>) -> axum::response::Response {
    let status = fake.status.load(Ordering::SeqCst);
    if status != 200 {
        let code = axum::http::StatusCode::from_u16(status).unwrap();
        return (code, "<html>maintenance</html>").into_response();
    }
    let n = fake.issued.fetch_add(1, Ordering::SeqCst);
    axum::Json(
        json!({"access_token": format!("AT-{n}"), "token_type": "Bearer", "expires_in": 3600}),
    )
    .into_response()
}

async fn setup() -> (TestStack, Arc<Fake>, String) {
    let fake = Arc::new(Fake {
        status: AtomicU16::new(200),
        issued: AtomicUsize::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/token", axum::routing::post(token))
        .with_state(fake.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let provider = json!({"title": "Fake", "options": {
        "urlAuthorize": format!("{base}/authorize"), "urlAccessToken": format!("{base}/token")}});
    let s = stack::start(
        sqlite_backend(),
        StackOptions {
            providers: vec![("fake".into(), provider.to_string())],
            ..Default::default()
        },
    )
    .await;
    let client = s.register("fake", "svc", "s3cret", Map::new()).await;
    (s, fake, client.id.to_string())
}

async fn grant(s: &TestStack, client: &str, tag: &str) {
    let response = stack::http()
        .post(s.url("/oauth/token"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&json!({"client": client, "grant": "client_credentials", "tag": tag}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn set(s: &TestStack, tag: &str, change: impl FnOnce(&mut StoredToken)) {
    let mut r = record(s, tag).await;
    change(&mut r);
    s.stack.app.stores.tokens.update_token(&r).await.unwrap();
}

async fn sweep(s: &TestStack) -> authbridge::oauth::sweep::SweepSummary {
    let event: token_refresh::ScheduledEvent =
        serde_json::from_str(include_str!("../../fixtures/events/scheduled.json")).unwrap();
    let context = token_refresh::Context {
        oauth: clone_context(s),
        refresher: Refresher::default(),
        concurrency: 8,
    };
    token_refresh::handle(&context, event, SystemTime::now() + Duration::from_secs(60)).await
}

/// A second OAuth context on the same data, as the sweep function would build for itself.
fn clone_context(s: &TestStack) -> authbridge::oauth::OAuthContext {
    let o = &s.stack.oauth;
    authbridge::oauth::OAuthContext::new(
        o.app.clone(),
        o.settings.clone(),
        authbridge::providers::ProviderRegistry::load(
            Some(s.providers_dir()),
            o.http.client().clone(),
        )
        .unwrap(),
        o.http.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweep_refreshes_exactly_the_due_tokens() {
    let (s, fake, client) = setup().await;
    for tag in ["a", "b", "c", "d", "e"] {
        grant(&s, &client, tag).await;
    }
    for tag in ["a", "c", "e"] {
        set(&s, tag, |r| r.due_at = Some(clock::now() - 5)).await;
    }
    let before = fake.issued.load(Ordering::SeqCst);
    let summary = sweep(&s).await;
    assert_eq!(
        (
            summary.read,
            summary.refreshed,
            summary.failed,
            summary.skipped
        ),
        (3, 3, 0, 0)
    );
    assert_eq!(fake.issued.load(Ordering::SeqCst) - before, 3);
    for tag in ["a", "c", "e"] {
        assert!(
            record(&s, tag).await.due_at.unwrap() > clock::now(),
            "{tag} is no longer due"
        );
    }
    let again = sweep(&s).await;
    assert_eq!(again.read, 0, "nothing is due any more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transient_failure_is_backed_off_and_a_success_clears_it() {
    let (s, fake, client) = setup().await;
    grant(&s, &client, "t").await;
    let original = record(&s, "t").await;
    set(&s, "t", |r| r.due_at = Some(clock::now() - 5)).await;

    fake.status.store(503, Ordering::SeqCst);
    let summary = sweep(&s).await;
    assert_eq!((summary.refreshed, summary.failed), (0, 1));
    let failed = record(&s, "t").await;
    assert_eq!(failed.attempts, 1);
    let next = failed.next_attempt_at.expect("a backoff");
    assert!(
        (next - clock::now() - 30).abs() <= 2,
        "backs off 30 s first"
    );
    assert_eq!(failed.due_at, Some(next));
    assert_eq!(
        failed.error.as_ref().unwrap().error,
        "temporarily_unavailable"
    );
    assert_eq!(
        access_token(&s, &failed).await,
        access_token(&s, &original).await,
        "the old token is kept"
    );

    // Due again, but inside the backoff: skipped without calling the provider.
    set(&s, "t", |r| r.due_at = Some(clock::now() - 5)).await;
    let summary = sweep(&s).await;
    assert_eq!((summary.skipped, summary.failed), (1, 0));

    // A caller who needs a token still gets the old one while it is valid...
    set(&s, "t", |r| r.expires = Some(clock::now() + 60)).await;
    let response = stack::http()
        .get(s.url("/tokens/t"))
        .bearer_auth(TEST_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["access_token"], access_token(&s, &original).await);
    // ...and a clear 503 once it has expired.
    set(&s, "t", |r| r.expires = Some(clock::now() - 1)).await;
    let response = stack::http()
        .get(s.url("/tokens/t"))
        .bearer_auth(TEST_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_some());

    // The second failure doubles the wait; then the provider recovers.
    set(&s, "t", |r| {
        r.next_attempt_at = Some(clock::now() - 1);
        r.due_at = Some(clock::now() - 1);
    })
    .await;
    sweep(&s).await;
    let twice = record(&s, "t").await;
    assert_eq!(twice.attempts, 2);
    assert!((twice.next_attempt_at.unwrap() - clock::now() - 60).abs() <= 2);

    fake.status.store(200, Ordering::SeqCst);
    set(&s, "t", |r| {
        r.next_attempt_at = Some(clock::now() - 1);
        r.due_at = Some(clock::now() - 1);
    })
    .await;
    let summary = sweep(&s).await;
    assert_eq!(summary.refreshed, 1);
    let healed = record(&s, "t").await;
    assert_eq!(
        (
            healed.attempts,
            healed.next_attempt_at,
            healed.error.clone()
        ),
        (0, None, None)
    );
    assert_ne!(
        access_token(&s, &healed).await,
        access_token(&s, &original).await
    );
}
