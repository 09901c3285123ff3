//! The plugin's side of sync-user on the real WordPress of the test command, against a recorder
//! standing in for authbridge: what it posts when a user registers or changes (the seed's body,
//! once per change, with the API token), that an authbridge that is down or hangs never fails or
//! holds up WordPress, the WP-Cron retries (which answers are retried, the backoff, the bound),
//! the bulk sync and the export for `authbridge users import`.
//!
//! The same flows against the real authbridge are in `wordpress_e2e.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use authbridge_tests::wordpress_site::{PhpRun, WordPress, wordpress};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use url::Url;

const API_TOKEN: &str = "sync-api-token-3b9f1e7c5a2d4f6e8a0c";
const PASSWORD: &str = "correct horse battery staple";

/// What the plugin posted.
#[derive(Debug, Clone)]
struct Posted {
    method: Method,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Value,
}

#[derive(Default)]
struct Recorded {
    posts: Mutex<Vec<Posted>>,
    /// Answers by e-mail address; 200 for anyone else.
    answers: Mutex<HashMap<String, (u16, Value)>>,
}

/// A stand-in for authbridge's sync-user that records every post.
struct Recorder {
    base: Url,
    state: Arc<Recorded>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Recorder {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let state = Arc::new(Recorded::default());
        let app = axum::Router::new()
            .route("/api/v1/wordpress/sync-user", axum::routing::any(sync_user))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Recorder {
            base,
            state,
            server,
        }
    }

    fn answer(&self, email: &str, status: u16, body: Value) {
        self.state
            .answers
            .lock()
            .unwrap()
            .insert(email.to_string(), (status, body));
    }

    fn posts_for(&self, wordpress_id: u64) -> Vec<Posted> {
        self.state
            .posts
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.body["wordpress_id"].as_u64() == Some(wordpress_id))
            .cloned()
            .collect()
    }
}

async fn sync_user(
    State(state): State<Arc<Recorded>>,
    method: Method,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    state.posts.lock().unwrap().push(Posted {
        method,
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: body.clone(),
    });
    let email = body["email"].as_str().unwrap_or_default();
    let (status, answer) = state
        .answers
        .lock()
        .unwrap()
        .get(email)
        .cloned()
        .unwrap_or_else(|| {
            (
                200,
                json!({"user_id": "u1", "wordpress_id": body["wordpress_id"], "email": email}),
            )
        });
    (StatusCode::from_u16(status).unwrap(), axum::Json(answer))
}

/// The test site, posting to `base`.
fn site(base: &Url) -> Option<WordPress> {
    let mut wp = wordpress()?;
    wp.set_authbridge(base, API_TOKEN);
    Some(wp)
}

/// A URL where nothing listens.
async fn closed_port() -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    url
}

/// A fresh subscriber: (ID, login, e-mail, the registration's PHP run).
async fn register(wp: &WordPress, prefix: &str) -> (u64, String, String, PhpRun) {
    let login = WordPress::unique_login(prefix);
    let email = format!("{login}@example.org");
    let run = wp
        .wp_test(
            "create-user",
            json!({"login": login, "email": email, "password": PASSWORD,
                   "first_name": "Grace", "last_name": "Hopper"}),
        )
        .await;
    let id = run.json()["id"].as_u64().expect("the new user's ID");
    (id, login, email, run)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn assert_no_token(run: &PhpRun) {
    assert!(
        !run.stderr.contains(API_TOKEN) && !run.stdout.contains(API_TOKEN),
        "the API token was printed: {run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_and_an_email_change_are_each_posted_once_with_the_seed_body() {
    let _site = WordPress::shared().await;
    let recorder = Recorder::start().await;
    let Some(wp) = site(&recorder.base) else {
        return;
    };
    let (id, login, email, run) = register(&wp, "sync").await;
    assert_no_token(&run);
    assert_eq!(run.stderr, "", "nothing to log");

    let posts = recorder.posts_for(id);
    assert_eq!(posts.len(), 1, "{posts:?}");
    let posted = &posts[0];
    assert_eq!(posted.method, Method::POST);
    assert_eq!(
        posted.authorization.as_deref(),
        Some(format!("Bearer {API_TOKEN}").as_str())
    );
    assert_eq!(posted.content_type.as_deref(), Some("application/json"));
    let registered_at = posted.body["registered_at"].as_str().unwrap_or_default();
    assert!(
        registered_at.len() == 25
            && registered_at.ends_with("+00:00")
            && &registered_at[10..11] == "T",
        "RFC 3339 in UTC: {registered_at}"
    );
    // The optional fields that are empty (user_url) are left out.
    assert_eq!(
        posted.body,
        json!({
            "wordpress_id": id,
            "email": email,
            "registered_at": registered_at,
            "user_login": login,
            "user_nicename": login,
            "display_name": "Grace Hopper",
            "first_name": "Grace",
            "last_name": "Hopper",
        })
    );

    let new_email = format!("new-{email}");
    let run = wp.update_user_email(id, &new_email).await;
    assert_no_token(&run);
    let posts = recorder.posts_for(id);
    assert_eq!(posts.len(), 2, "one post for the change: {posts:?}");
    assert_eq!(posts[1].body["email"], json!(new_email));
    assert_eq!(posts[1].body["registered_at"], json!(registered_at));
    assert_eq!(wp.pending_retry(id).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authbridge_down_neither_fails_nor_holds_up_a_registration_and_a_retry_is_queued() {
    let _site = WordPress::shared().await;
    let Some(wp) = site(&closed_port().await) else {
        return;
    };
    let (id, _, _, run) = register(&wp, "down").await;
    // Not held up: the refused connection is the reason (cURL error 7), not a timeout (28).
    assert!(run.stderr.contains("cURL error 7:"), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "authbridge: user {id} not synced: authbridge unreachable"
        )),
        "{run:?}"
    );
    assert_no_token(&run);

    let retry = wp.pending_retry(id).await.expect("a retry");
    assert_eq!(retry.failures, 1);
    let delay = retry.at - now();
    assert!(
        (50..=61).contains(&delay),
        "first retry after a minute: {delay}"
    );
    let event = retry.event_at.expect("the WP-Cron event is scheduled");
    assert!(event <= retry.at, "{retry:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_authbridge_holds_up_a_registration_by_the_timeout_only() {
    let _site = WordPress::shared().await;
    // Connections are accepted (by the kernel) and never answered.
    let hanging = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", hanging.local_addr().unwrap())).unwrap();
    let Some(wp) = site(&url) else { return };
    let (id, _, _, run) = register(&wp, "hang").await;
    // Held up by the plugin's 3 s timeout, as cURL itself reports it ("Operation timed out after
    // 3001 milliseconds"), and no longer: the post gave up and the registration went on.
    let waited: u64 = run
        .stderr
        .split("timed out after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("a cURL timeout in {run:?}"));
    assert!(
        (3000..6000).contains(&waited),
        "the plugin's timeout is 3 s: {waited} ms"
    );
    assert_eq!(wp.pending_retry(id).await.map(|r| r.failures), Some(1));
    drop(hanging);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_back_off_stop_after_ten_attempts_and_end_on_success() {
    let _site = WordPress::shared().await;
    let Some(mut wp) = site(&closed_port().await) else {
        return;
    };
    let (id, _, _, _) = register(&wp, "retry").await;
    for failures in 2..=9u32 {
        let run = wp.run_cron(&[id]).await;
        assert_eq!(run.json()["ran"], 1, "{run:?}");
        let retry = wp.pending_retry(id).await.expect("a retry");
        assert_eq!(retry.failures, failures);
        assert!(retry.event_at.is_some_and(|at| at <= retry.at), "{retry:?}");
        let expected = 60 * 2i64.pow(failures - 1);
        let delay = retry.at - now();
        assert!(
            (expected - 10..=expected + 1).contains(&delay),
            "retry {failures}: {delay} s, not about {expected}"
        );
    }
    let run = wp.run_cron(&[id]).await;
    assert!(
        run.stderr
            .contains(&format!("user {id}: giving up after 10 attempts")),
        "{run:?}"
    );
    assert_eq!(wp.pending_retry(id).await, None);

    // Another user queued while authbridge was down goes through once it is back.
    let (other, _, _, _) = register(&wp, "retry").await;
    assert!(wp.pending_retry(other).await.is_some());
    let recorder = Recorder::start().await;
    wp.set_authbridge(&recorder.base, API_TOKEN);
    let run = wp.run_cron(&[other]).await;
    assert_eq!(run.json()["ran"], 1);
    assert_eq!(recorder.posts_for(other).len(), 1);
    assert_eq!(wp.pending_retry(other).await, None);
    assert!(
        recorder.posts_for(id).is_empty(),
        "the given-up user stays given up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_logged_not_retried_while_5xx_and_429_are_retried() {
    let _site = WordPress::shared().await;
    let recorder = Recorder::start().await;
    let Some(wp) = site(&recorder.base) else {
        return;
    };
    let conflict = "User with following email already exists, cannot synchronize";
    let cases = [
        (
            409,
            json!({"status": "error", "message": conflict, "code": "email_conflict"}),
            false,
        ),
        (
            400,
            json!({"status": "error", "message": "Payload error", "errors": [{"email": "not an e-mail address"}]}),
            false,
        ),
        (
            403,
            json!({"status": "error", "message": "Not authorized: unknown token", "error": "no_authorization"}),
            false,
        ),
        (500, json!({"message": "Internal Server Error"}), true),
        (503, json!({"message": "Service Unavailable"}), true),
        (429, json!({"error": "too_many_requests"}), true),
    ];
    for (status, body, retried) in cases {
        let login = WordPress::unique_login("refused");
        let email = format!("{login}@example.org");
        recorder.answer(&email, status, body.clone());
        let run = wp
            .wp_test(
                "create-user",
                json!({"login": login, "email": email, "password": PASSWORD,
                       "first_name": "", "last_name": ""}),
            )
            .await;
        let id = run.json()["id"].as_u64().unwrap();
        assert_eq!(recorder.posts_for(id).len(), 1);
        assert!(
            run.stderr
                .contains(&format!("user {id} not synced: HTTP {status}")),
            "{run:?}"
        );
        if let Some(message) = body["message"].as_str() {
            assert!(run.stderr.contains(message), "{run:?}");
        }
        assert_no_token(&run);
        assert_eq!(
            wp.pending_retry(id).await.is_some(),
            retried,
            "HTTP {status}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_all_posts_every_user_and_sums_up() {
    let _site = WordPress::exclusive().await;
    let Some(mut wp) = site(&closed_port().await) else {
        return;
    };
    let (first, _, _, _) = register(&wp, "bulk").await;
    let (second, _, _, _) = register(&wp, "bulk").await;
    let (conflicting, _, conflict_email, _) = register(&wp, "bulk").await;
    assert!(wp.pending_retry(first).await.is_some());

    let recorder = Recorder::start().await;
    recorder.answer(
        &conflict_email,
        409,
        json!({"status": "error", "message": format!("User with following email already exists, cannot synchronize: {conflict_email}"), "code": "email_conflict"}),
    );
    wp.set_authbridge(&recorder.base, API_TOKEN);
    let run = wp.sync_all().await;
    assert!(!run.success, "a conflict makes the exit status 1: {run:?}");
    assert_no_token(&run);
    let summary = run.stdout.lines().last().unwrap_or_default();
    let counts: Vec<u64> = summary
        .split(", ")
        .map(|part| part.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        summary.starts_with("synced ") && counts.len() == 3,
        "{run:?}"
    );
    assert!(counts[0] >= 3, "admin and at least two users: {summary}");
    assert_eq!(&counts[1..], &[1, 0], "{summary}");
    assert!(
        run.stdout.contains(&format!(
            "user {conflicting}: conflict: HTTP 409: User with following email already exists"
        )),
        "{run:?}"
    );
    for id in [1, first, second, conflicting] {
        assert_eq!(recorder.posts_for(id).len(), 1, "user {id}");
    }
    // Synced (or refused) users need no retry any more.
    for id in [first, second, conflicting] {
        assert_eq!(wp.pending_retry(id).await, None, "user {id}");
    }

    // Without AUTHBRIDGE_URL it says so and posts nothing.
    let unconfigured = wordpress().expect("the site").sync_all().await;
    assert_eq!(unconfigured.stdout, "");
    assert!(
        unconfigured
            .stderr
            .contains("define AUTHBRIDGE_URL and AUTHBRIDGE_API_TOKEN"),
        "{unconfigured:?}"
    );
    assert!(!unconfigured.success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_has_every_user_with_its_password_hash() {
    let recorder = Recorder::start().await;
    let Some(wp) = site(&recorder.base) else {
        return;
    };
    let (id, login, email, _) = register(&wp, "export").await;
    let export = wp.export_users().await;
    let lines: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["ID"] == 1), "the admin is exported");
    let line = lines
        .iter()
        .find(|l| l["ID"] == id)
        .unwrap_or_else(|| panic!("user {id} not in the export"));
    let hash = line["user_pass"].as_str().unwrap_or_default();
    assert!(
        hash.starts_with("$P$B") && hash.len() == 34,
        "phpass: {hash}"
    );
    let registered = line["user_registered"].as_str().unwrap_or_default();
    assert_eq!(
        registered,
        recorder.posts_for(id)[0].body["registered_at"]
            .as_str()
            .unwrap()
            .replace('T', " ")
            .trim_end_matches("+00:00"),
        "as stored: UTC, Y-m-d H:i:s"
    );
    assert_eq!(
        *line,
        json!({
            "ID": id,
            "user_login": login,
            "user_email": email,
            "user_pass": hash,
            "user_nicename": login,
            "user_url": "",
            "user_registered": registered,
            "display_name": "Grace Hopper",
            "first_name": "Grace",
            "last_name": "Hopper",
        })
    );
}
