//! `bench-round-trips`: per operation (a refused login, of an unknown name and of a local user's
//! wrong password; a successful login; a token read; a token read that refreshes, with the record
//! read first and of a token the process knows is due; sync-user of a
//! new user and of the same payload again), on each store, the store calls one request makes, their
//! sequential depth (the round trips, counted by the interceptor on the DynamoDB client: calls in
//! flight together count once; `authbridge_tests::round_trips`) and its latency over HTTP on a
//! local stack (p50 and p95 of sequential requests). The embedded store makes no network calls:
//! its calls are not counted. The counts are exact; the latencies are this machine's, with the
//! emulator in place of DynamoDB (each wave is a loopback request to it, where DynamoDB in region
//! takes a few milliseconds), and the logins' include their password verification.
//!
//! `cargo run --profile measure -p authbridge-tests --bin bench-round-trips -- [--requests N]`
//! (default 30). On the embedded store; with `AUTHBRIDGE_TEST_AWS_ENDPOINT` set (the emulator), on
//! DynamoDB too. The token reads need Node.js and `infra/oidc-server/node_modules` (a test
//! authorization server is started: `authbridge_tests::oidc_instances`).

use std::time::{Duration, Instant};

use authbridge::clock;
use authbridge::login::{LoginSettings, ThrottleLimits};
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge_tests::login::{self, save_linked, user};
use authbridge_tests::oidc_instances::issuer_with_lifetime;
use authbridge_tests::round_trips::Tally;
use authbridge_tests::stack::{self, StackOptions, TestStack};
use authbridge_tests::tokens::{self, connect, get_token, record};
use authbridge_tests::{Backend, dynamo_backend, sqlite_backend};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

/// One operation's figures on one store.
struct Figures {
    /// The last request's store calls (every request of an operation makes the same ones).
    tally: Option<Tally>,
    latencies: Vec<Duration>,
}

impl Figures {
    fn new() -> Self {
        Figures {
            tally: None,
            latencies: Vec::new(),
        }
    }

    fn add(&mut self, tally: Tally, elapsed: Duration) {
        self.tally = Some(tally);
        self.latencies.push(elapsed);
    }
}

fn quantile(sorted: &[Duration], q: usize) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n => sorted[(n * q / 100).min(n - 1)],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// One line of the table: the operation, the store, calls and waves (DynamoDB only), p50, p95.
fn row(operation: &str, store: &str, dynamo: bool, mut figures: Figures) {
    figures.latencies.sort();
    let (calls, waves, which) = match (&figures.tally, dynamo) {
        (Some(tally), true) => (
            tally.calls.len().to_string(),
            tally.depth.to_string(),
            tally.calls.join(", "),
        ),
        _ => ("-".into(), "-".into(), "embedded: no round trips".into()),
    };
    println!(
        "| {operation} | {store} | {calls} | {waves} | {} | {} | {} | {which} |",
        ms(quantile(&figures.latencies, 50)),
        ms(quantile(&figures.latencies, 95)),
        figures.latencies.len(),
    );
}

/// Runs `request` `n` times after one warm-up, each counted and timed on its own.
async fn measure<F, Fut>(s: &TestStack, n: usize, mut request: F) -> Figures
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    request(0).await;
    let mut figures = Figures::new();
    for i in 1..=n {
        s.backend.calls.reset();
        let started = Instant::now();
        request(i).await;
        let elapsed = started.elapsed();
        figures.add(s.backend.calls.take(), elapsed);
    }
    figures
}

/// The logins: a stack with one local user, `ada@example.org`, no throttle limits in reach.
async fn logins(store: &str, backend: Backend, n: usize) {
    let dynamo = backend.dynamo().is_some();
    let settings = LoginSettings {
        throttle: ThrottleLimits {
            per_account: u32::MAX,
            per_address: u32::MAX,
            ..ThrottleLimits::default()
        },
        ..LoginSettings::default()
    };
    let s = login::start(backend, None, settings).await;
    let hash = hash_password(&SecretString::from(PASSWORD)).expect("a hash");
    save_linked(&s, user("ada@example.org", Some(&hash.0)), Some((7, "ada"))).await;
    let client = stack::http();
    for (operation, name, password, status) in [
        (
            "refused login, unknown name",
            "nobody@example.org",
            "wrong",
            401,
        ),
        (
            "refused login, local user's wrong password",
            "ada@example.org",
            "wrong",
            401,
        ),
        ("successful login", "ada@example.org", PASSWORD, 200),
    ] {
        let client = &client;
        let s = &s;
        let figures = measure(s, n, |_| async move {
            let answer =
                login::login_with(client, s, json!({"username": name, "password": password})).await;
            assert_eq!(answer.status, status, "{operation}: {answer:?}");
        })
        .await;
        row(operation, store, dynamo, figures);
    }
}

/// The token reads: one connected record, read as it is, then made due before each read.
async fn token_reads(store: &str, backend: Backend, n: usize) {
    let dynamo = backend.dynamo().is_some();
    let Some(issuer) = issuer_with_lifetime(3600) else {
        println!("| token reads | {store} | skipped: no test authorization server |");
        return;
    };
    let (s, proxy) = tokens::stack_on(backend, &issuer).await;
    connect(&s, "bench:read").await;
    let s = &s;
    let figures = measure(s, n, |_| async move {
        let (status, _, body) = get_token(s, "bench:read").await;
        assert_eq!(status, 200, "{body}");
    })
    .await;
    row("token read", store, dynamo, figures);

    // Each read finds the record expired and refreshes it; the aging is not counted.
    let mut figures = Figures::new();
    let before = proxy.refreshes();
    for i in 0..=n {
        let mut r = record(s, "bench:read").await;
        r.expires = Some(clock::now() - 10);
        r.due_at = Some(clock::now() - 310);
        s.stack
            .app
            .stores
            .tokens
            .update_token(&r)
            .await
            .expect("aging the record");
        s.backend.calls.reset();
        let started = Instant::now();
        let (status, _, body) = get_token(s, "bench:read").await;
        let elapsed = started.elapsed();
        let tally = s.backend.calls.take();
        assert_eq!(status, 200, "{body}");
        if i > 0 {
            figures.add(tally, elapsed);
        }
    }
    assert_eq!(proxy.refreshes() - before, n + 1, "every read refreshed");
    row(
        "token read that refreshes, record read first (+ the provider)",
        store,
        dynamo,
        figures,
    );

    // Each read is of a token the process served just before and knows is due by now: it takes
    // the lease without reading the record. Each waits about 2 s for the token to fall due (not
    // counted), so this row takes fewer requests.
    let mut figures = Figures::new();
    let before = proxy.refreshes();
    let known_due = n.clamp(1, 8);
    for _ in 0..known_due {
        let (_, due) = tokens::falling_due(s, "bench:read", 1).await;
        let (status, _, body) = get_token(s, "bench:read").await;
        assert_eq!(status, 200, "{body}");
        tokens::until(due).await;
        s.backend.calls.reset();
        let started = Instant::now();
        let (status, _, body) = get_token(s, "bench:read").await;
        let elapsed = started.elapsed();
        let tally = s.backend.calls.take();
        assert_eq!(status, 200, "{body}");
        figures.add(tally, elapsed);
    }
    assert_eq!(
        proxy.refreshes() - before,
        known_due,
        "every read of a token known due refreshed"
    );
    row(
        "token read that refreshes, known due (+ the provider)",
        store,
        dynamo,
        figures,
    );
}

/// `POST /api/v1/wordpress/sync-user` of WordPress user `id` with `email`.
async fn sync_user(s: &TestStack, id: u64, email: &str) {
    assert_eq!(authbridge_tests::sync_user::post(s, id, email).await, 200);
}

/// sync-user: a new user each time, then one user's same payload again.
async fn syncs(store: &str, backend: Backend, n: usize) {
    let dynamo = backend.dynamo().is_some();
    let s = stack::start(backend, StackOptions::default()).await;
    let s = &s;
    let figures = measure(s, n, |i| async move {
        sync_user(s, 1000 + i as u64, &format!("reader{i}@example.org")).await;
    })
    .await;
    row("sync-user, a new user", store, dynamo, figures);
    let figures = measure(s, n, |_| async move {
        sync_user(s, 1000, "reader0@example.org").await;
    })
    .await;
    row("sync-user, the same payload again", store, dynamo, figures);
}

/// The number after `flag`, else `default`.
fn number_arg(flag: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let n = number_arg("--requests", 30).max(1);
    println!();
    println!(
        "### Round trips per operation: store calls, sequential waves, latency over HTTP ({n} sequential requests each)"
    );
    println!();
    println!(
        "| operation | store | calls | waves | p50 | p95 | n | the calls, in the order they began |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|---|");
    logins("SQLite", sqlite_backend(), n).await;
    if let Some(backend) = dynamo_backend().await {
        logins("DynamoDB (emulator)", backend, n).await;
    }
    token_reads("SQLite", sqlite_backend(), n).await;
    if let Some(backend) = dynamo_backend().await {
        token_reads("DynamoDB (emulator)", backend, n).await;
    }
    syncs("SQLite", sqlite_backend(), n).await;
    if let Some(backend) = dynamo_backend().await {
        syncs("DynamoDB (emulator)", backend, n).await;
    }
}
