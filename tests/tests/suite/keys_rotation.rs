//! Keys an operator can rotate, against the emulator's KMS and on both stores: seal, rotate, read
//! old and new records, re-seal all, retire the old version, and read everything again; a data key
//! wrapped by KMS does not unwrap under another KMS key or another version number.

use std::sync::Arc;
use std::time::Duration;

use authbridge::config::AwsSettings;
use authbridge::domain::{KeyNumber, StoredToken};
use authbridge::keys::kms::KmsWrapper;
use authbridge::keys::reseal::{self, record_id};
use authbridge::keys::{KeyError, KeyWrapper, Keyring, SealedBy};
use authbridge::secrets::{ExposeSecret, SecretString};
use authbridge::vault::field;
use authbridge_tests::{Backend, emulator_endpoint, on_both_backends};

/// A KMS wrapper on a fresh key of the emulator's KMS.
async fn kms() -> Option<KmsWrapper> {
    let endpoint = emulator_endpoint()?;
    let settings = AwsSettings {
        table: "unused".into(),
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.parse().expect("the emulator's URL")),
    };
    let sdk = authbridge::aws::sdk_config(&settings).await;
    let setup = KmsWrapper::new(&sdk, "none-yet", settings.endpoint_url.as_ref())
        .expect("a KMS client for the emulator");
    let key = setup
        .create_key("authbridge test")
        .await
        .expect("a key in the emulator's KMS");
    Some(setup.with_key(&key))
}

fn record(tag: &str, keys: &authbridge::keys::KeySet) -> StoredToken {
    let mut r = authbridge_tests::tokens::sample_record(tag);
    r.access_token = None;
    let at = keys
        .seal(
            record_id(&r),
            field::ACCESS_TOKEN,
            &SecretString::from(format!("at-{tag}")),
        )
        .expect("sealing");
    r.access_token = Some(at);
    r
}

async fn read_all(backend: &Backend, ring: &Keyring, tags: &[String]) {
    for tag in tags {
        let r = backend
            .stores
            .tokens
            .get_token(&authbridge_tests::tokens::tag_of(tag))
            .await
            .expect("reading a record")
            .expect("the record exists");
        let keys = ring.keys_for(r.access_token.iter()).await.expect("keys");
        let at = keys
            .open(
                record_id(&r),
                field::ACCESS_TOKEN,
                r.access_token.as_ref().unwrap(),
            )
            .unwrap_or_else(|e| panic!("{tag} does not open: {e}"));
        assert_eq!(at.expose_secret(), format!("at-{tag}"));
    }
}

async fn rotate_under_kms(backend: Backend) {
    let Some(kms) = kms().await else { return };
    let ring = Keyring::new(
        backend.stores.keys.clone(),
        Arc::new(kms.clone()),
        None,
        Duration::ZERO,
    );
    let tags: Vec<String> = (0..5).map(|i| format!("kms:{i}")).collect();
    let v1 = ring.sealing().await.expect("the first version");
    for tag in &tags[..3] {
        backend
            .stores
            .tokens
            .create_token(&record(tag, &v1))
            .await
            .unwrap();
    }
    // Only the wrapped key is stored, and it names the KMS key.
    let stored = ring.versions().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].wrapped_by.starts_with("kms:"),
        "{}",
        stored[0].wrapped_by
    );

    ring.rotate().await.expect("a rotation");
    let v2 = ring.sealing().await.unwrap();
    assert_eq!(v2.active(), KeyNumber(2));
    for tag in &tags[3..] {
        backend
            .stores
            .tokens
            .create_token(&record(tag, &v2))
            .await
            .unwrap();
    }
    read_all(&backend, &ring, &tags).await;

    while reseal::reseal_next(
        backend.stores.tokens.as_ref(),
        &ring,
        2,
        authbridge::clock::now(),
    )
    .await
    .expect("a re-seal batch")
    .is_some()
    {
        read_all(&backend, &ring, &tags).await;
    }
    let usage = reseal::usage(backend.stores.tokens.as_ref()).await.unwrap();
    assert_eq!(usage.of(SealedBy::Version(KeyNumber(1))), 0);
    assert_eq!(usage.of(SealedBy::Version(KeyNumber(2))), 5);
    ring.retire(KeyNumber(1), 0, authbridge::clock::now())
        .await
        .expect("retiring the unused version");
    ring.forget();
    read_all(&backend, &ring, &tags).await;

    // The wrapped key of version 2 opens under its own number and KMS key only.
    let versions = ring.versions().await.unwrap();
    let wrapped = versions[1].wrapped.as_deref().unwrap();
    let wrapped =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, wrapped).unwrap();
    assert!(kms.unwrap(KeyNumber(2), &wrapped).await.is_ok());
    assert!(matches!(
        kms.unwrap(KeyNumber(3), &wrapped).await,
        Err(KeyError::Kms { .. })
    ));
    let other = kms.with_key(&kms.create_key("another").await.unwrap());
    assert!(other.unwrap(KeyNumber(2), &wrapped).await.is_err());
}

on_both_backends!(rotate_under_kms);
