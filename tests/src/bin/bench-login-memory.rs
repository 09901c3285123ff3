//! `bench-login-memory`: what logins cost in memory and time beyond the Argon2id verification.
//!
//! Per backend (the embedded store; with `AUTHBRIDGE_TEST_AWS_ENDPOINT` set, the DynamoDB
//! emulator too), in a process of its own (the bench runs itself once for each, so that one's
//! memory does not count in the other's), on a local stack served over HTTP on 127.0.0.1:
//! - peak RSS after `--logins` (200) sequential right-password logins of local users;
//! - peak RSS during a burst of `--burst` (100) concurrent logins, RSS once it is over and 6 s
//!   later (when the Argon2 workers beyond the first have ended);
//! - the p50 of a sequential login beside the p50 of the bare Argon2id verification, each login
//!   followed by one verification, with the ratio and the p50 of the paired differences;
//! - the p50 of one bare store read after each pair, and that difference in such reads (on the
//!   emulator a login's extra time is its store round trips, at the emulator's speed).
//!
//! Peak RSS is the kernel's `VmHWM`, reset before each phase (`/proc/self/clear_refs`, Linux).
//!
//! `cargo run --profile measure -p authbridge-tests --bin bench-login-memory -- [--logins N] [--burst N]`

use std::time::{Duration, Instant};

use authbridge::domain::UserId;
use authbridge::domain::user::PasswordHash;
use authbridge::login::{LoginSettings, ThrottleLimits};
use authbridge::passwords::{argon2_concurrency, hash_password, verify_password};
use authbridge::secrets::SecretString;
use authbridge_tests::login::{self, save_user, user};
use authbridge_tests::stack::TestStack;
use authbridge_tests::{Backend, dynamo_backend, sqlite_backend};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

/// A field of `/proc/self/status` in MiB (`VmRSS`, `VmHWM`).
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Resets the peak RSS to the current RSS, so that the next `VmHWM` is the next phase's peak.
fn reset_peak() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak RSS ({e}): peaks include the earlier phases");
    }
}

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A stack with `users` local users (`user{i}@example.org`, their ids in that order) and no
/// throttling in the way.
async fn stack_with_users(backend: Backend, users: usize) -> (TestStack, Vec<UserId>) {
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
    let mut ids = Vec::with_capacity(users);
    for i in 0..users {
        let saved = save_user(
            &stack,
            user(&format!("user{i}@example.org"), Some(&hash.0)),
            None,
        )
        .await;
        ids.push(saved.id);
    }
    (stack, ids)
}

async fn login_as(client: &reqwest::Client, stack: &TestStack, i: usize) -> login::Answer {
    login::login_with(
        client,
        stack,
        json!({"email": format!("user{i}@example.org"), "password": PASSWORD}),
    )
    .await
}

/// A login of the burst: its status, or `None` when the client gave up waiting.
async fn burst_login(stack: &TestStack, i: usize) -> Option<u16> {
    authbridge_tests::stack::http()
        .post(stack.url("/auth/login"))
        .json(&json!({"email": format!("user{i}@example.org"), "password": PASSWORD}))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

/// One bare verification of `password` against `hash`, as a login performs it, timed.
fn bare_verification(password: &SecretString, hash: &PasswordHash) -> Duration {
    let started = Instant::now();
    let valid = verify_password(password, hash).is_ok_and(|v| v.is_valid());
    assert!(valid, "the bench's own hash must verify");
    started.elapsed()
}

/// One read of a user by id straight from the stack's store (one `GetItem` on DynamoDB), timed:
/// the unit a login's store calls are counted in.
async fn bare_store_read(stack: &TestStack, id: &UserId) -> Duration {
    let started = Instant::now();
    let found = stack.backend.stores.users.get_user(id).await;
    assert!(
        matches!(found, Ok(Some(_))),
        "the bench's own user must be found"
    );
    started.elapsed()
}

async fn run(name: &str, backend: Backend, logins: usize, burst: usize) {
    let at_start = status_mib("VmRSS");
    let backend_is_emulated = backend.dynamo().is_some();
    let (stack, ids) = stack_with_users(backend, burst.max(1)).await;
    // One client for the sequential logins, so each reuses the connection (as a service calling
    // authbridge does) and none pays for a new client and a TCP handshake.
    let client = authbridge_tests::stack::http();
    let warm = login_as(&client, &stack, 0).await;
    assert_eq!(warm.status, 200, "{warm:?}");
    let idle = status_mib("VmRSS");

    // Each login is followed by one bare verification and one bare store read, so that all see the
    // same machine: on a shared machine the verification's own time drifts by more than the 2 ms
    // being measured.
    let password = SecretString::from(PASSWORD);
    let hash = hash_password(&password).expect("hashing");
    reset_peak();
    let (mut samples, mut bare, mut reads, mut extra) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..logins {
        let user = i % ids.len();
        let answer = login_as(&client, &stack, user).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let verification = bare_verification(&password, &hash);
        reads.push(bare_store_read(&stack, &ids[user]).await);
        samples.push(answer.elapsed);
        bare.push(verification);
        extra.push(ms(answer.elapsed) - ms(verification));
    }
    let sequential_peak = status_mib("VmHWM");
    let login_p50 = p50(samples);
    let bare_p50 = p50(bare);
    let read_p50 = p50(reads);
    extra.sort_by(f64::total_cmp);
    let extra_p50 = extra.get(extra.len() / 2).copied().unwrap_or(f64::NAN);

    reset_peak();
    let before_burst = status_mib("VmRSS");
    let started = Instant::now();
    let answers = futures::future::join_all((0..burst).map(|i| burst_login(&stack, i))).await;
    let burst_wall = started.elapsed();
    let burst_peak = status_mib("VmHWM");
    let after_burst = status_mib("VmRSS");
    // The Argon2 workers beyond the first end after 5 s idle and free their blocks.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let settled = status_mib("VmRSS");
    let mut statuses = std::collections::BTreeMap::<Option<u16>, usize>::new();
    for answer in &answers {
        *statuses.entry(*answer).or_default() += 1;
    }
    let statuses: Vec<String> = statuses
        .iter()
        .map(|(s, n)| match s {
            Some(s) => format!("{n} x {s}"),
            None => format!("{n} x no answer (client timeout)"),
        })
        .collect();

    println!("{name}");
    println!("  RSS at start (before the stack)             {at_start:>8.1} MiB");
    println!("  RSS idle (after one login)                  {idle:>8.1} MiB");
    println!(
        "  peak RSS over {logins} sequential logins        {sequential_peak:>8.1} MiB  (goal <= 64 MB)"
    );
    println!(
        "  peak RSS in a burst of {burst} concurrent logins {burst_peak:>8.1} MiB  (before {before_burst:.1}, after {after_burst:.1}, 6 s later {settled:.1} MiB; {} in {:.0} ms)",
        statuses.join(", "),
        ms(burst_wall)
    );
    // On the emulator a store call is a few ms of a Python server's time: the goal is judged on
    // the embedded store, and the emulator's line says what its extra time is made of.
    let goal = match backend_is_emulated {
        false => "(goal <= +2 ms)",
        true => "(store round trips at the emulator's speed: see the next line)",
    };
    println!(
        "  login p50 {:.1} ms, bare Argon2id verification p50 {:.1} ms, x{:.2}; a login beyond the verification after it, p50 {extra_p50:+.1} ms  {goal}",
        ms(login_p50),
        ms(bare_p50),
        login_p50.as_secs_f64() / bare_p50.as_secs_f64().max(f64::MIN_POSITIVE),
    );
    println!(
        "  one store read (a user by id) p50 {:.2} ms: the login beyond the verification is {:.1} such reads",
        ms(read_p50),
        extra_p50 / ms(read_p50).max(f64::MIN_POSITIVE),
    );
}

/// Runs this bench for one backend in a child process, forwarding its output.
fn in_child(backend: &str) {
    let Ok(me) = std::env::current_exe() else {
        eprintln!("cannot find this bench's own binary");
        return;
    };
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    args.extend(["--backend".to_string(), backend.to_string()]);
    match std::process::Command::new(me).args(args).status() {
        Ok(status) if status.success() => {}
        outcome => eprintln!("the {backend} run failed: {outcome:?}"),
    }
}

#[tokio::main]
async fn main() {
    let logins = arg("--logins", 200);
    let burst = arg("--burst", 100);
    let args: Vec<String> = std::env::args().collect();
    let backend = args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .cloned();
    match backend.as_deref() {
        Some("sqlite") => run("SQLite (embedded)", sqlite_backend(), logins, burst).await,
        Some("dynamodb") => match dynamo_backend().await {
            Some(backend) => run("DynamoDB (emulator)", backend, logins, burst).await,
            None => eprintln!("no DynamoDB emulator (AUTHBRIDGE_TEST_AWS_ENDPOINT)"),
        },
        Some(other) => eprintln!("unknown backend {other}: sqlite or dynamodb"),
        None => {
            let cpus = std::thread::available_parallelism().map_or(1, usize::from);
            println!(
                "authbridge login memory benchmark, {cpus} CPUs, Argon2 concurrency {}, one process per backend, HTTP on 127.0.0.1",
                argon2_concurrency()
            );
            in_child("sqlite");
            if std::env::var("AUTHBRIDGE_TEST_AWS_ENDPOINT").is_ok_and(|v| !v.is_empty()) {
                in_child("dynamodb");
            }
        }
    }
}
