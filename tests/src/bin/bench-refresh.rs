//! `bench-refresh`: refreshes per expiry and callers' latency, per access-token lifetime. For each
//! lifetime an instance of the test authorization server issues tokens of that lifetime (rotating
//! refresh tokens); a tag is connected through the code flow; then, for each of E expiries, the
//! record is aged past its refresh point and N concurrent callers ask `GET /tokens/{tag}` on one
//! stack. Prints the refreshes that reached the provider per expiry (the goal is 1.00) and the
//! callers' p50 / p99 latency. A first burst at issue (no refresh expected) is counted apart.
//!
//! `cargo run --profile measure -p authbridge-tests --bin bench-refresh -- [--lifetime S]...
//! [--callers N] [--expiries E]` (`./infra/bench.sh` runs the documented set). Needs Node.js and
//! `infra/oidc-server/node_modules`; with `AUTHBRIDGE_TEST_AWS_ENDPOINT` also runs on the emulator.

use std::time::{Duration, Instant};

use authbridge::clock;
use authbridge::domain::token_lifecycle::effective_margin;
use authbridge::oauth::flow::DEFAULT_REFRESH_MARGIN;
use authbridge_tests::Backend;
use authbridge_tests::oidc_instances::issuer_with_lifetime;
use authbridge_tests::stack::{self, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{age, connect, record, stack_on};

/// One burst: every caller's latency; panics on an answer other than 200.
async fn burst(s: &TestStack, tag: &str, callers: usize) -> Vec<Duration> {
    let calls = (0..callers).map(|_| async {
        let started = Instant::now();
        let response = stack::http()
            .get(s.url(&format!("/tokens/{tag}")))
            .bearer_auth(TEST_API_TOKEN)
            .send()
            .await
            .expect("the stack answers");
        assert_eq!(response.status(), 200, "a caller got no token");
        started.elapsed()
    });
    futures::future::join_all(calls).await
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn run(store: &str, backend: Backend, lifetime: u64, callers: usize, expiries: usize) {
    let Some(issuer) = issuer_with_lifetime(lifetime) else {
        return;
    };
    let (s, proxy) = stack_on(backend, &issuer).await;
    let tag = "bench";
    connect(&s, tag).await;
    let margin = effective_margin(
        DEFAULT_REFRESH_MARGIN.as_secs() as i64,
        Some(lifetime as i64),
    );
    let at_issue = burst(&s, tag, callers).await;
    let refreshes_at_issue = proxy.refreshes();
    let mut latencies = Vec::new();
    for _ in 0..expiries {
        let left = record(&s, tag).await.expires.expect("an expiry") - clock::now();
        age(&s, tag, left - margin + 1).await;
        latencies.extend(burst(&s, tag, callers).await);
    }
    latencies.extend(at_issue);
    latencies.sort();
    let per_expiry = (proxy.refreshes() - refreshes_at_issue) as f64 / expiries as f64;
    println!(
        "| {store} | {lifetime} s | {margin} s | {callers} | {expiries} | {refreshes_at_issue} | {per_expiry:.2} | {} | {} |",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 99.0)),
    );
}

#[tokio::main]
async fn main() {
    let mut lifetimes = Vec::new();
    let (mut callers, mut expiries) = (50, 5);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|n| n.parse::<u64>().ok());
        match (arg.as_str(), value) {
            ("--lifetime", Some(n)) if n > 0 => lifetimes.push(n),
            ("--callers", Some(n)) if n > 0 => callers = n as usize,
            ("--expiries", Some(n)) if n > 0 => expiries = n as usize,
            _ => {
                eprintln!(
                    "usage: bench-refresh [--lifetime SECONDS]... [--callers N] [--expiries E]"
                );
                std::process::exit(2);
            }
        }
    }
    if lifetimes.is_empty() {
        lifetimes = vec![60, 120, 3600];
    }
    println!(
        "refresh benchmark: {callers} concurrent callers of one tag per expiry, default margin {} s",
        DEFAULT_REFRESH_MARGIN.as_secs()
    );
    println!(
        "| store | lifetime | margin applied | callers | expiries | refreshes at issue | refreshes per expiry | p50 | p99 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &lifetime in &lifetimes {
        run(
            "embedded (SQLite)",
            authbridge_tests::sqlite_backend(),
            lifetime,
            callers,
            expiries,
        )
        .await;
    }
    // The emulator run needs AUTHBRIDGE_TEST_AWS_ENDPOINT (infra/bench.sh starts moto and sets it).
    if std::env::var("AUTHBRIDGE_TEST_AWS_ENDPOINT").is_ok() {
        for &lifetime in &lifetimes {
            let backend = authbridge_tests::dynamo_backend()
                .await
                .expect("the emulator");
            run("DynamoDB (emulator)", backend, lifetime, callers, expiries).await;
        }
    }
}
