//! Rotating the token keys while refreshes run, on both stores: refreshes at the test
//! authorization server (rotating refresh tokens) go on while versions are made and records are
//! re-sealed; no refresh answers an error, no refresh token is lost, and in the end every record
//! is sealed under the newest version and the older versions can be retired.

use std::time::Duration;

use authbridge::domain::KeyNumber;
use authbridge::keys::{SealedBy, reseal};
use authbridge::oauth::records::field;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC};
use authbridge_tests::stack::{self, TEST_API_TOKEN};
use authbridge_tests::tokens::{self, PROVIDER, send};
use authbridge_tests::{Backend, on_both_backends};
use serde_json::Map;

const TAGS: [&str; 3] = ["keys:a", "keys:b", "keys:c"];
const REFRESHES_PER_TAG: usize = 6;
const ROTATIONS: usize = 3;

async fn refreshes_during_rotations_and_reseals_lose_nothing(b: Backend) {
    let Some(issuer) = oidc::issuer() else { return };
    let (s, _) = tokens::stack_on(b, &issuer).await;
    let client = s
        .register(
            PROVIDER,
            CODE_CLIENT_BASIC.id,
            CODE_CLIENT_BASIC.secret,
            Map::new(),
        )
        .await;
    for tag in TAGS {
        let done = s
            .connect_as(client.id.as_str(), tag, "rita", serde_json::json!({}))
            .await;
        assert_eq!(done.status(), 200, "connecting {tag}");
    }
    let keyring = s.stack.oauth.keyring().await.expect("the keyring");

    // Each refresher reads the token, then asks for a refresh of the version it read (as a
    // caller whose token the API rejected does).
    let refreshers = TAGS.map(|tag| {
        let read = s.url(&format!("/tokens/{tag}"));
        let refresh = s.url(&format!("/tokens/{tag}/refresh"));
        tokio::spawn(async move {
            for _ in 0..REFRESHES_PER_TAG {
                let (status, etag, body) =
                    send(stack::http().get(read.clone()).bearer_auth(TEST_API_TOKEN)).await;
                assert_eq!(status, 200, "a read during a rotation: {body}");
                let (status, _, body) = send(
                    stack::http()
                        .post(refresh.clone())
                        .bearer_auth(TEST_API_TOKEN)
                        .header("if-match", etag.expect("an ETag")),
                )
                .await;
                assert_eq!(status, 200, "a refresh during a rotation: {body}");
            }
        })
    });
    for _ in 0..ROTATIONS {
        keyring.rotate().await.expect("a rotation");
        while reseal::reseal_next(
            s.stack.app.stores.tokens.as_ref(),
            keyring,
            1,
            authbridge::clock::now(),
        )
        .await
        .expect("a re-seal batch")
        .is_some()
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    for refresher in refreshers {
        refresher.await.expect("the refreshes went through");
    }

    // Every record reads, and its refresh token is the one the server holds as current.
    for tag in TAGS {
        let (status, _, body) = tokens::get_token(&s, tag).await;
        assert_eq!(status, 200, "{tag}: {body}");
        let record = tokens::record(&s, tag).await;
        assert_eq!(
            body["access_token"].as_str(),
            Some(tokens::access_token(&s, &record).await.as_str())
        );
        let refresh = tokens::open(&s, &record, field::REFRESH_TOKEN).await;
        assert!(
            oidc::refresh_token_works(&refresh).await,
            "{tag}: the stored refresh token is the current one"
        );
    }

    // One last pass leaves everything under the newest version; the others can then go.
    let newest = KeyNumber(1 + ROTATIONS as u32);
    let mut config = s.stack.app.config.clone();
    config.keys.cache_ttl = Duration::ZERO;
    let operator = authbridge::keys::setup::keyring(
        &config,
        s.stack.app.stores.keys.clone(),
        s.stack.app.secrets.clone(),
        s.stack.app.sdk.as_ref(),
    )
    .expect("the operator's keyring");
    while reseal::reseal_next(
        s.stack.app.stores.tokens.as_ref(),
        &operator,
        10,
        authbridge::clock::now(),
    )
    .await
    .expect("a re-seal batch")
    .is_some()
    {}
    let usage = reseal::usage(s.stack.app.stores.tokens.as_ref())
        .await
        .unwrap();
    assert_eq!(usage.of(SealedBy::Version(newest)), TAGS.len() as u64);
    for old in 1..newest.0 {
        let number = KeyNumber(old);
        operator
            .retire(
                number,
                usage.of(SealedBy::Version(number)),
                authbridge::clock::now(),
            )
            .await
            .unwrap_or_else(|e| panic!("retiring version {old}: {e}"));
    }
    keyring.forget();
    for tag in TAGS {
        let (status, _, body) = tokens::get_token(&s, tag).await;
        assert_eq!(status, 200, "{tag} after the retirements: {body}");
    }
}

on_both_backends!(refreshes_during_rotations_and_reseals_lose_nothing);
