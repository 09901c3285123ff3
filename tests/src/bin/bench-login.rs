//! `bench-login`: login latency over HTTP on a local stack (a local-user hit, and a first login
//! through the WordPress fallback against the stand-in site, which migrates the account), what
//! Argon2id and bcrypt cost on this machine, and what a *refused* login costs by the stored hash
//! it was refused against: an unknown name, a wrong password against Argon2id (migrated), against
//! an imported phpass, WordPress 6.8 `$wp$` bcrypt, bcrypt or MD5 hash (not migrated yet), each as
//! a ratio to the unknown name's (goal: every one within 1.00 ± 0.10). The cases take turns, one
//! refusal each per round, so that all see the same machine. Every refusal spends one Argon2id and
//! one bcrypt verification (the test `every_refusal_costs_one_argon2_and_one_bcrypt_verification`
//! counts them; `authbridge::passwords::refusal`).
//!
//! Then a burst: `--burst N` (default 50) right-password logins at once from one address, over five
//! accounts, under the default throttle limits: the status distribution and p50/p99, on each store
//! and, on DynamoDB, once more through the fault proxy (`authbridge_tests::faults`, about 10 % of
//! the store's calls failing, throttled, stalled or losing their answer; seed
//! `AUTHBRIDGE_TEST_FAULT_SEED`).
//!
//! `cargo run --profile measure -p authbridge-tests --bin bench-login -- [--logins N] [--burst N]`
//! (`-- --refusals-only [--logins N]`: the hash costs and the refusals alone).
//!
//! On the embedded store; with `AUTHBRIDGE_TEST_AWS_ENDPOINT` set (the emulator), on DynamoDB too.
//! The stand-in answers at once from 127.0.0.1, so the fallback figures are authbridge's own cost
//! plus a loopback round trip: add the WordPress site's own time to them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use authbridge::domain::user::PasswordHash;
use authbridge::login::{LoginSettings, ThrottleLimits};
use authbridge::passwords::{Policy, hash_password, verify_dummy, verify_password};
use authbridge::secrets::SecretString;
use authbridge::store::UserStore;
use authbridge::store::dynamo::DynamoStore;
use authbridge_tests::faults::{self, FaultProxy, FaultRates};
use authbridge_tests::login::{self, save_user, user};
use authbridge_tests::wordpress::{Account, WordpressStandIn};
use authbridge_tests::{
    Backend, dynamo_backend, dynamo_backend_at, dynamodb_client, emulator_endpoint, sqlite_backend,
    stack,
};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

/// Median, 95th percentile and mean of some durations.
struct Summary {
    p50: Duration,
    p95: Duration,
    mean: Duration,
}

fn summary(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let n = samples.len().max(1);
    let at = |q: usize| {
        samples
            .get((n * q / 100).min(n - 1))
            .copied()
            .unwrap_or_default()
    };
    Summary {
        p50: at(50),
        p95: at(95),
        mean: samples.iter().sum::<Duration>() / n as u32,
    }
}

fn print(label: &str, samples: Vec<Duration>) {
    let n = samples.len();
    let s = summary(samples);
    println!(
        "{label:<52} {:>8.1} ms {:>8.1} ms {:>8.1} ms  (n={n})",
        s.p50.as_secs_f64() * 1e3,
        s.p95.as_secs_f64() * 1e3,
        s.mean.as_secs_f64() * 1e3,
    );
}

fn time<T>(work: impl FnOnce() -> T) -> Duration {
    let started = Instant::now();
    let _ = work();
    started.elapsed()
}

fn argon2_costs(runs: usize) {
    let password = SecretString::from(PASSWORD);
    let hash = hash_password(&password).expect("hashing");
    print(
        &format!("Argon2id hash ({})", Policy::CURRENT),
        (0..runs)
            .map(|_| time(|| hash_password(&password)))
            .collect(),
    );
    print(
        "Argon2id verify",
        (0..runs)
            .map(|_| time(|| verify_password(&password, &hash)))
            .collect(),
    );
    print(
        "Argon2id dummy verify",
        (0..runs)
            .map(|_| time(|| verify_dummy(&password)))
            .collect(),
    );
    let bcrypt = PasswordHash(LEGACY[2].1.to_string());
    print(
        "bcrypt verify (cost 10)",
        (0..runs)
            .map(|_| time(|| verify_password(&password, &bcrypt)))
            .collect(),
    );
}

async fn logins(name: &str, backend: Backend, count: usize) {
    let accounts = (0..count)
        .map(|i| {
            Account::new(
                10_000 + i as u64,
                &format!("reader{i}"),
                &format!("reader{i}@example.org"),
                PASSWORD,
            )
        })
        .collect();
    let site = WordpressStandIn::start(accounts).await;
    let settings = LoginSettings {
        throttle: ThrottleLimits {
            per_account: u32::MAX,
            per_address: u32::MAX,
            ..ThrottleLimits::default()
        },
        ..LoginSettings::default()
    };
    let stack = login::start(backend, Some(&site), settings).await;
    let hash = hash_password(&SecretString::from(PASSWORD)).expect("hashing");
    save_user(&stack, user("local@example.org", Some(&hash.0)), None).await;

    let warm = login::login(
        &stack,
        json!({"email": "local@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(warm.status, 200, "{warm:?}");
    let mut local = Vec::with_capacity(count);
    for _ in 0..count {
        let answer = login::login(
            &stack,
            json!({"email": "local@example.org", "password": PASSWORD}),
        )
        .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        local.push(answer.elapsed);
    }
    print(&format!("{name}: local user"), local);

    let mut fallback = Vec::with_capacity(count);
    for i in 0..count {
        let answer = login::login(
            &stack,
            json!({"email": format!("reader{i}@example.org"), "password": PASSWORD}),
        )
        .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        fallback.push(answer.elapsed);
    }
    assert_eq!(site.calls(), count);
    print(
        &format!("{name}: WordPress fallback, first login"),
        fallback,
    );
}

/// Hashes of the bench's password made by PHP and WordPress (as in the login tests), at
/// WordPress's default costs.
const LEGACY: [(&str, &str); 4] = [
    ("phpass", "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0"),
    (
        "$wp$ bcrypt",
        "$wp$2y$10$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ83WKNTcRetPdj2JUGUBS",
    ),
    (
        "bcrypt",
        "$2y$10$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq",
    ),
    ("MD5", "9cc2ae8a1ba7a93da39b46fc1019c481"),
];

/// Refused logins by the hash they were refused against, taking turns, `count` of each: p50, p95
/// and mean, and each p50 and mean as a ratio to the unknown name's.
async fn refusals(name: &str, backend: Backend, count: usize) {
    let settings = LoginSettings {
        throttle: ThrottleLimits {
            per_account: u32::MAX,
            per_address: u32::MAX,
            ..ThrottleLimits::default()
        },
        ..LoginSettings::default()
    };
    let stack = login::start(backend, None, settings).await;
    let hash = hash_password(&SecretString::from(PASSWORD)).expect("hashing");
    save_user(&stack, user("migrated@example.org", Some(&hash.0)), None).await;
    let mut cases = vec![
        ("unknown name".to_string(), "nobody@example.org".to_string()),
        (
            "Argon2id (migrated)".to_string(),
            "migrated@example.org".to_string(),
        ),
    ];
    for (i, (format, legacy)) in LEGACY.into_iter().enumerate() {
        let email = format!("legacy{i}@example.org");
        save_user(&stack, user(&email, Some(legacy)), None).await;
        cases.push((format!("{format} (not migrated)"), email));
    }
    let client = stack::http();
    let mut samples = vec![Vec::with_capacity(count); cases.len()];
    for round in 0..=count {
        for (case, (_, email)) in cases.iter().enumerate() {
            let answer = login::login_with(
                &client,
                &stack,
                json!({"email": email, "password": format!("wrong {round}")}),
            )
            .await;
            assert_eq!(answer.status, 401, "{answer:?}");
            // The first round warms the connection and the Argon2 worker up.
            if round > 0 {
                samples[case].push(answer.elapsed);
            }
        }
    }
    let summaries: Vec<Summary> = samples.into_iter().map(summary).collect();
    let (unknown_p50, unknown_mean) = (summaries[0].p50, summaries[0].mean);
    println!();
    println!(
        "{name}: refused logins, {count} of each, taking turns {:>14} {:>11} {:>11}   p50 and mean / unknown name's",
        "p50", "p95", "mean"
    );
    for ((label, _), s) in cases.iter().zip(&summaries) {
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
        println!(
            "  refused, {label:<41} {:>8.1} ms {:>8.1} ms {:>8.1} ms   {:>5.2}  {:>5.2}",
            s.p50.as_secs_f64() * 1e3,
            s.p95.as_secs_f64() * 1e3,
            s.mean.as_secs_f64() * 1e3,
            ratio(s.p50, unknown_p50),
            ratio(s.mean, unknown_mean),
        );
    }
}

/// `size` right-password logins at once from one address, over five accounts written to `users`
/// (the stack's own store, or the emulator behind the fault proxy), under the default throttle
/// limits: how many answered what, and p50/p99 of all.
async fn burst(name: &str, backend: Backend, users: Option<&dyn UserStore>, size: usize) {
    let stack = login::start(backend, None, LoginSettings::default()).await;
    let hash = hash_password(&SecretString::from(PASSWORD)).expect("hashing");
    let emails: Vec<String> = (0..5).map(|i| format!("burst{i}@example.org")).collect();
    for email in &emails {
        let account = user(email, Some(&hash.0));
        match users {
            Some(users) => users
                .create_user(&account, None)
                .await
                .expect("creating a user"),
            None => {
                save_user(&stack, account, None).await;
            }
        }
    }
    let started = Instant::now();
    let answers = futures::future::join_all((0..size).map(|i| {
        login::login(
            &stack,
            json!({"email": emails[i % emails.len()], "password": PASSWORD}),
        )
    }))
    .await;
    let wall = started.elapsed();
    let mut statuses = BTreeMap::new();
    for answer in &answers {
        *statuses.entry(answer.status).or_insert(0usize) += 1;
    }
    let mut samples: Vec<Duration> = answers.iter().map(|a| a.elapsed).collect();
    samples.sort();
    let at = |q: usize| samples[(samples.len() * q / 100).min(samples.len() - 1)];
    let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    println!(
        "{name:<50} {:<18} p50 {:>7.1} ms  p99 {:>7.1} ms  wall {:>7.1} ms",
        statuses.join(", "),
        at(50).as_secs_f64() * 1e3,
        at(99).as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e3,
    );
}

/// The bursts: on the embedded store, and with the emulator on DynamoDB without and with faults.
async fn bursts(size: usize) {
    println!();
    println!("Burst of {size} right-password logins at once from one address (5 accounts)");
    burst("SQLite", sqlite_backend(), None, size).await;
    let Some(emulator) = emulator_endpoint() else {
        return;
    };
    if let Some(backend) = dynamo_backend().await {
        burst("DynamoDB (emulator)", backend, None, size).await;
    }
    let seed = faults::seed();
    let proxy = FaultProxy::start(&emulator, FaultRates::TEN_PERCENT, seed).await;
    let backend = dynamo_backend_at(&proxy.endpoint).await;
    let clean = DynamoStore::new(
        dynamodb_client(&emulator),
        backend.dynamo().expect("a DynamoDB backend").table(),
    );
    burst(
        &format!("DynamoDB (emulator), 10 % faults, seed {seed}"),
        backend,
        Some(&clean),
        size,
    )
    .await;
    println!("  faults injected: {:?}", proxy.injected());
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
    let count = number_arg("--logins", 50);
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    println!("authbridge login benchmark, {cpus} CPUs, sequential requests over HTTP on 127.0.0.1");
    println!("{:<52} {:>11} {:>11} {:>11}", "", "p50", "p95", "mean");
    argon2_costs(20);
    if std::env::args().any(|a| a == "--refusals-only") {
        refusals("SQLite", sqlite_backend(), count).await;
        return;
    }
    logins("SQLite", sqlite_backend(), count).await;
    refusals("SQLite", sqlite_backend(), count).await;
    if std::env::var("AUTHBRIDGE_TEST_AWS_ENDPOINT").is_ok_and(|v| !v.is_empty())
        && let Some(backend) = dynamo_backend().await
    {
        logins("DynamoDB (emulator)", backend, count).await;
    }
    bursts(number_arg("--burst", 50).max(1)).await;
}
