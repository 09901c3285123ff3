//! Tokens of any lifetime, against real authorization servers that issue 60 s, 120 s and 3600 s
//! access tokens and rotate refresh tokens with reuse detection (a reused refresh token revokes the
//! whole grant): 50 concurrent callers, in one process and across five, get one refresh per expiry,
//! none at issue, and every access token handed out is still accepted by the server afterwards.
//!
//! Time: the servers' tokens really have these lifetimes; the test moves each record through its
//! life by ageing it (expiry, last refresh and due time moved into the past, the granted lifetime
//! kept), so an expiry takes no real minute. Each runs on the embedded store and on DynamoDB.

use std::collections::HashSet;

use authbridge::domain::token_lifecycle::effective_margin;
use authbridge::oauth::flow::DEFAULT_REFRESH_MARGIN;
use authbridge_tests::Backend;
use authbridge_tests::oidc_instances::issuer_with_lifetime;
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{self, accepted, access_token, age, connect, record};
use serde_json::Value;
use sha2::{Digest, Sha256};

const CALLERS: usize = 50;
const PROCESSES: usize = 5;
/// Expiries each test goes through.
const EXPIRIES: usize = 3;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Where the callers run.
#[derive(Debug, Clone, Copy)]
enum Callers {
    /// 50 concurrent `GET /tokens/{tag}` to one stack (one process, one refresher).
    InProcess,
    /// 5 processes (`refresh-worker`) of 10 concurrent callers each, on the same store.
    AcrossProcesses,
}

/// The tokens 50 concurrent callers got, by SHA-256; the tokens themselves when in process.
async fn burst(s: &TestStack, tag: &str, callers: Callers) -> (HashSet<String>, Vec<String>) {
    match callers {
        Callers::InProcess => {
            let calls = (0..CALLERS).map(|_| async {
                let response = stack::http()
                    .get(s.url(&format!("/tokens/{tag}")))
                    .bearer_auth(TEST_API_TOKEN)
                    .send()
                    .await
                    .expect("the stack answers");
                let status = response.status();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                assert_eq!(status, 200, "{body}");
                body["access_token"]
                    .as_str()
                    .expect("an access token")
                    .to_string()
            });
            let got = futures::future::join_all(calls).await;
            (got.iter().map(|t| hash(t)).collect(), got)
        }
        Callers::AcrossProcesses => {
            let (hashes, answered) = tokens::across_processes(
                s,
                env!("CARGO_BIN_EXE_refresh-worker"),
                tag,
                PROCESSES,
                CALLERS / PROCESSES,
            )
            .await;
            assert_eq!(answered, CALLERS, "every caller got a token");
            (hashes, Vec::new())
        }
    }
}

async fn one_refresh_per_expiry(b: Backend, lifetime: i64, callers: Callers) {
    let Some(issuer) = issuer_with_lifetime(lifetime as u64) else {
        return;
    };
    let (s, proxy) = tokens::stack_on(b, &issuer).await;
    let tag = "lifetimes";
    let first = connect(&s, tag).await;
    assert_eq!(
        first.lifetime,
        Some(lifetime),
        "the granted lifetime is stored"
    );
    let configured = DEFAULT_REFRESH_MARGIN.as_secs() as i64;
    let margin = effective_margin(configured, Some(lifetime));
    assert!(margin > 0 && margin <= lifetime / 2, "{margin}");
    let expires = first.expires.expect("an expiry");
    assert_eq!(
        first.due_at,
        Some(expires - margin),
        "the sweep is due when callers would refresh"
    );

    // At issue the token is fresh, whatever its lifetime: nobody refreshes.
    let (hashes, mut handed_out) = burst(&s, tag, callers).await;
    assert_eq!(proxy.refreshes(), 0, "a token is not expiring when issued");
    let stored = access_token(&s, &record(&s, tag).await).await;
    assert_eq!(hashes, HashSet::from([hash(&stored)]));
    let mut issued = vec![stored];

    // Short of the refresh point (10 s before it): still no refresh.
    let left = record(&s, tag).await.expires.expect("an expiry") - authbridge::clock::now();
    age(&s, tag, left - margin - 10).await;
    let response = stack::http()
        .get(s.url(&format!("/tokens/{tag}")))
        .bearer_auth(TEST_API_TOKEN)
        .send()
        .await
        .expect("the stack answers");
    assert_eq!(response.status(), 200);
    assert_eq!(proxy.refreshes(), 0, "not refreshed before the margin");

    for expiry in 1..=EXPIRIES {
        // Past the refresh point of the current token: one refresh, one new token for everyone.
        let current = record(&s, tag).await;
        let left = current.expires.expect("an expiry") - authbridge::clock::now();
        age(&s, tag, left - margin + 1).await;
        let (hashes, tokens) = burst(&s, tag, callers).await;
        assert_eq!(
            proxy.refreshes(),
            expiry,
            "exactly one refresh for expiry {expiry}"
        );
        let after = record(&s, tag).await;
        assert_eq!(after.lifetime, Some(lifetime));
        assert!(after.lease_owner.is_none(), "the lease is released");
        let stored = access_token(&s, &after).await;
        assert_eq!(
            hashes,
            HashSet::from([hash(&stored)]),
            "every caller got the one new token"
        );
        assert!(!issued.contains(&stored), "a new token for expiry {expiry}");
        issued.push(stored);
        handed_out.extend(tokens);
    }

    // The grant is intact: every token handed out (all of them stored ones) is still accepted.
    handed_out.extend(issued.iter().cloned());
    for token in handed_out.iter().collect::<HashSet<_>>() {
        assert!(
            accepted(&issuer, token).await,
            "a handed-out access token was revoked"
        );
    }
}

on_both_backends!(
    lifetime_60_s_in_one_process = one_refresh_per_expiry(60, Callers::InProcess),
    lifetime_120_s_in_one_process = one_refresh_per_expiry(120, Callers::InProcess),
    lifetime_3600_s_in_one_process = one_refresh_per_expiry(3600, Callers::InProcess),
    lifetime_60_s_across_processes = one_refresh_per_expiry(60, Callers::AcrossProcesses),
    lifetime_120_s_across_processes = one_refresh_per_expiry(120, Callers::AcrossProcesses),
    lifetime_3600_s_across_processes = one_refresh_per_expiry(3600, Callers::AcrossProcesses),
);
