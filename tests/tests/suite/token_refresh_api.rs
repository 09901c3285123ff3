//! The caller whose access token was rejected: `GET /tokens/{tag}` gives the token's version as an
//! `ETag`; `POST /tokens/{tag}/refresh` with `If-Match` refreshes only while the stored token is
//! still that version and otherwise answers the newer token, so 50 such callers make one refresh.
//! And waiting for another caller's refresh ends in time: 503 `refresh_in_progress`. Against the
//! test command's authorization server (rotating refresh tokens), on both stores.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authbridge_tests::Backend;
use authbridge_tests::oidc;
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{
    self, Answer, accepted, access_token, age, connect, get_token, record, send,
};
use lambda_http::RequestExt;
use serde_json::Value;

/// An answer: status, `ETag`, body.
async fn post_refresh(s: &TestStack, tag: &str, if_match: Option<&str>) -> Answer {
    let mut request = stack::http()
        .post(s.url(&format!("/tokens/{tag}/refresh")))
        .bearer_auth(TEST_API_TOKEN);
    if let Some(version) = if_match {
        request = request.header("if-match", version);
    }
    send(request).await
}

fn token(answer: &Answer) -> String {
    assert_eq!(answer.0, 200, "{}", answer.2);
    answer.2["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

async fn if_match_refreshes_only_the_version_that_was_rejected(b: Backend) {
    let Some(issuer) = oidc::issuer() else {
        return;
    };
    let (s, proxy) = tokens::stack_on(b, &issuer).await;
    let tag = "api";
    connect(&s, tag).await;
    let first = get_token(&s, tag).await;
    let t0 = token(&first);
    let e0 = first.1.clone().expect("an ETag");
    assert_eq!(
        get_token(&s, tag).await.1,
        Some(e0.clone()),
        "stable while the token is"
    );

    // The current version: refreshed.
    let second = post_refresh(&s, tag, Some(&e0)).await;
    let t1 = token(&second);
    let e1 = second.1.clone().expect("an ETag");
    assert_eq!(proxy.refreshes(), 1);
    assert_ne!(t1, t0);
    assert_ne!(e1, e0);
    assert_eq!(get_token(&s, tag).await.1, Some(e1.clone()));
    assert_eq!(t1, access_token(&s, &record(&s, tag).await).await);

    // An old version: the newer token, no refresh.
    let again = post_refresh(&s, tag, Some(&e0)).await;
    assert_eq!(token(&again), t1);
    assert_eq!(again.1, Some(e1.clone()));
    assert_eq!(proxy.refreshes(), 1, "no refresh for an old version");

    // 50 callers whose token (one version) was rejected: one refresh, one new token for all.
    let calls = (0..50).map(|_| post_refresh(&s, tag, Some(&e1)));
    let answers = futures::future::join_all(calls).await;
    let got: HashSet<String> = answers.iter().map(token).collect();
    let etags: HashSet<Option<String>> = answers.iter().map(|a| a.1.clone()).collect();
    assert_eq!(proxy.refreshes(), 2, "exactly one refresh for 50 callers");
    assert_eq!(got.len(), 1, "every caller got the same token");
    assert_eq!(etags.len(), 1);
    let t2 = got.into_iter().next().expect("a token");
    assert!(t2 != t1 && t2 != t0);
    assert_eq!(t2, access_token(&s, &record(&s, tag).await).await);

    // The grant is intact: every token handed out is still accepted.
    for t in [&t0, &t1, &t2] {
        assert!(accepted(&issuer, t).await, "a handed-out token was revoked");
    }

    // If-Match is required, and must be one ETag.
    let missing = post_refresh(&s, tag, None).await;
    assert_eq!(missing.0, 428, "{}", missing.2);
    assert_eq!(missing.2["error"], "if_match_required");
    let star = post_refresh(&s, tag, Some("*")).await;
    assert_eq!(star.0, 400, "{}", star.2);
    let unknown = post_refresh(&s, "no-such-tag", Some(&e0)).await;
    assert_eq!(unknown.0, 404, "{}", unknown.2);
    let unauthorised = stack::http()
        .post(s.url(&format!("/tokens/{tag}/refresh")))
        .header("if-match", e0.as_str())
        .send()
        .await
        .expect("the stack answers");
    assert_eq!(unauthorised.status(), 403);
    assert_eq!(proxy.refreshes(), 2);
}

/// The `ETag` of the stored token.
async fn record_version(s: &TestStack, tag: &str) -> String {
    record(s, tag)
        .await
        .token_version()
        .expect("a version")
        .etag()
}

/// Calls token-access as its Lambda would be called (through `authbridge::http::serve`), with an
/// invocation `deadline`.
async fn invoke(
    s: &TestStack,
    method: &str,
    path: &str,
    if_match: Option<String>,
    deadline: Duration,
) -> Answer {
    let mut request = lambda_http::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TEST_API_TOKEN}"));
    if let Some(version) = if_match {
        request = request.header("if-match", version);
    }
    let request = request.body(lambda_http::Body::Empty).expect("a request");
    let mut invocation = lambda_http::Context::default();
    invocation.deadline = (SystemTime::now() + deadline)
        .duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_millis() as u64;
    let context = Arc::new(token_access::Context::new(s.stack.oauth.clone()));
    let response = authbridge::http::serve::invoke(
        context,
        &token_access::handle,
        request.with_lambda_context(invocation),
    )
    .await;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (status, retry_after, body)
}

async fn waiting_past_the_deadline_answers_503_refresh_in_progress(b: Backend) {
    let Some(_issuer) = oidc::issuer() else {
        return;
    };
    let (s, proxy) = tokens::stack_on(b, &_issuer).await;
    let tag = "busy";
    let connected = connect(&s, tag).await;
    // Expired, and another process holds the refresh lease (and never finishes in time).
    let left = connected.expires.expect("an expiry") - authbridge::clock::now();
    let mut r = age(&s, tag, left + 1).await;
    r.lease_owner = Some("another-process".into());
    r.lease_until = Some(authbridge::clock::now() + 60);
    s.stack.app.stores.tokens.update_token(&r).await.unwrap();

    // The deadline leaves a second of waiting after the outbound timeout and the reserve.
    let total = s.stack.oauth.settings.timeouts.total;
    let deadline = total + authbridge::deadline::ANSWER_RESERVE + Duration::from_secs(1);
    for (method, path) in [("GET", "/tokens/busy"), ("POST", "/tokens/busy/refresh")] {
        let if_match = match method {
            "POST" => Some(record_version(&s, tag).await),
            _ => None,
        };
        let (status, retry_after, body) = invoke(&s, method, path, if_match, deadline).await;
        assert_eq!(status, 503, "{method}: {body}");
        assert_eq!(body["error"], "refresh_in_progress");
        assert!(retry_after.is_some(), "Retry-After");
    }
    assert_eq!(proxy.refreshes(), 0, "nobody refreshed behind the lease");

    // Once the lease is gone, the same call refreshes.
    let mut r = record(&s, tag).await;
    r.lease_owner = None;
    r.lease_until = None;
    s.stack.app.stores.tokens.update_token(&r).await.unwrap();
    let (status, _, body) = invoke(&s, "GET", "/tokens/busy", None, deadline * 3).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy.refreshes(), 1);
}

on_both_backends!(
    if_match_refreshes_only_the_version_that_was_rejected,
    waiting_past_the_deadline_answers_503_refresh_in_progress,
);
