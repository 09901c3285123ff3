//! The token lifecycle against the real authorization server (refresh-token rotation on): fresh
//! tokens on demand through `GET /tokens/{tag}`, refresh when stale, `invalid_grant` → reauthorize,
//! transient failures backed off, and 50 concurrent callers in several processes sharing one
//! refresh, as do two processes that both know the token is due. Each runs on the embedded store and on DynamoDB (the emulator).

use std::collections::HashSet;
use std::sync::Arc;

use authbridge::clock;
use authbridge::domain::tag::MAX_TAG_LEN;
use authbridge::domain::token::TokenStatus;
use authbridge::domain::{Scope, StoredToken};
use authbridge::oauth::records::field;
use authbridge_tests::Backend;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{self, TokenProxy, connect, get_token, open, record, tag_of};

/// A stack on the test command's server, its token endpoint behind a counting proxy.
async fn stack_on(backend: Backend) -> Option<(TestStack, Arc<TokenProxy>)> {
    let issuer = oidc::issuer()?;
    Some(tokens::stack_on(backend, &issuer).await)
}

/// Makes the stored access token look expired, as time would.
async fn make_stale(s: &TestStack, tag: &str) -> StoredToken {
    let mut r = record(s, tag).await;
    r.expires = Some(clock::now() - 10);
    r.due_at = Some(clock::now() - 310);
    s.stack.app.stores.tokens.update_token(&r).await.unwrap()
}

async fn a_fresh_token_is_served_and_a_stale_one_refreshed_first(b: Backend) {
    let Some((s, proxy)) = stack_on(b).await else {
        return;
    };
    let first = connect(&s, "svc:mail").await;
    let (status, _, body) = get_token(&s, "svc:mail").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["access_token"],
        open(&s, &first, field::ACCESS_TOKEN).await
    );
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["scopes"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(proxy.refreshes(), 0, "a fresh token is not refreshed");

    let old_refresh = open(&s, &first, field::REFRESH_TOKEN).await;
    make_stale(&s, "svc:mail").await;
    let (status, _, body) = get_token(&s, "svc:mail").await;
    assert_eq!(status, 200, "{body}");
    let refreshed = record(&s, "svc:mail").await;
    assert_eq!(proxy.refreshes(), 1);
    assert_eq!(
        body["access_token"],
        open(&s, &refreshed, field::ACCESS_TOKEN).await
    );
    assert_ne!(
        body["access_token"],
        open(&s, &first, field::ACCESS_TOKEN).await
    );
    assert_ne!(
        open(&s, &refreshed, field::REFRESH_TOKEN).await,
        old_refresh,
        "rotated"
    );
    assert!(refreshed.expires.unwrap() > clock::now());
    assert!(refreshed.lease_owner.is_none(), "the lease is released");

    let (status, _, body) = get_token(&s, "no-such-tag").await;
    assert_eq!(status, 404, "{body}");
    // The path's tag is decoded once and parsed: one no connection can have is a malformed
    // request, and the same tag with a `/` encoded in it is one tag.
    let (status, _, body) = get_token(&s, "a%0Ab").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["message"], "tag must not contain control characters");
    let (status, _, body) = get_token(&s, &"t".repeat(MAX_TAG_LEN + 1)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "tag is longer than 200 characters");
    let (status, _, body) = get_token(&s, "no%2Fsuch").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["message"], "no token record with tag \"no/such\"");
    let unauthorised = stack::http()
        .get(s.url("/tokens/svc:mail"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 403);
    // The API token is checked before the tag: a stranger learns nothing of the rule.
    let stranger = stack::http()
        .get(s.url("/tokens/a%0Ab"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 403);
}

async fn a_refused_refresh_token_needs_the_user_again(b: Backend) {
    let Some((s, _proxy)) = stack_on(b).await else {
        return;
    };
    let first = connect(&s, "revoked").await;
    // The user revokes the grant at the provider.
    let issuer = oidc::issuer().unwrap();
    let revoked = reqwest::Client::new()
        .post(format!("{issuer}/token/revocation"))
        .basic_auth(CODE_CLIENT_BASIC.id, Some(CODE_CLIENT_BASIC.secret))
        .form(&[("token", open(&s, &first, field::REFRESH_TOKEN).await)])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    make_stale(&s, "revoked").await;
    let (status, _, body) = get_token(&s, "revoked").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "reauthorization_required");
    // The way to connect again: a start by a caller with authority, replacing the record.
    assert_eq!(body["reauthorize"]["method"], "POST");
    assert_eq!(body["reauthorize"]["path"], "/oauth/start");
    assert_eq!(body["reauthorize"]["body"]["tag"], "revoked");
    assert_eq!(body["reauthorize"]["body"]["replace"], true);
    let after = record(&s, "revoked").await;
    assert_eq!(after.status, TokenStatus::ReauthorizationRequired);
    assert_eq!(after.error.as_ref().unwrap().error, "invalid_grant");
    assert!(after.error.as_ref().unwrap().time > 0);
    assert_eq!(after.due_at, None, "no further automatic attempts");
    assert_eq!(
        open(&s, &after, field::ACCESS_TOKEN).await,
        open(&s, &first, field::ACCESS_TOKEN).await,
        "the old token is kept"
    );
}

/// 50 callers in 5 processes on one stale token: one refresh reaches the server, all get its token.
async fn fifty_callers_in_five_processes_share_one_refresh(b: Backend) {
    let Some((s, proxy)) = stack_on(b).await else {
        return;
    };
    connect(&s, "shared").await;
    make_stale(&s, "shared").await;
    let (hashes, callers) =
        tokens::across_processes(&s, env!("CARGO_BIN_EXE_refresh-worker"), "shared", 5, 10).await;
    assert_eq!(callers, 50, "every caller got a token");
    assert_eq!(
        proxy.refreshes(),
        1,
        "exactly one refresh reached the server"
    );
    assert_eq!(hashes.len(), 1, "every caller got the same, new token");
    let after = record(&s, "shared").await;
    use sha2::Digest;
    let stored = hex::encode(sha2::Sha256::digest(
        open(&s, &after, field::ACCESS_TOKEN).await.as_bytes(),
    ));
    assert!(
        hashes.contains(&stored),
        "the token the callers got is the stored one"
    );
    // The rotated refresh token still works: nothing was lost.
    make_stale(&s, "shared").await;
    let (status, _, _) = get_token(&s, "shared").await;
    assert_eq!(status, 200);
    assert_eq!(proxy.refreshes(), 2);
}

/// Two processes on one table that both know a token is due (each served it before it fell due)
/// take its lease without reading it first, at once, with five callers each: one refresh reaches
/// the server, and every caller in both gets its token.
async fn two_processes_that_know_a_token_is_due_refresh_it_once(b: Backend) {
    let Some((s, proxy)) = stack_on(b).await else {
        return;
    };
    let tag = "raced";
    connect(&s, tag).await;
    let other = s.another_process().await;
    let (_, due) = tokens::falling_due(&s, tag, 2).await;
    let urls = [
        s.url(&format!("/tokens/{tag}")),
        other.url(&format!("/tokens/{tag}")),
    ];
    for url in &urls {
        let (status, _, body) =
            tokens::send(stack::http().get(url.clone()).bearer_auth(TEST_API_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(proxy.refreshes(), 0, "not due yet");
    tokens::until(due).await;
    let (tag_key, all) = (tag_of(tag), Scope::everything());
    for (which, refresher) in [
        ("the first", &s.stack.token_access.refresher),
        ("the other", &other.stack.token_access.refresher),
    ] {
        assert!(
            refresher.due(&tag_key, &all).is_some(),
            "{which} process knows the token is due"
        );
    }
    let callers = urls
        .iter()
        .cycle()
        .take(10)
        .map(|url| tokens::send(stack::http().get(url.clone()).bearer_auth(TEST_API_TOKEN)));
    let mut handed = HashSet::new();
    for (status, _, body) in futures::future::join_all(callers).await {
        assert_eq!(status, 200, "{body}");
        handed.insert(body["access_token"].as_str().expect("a token").to_string());
    }
    assert_eq!(
        proxy.refreshes(),
        1,
        "exactly one refresh reached the server"
    );
    let after = record(&s, tag).await;
    assert_eq!(
        handed,
        HashSet::from([open(&s, &after, field::ACCESS_TOKEN).await]),
        "every caller got the stored, new token"
    );
    assert!(after.lease_owner.is_none(), "the lease was released");
    // The rotated refresh token still works: nothing was lost.
    make_stale(&s, tag).await;
    let (status, _, body) = get_token(&s, tag).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy.refreshes(), 2);
}

on_both_backends!(
    two_processes_that_know_a_token_is_due_refresh_it_once,
    a_fresh_token_is_served_and_a_stale_one_refreshed_first,
    a_refused_refresh_token_needs_the_user_again,
    fifty_callers_in_five_processes_share_one_refresh,
);
