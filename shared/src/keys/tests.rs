//! The keyring on the embedded store with a key-encryption key of its own: rotation, re-seal and
//! retirement keep every value readable, and a value in the wrong place does not open.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use super::reseal::{self, record_id};
use super::*;
use crate::domain::token::Sealed;
use crate::domain::{KeyNumber, StoredToken, Tag};
use crate::secrets::SecretStore;
use crate::store::TokenStore;
use crate::store::sqlite::SqliteStore;
use crate::vault::{TokenVault, field};

fn tag_of(raw: &str) -> Tag {
    Tag::parse(raw).unwrap()
}

const LEGACY_SECRET: &str = "a-legacy-token-key-secret-of-more-than-32-chars";

fn keyring(store: &Arc<SqliteStore>, ttl: Duration) -> Keyring {
    let kek = AesKek::from_secret(&SecretString::from("k".repeat(48)), "test/kek").unwrap();
    Keyring::new(
        store.clone(),
        Arc::new(kek),
        Some(ring::LegacyKey::from_secret(
            store.clone(),
            "test/token-key",
        )),
        ttl,
    )
}

fn record(tag: &str) -> StoredToken {
    StoredToken::sample(tag)
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

/// A record whose access and refresh tokens are `at-<tag>` and `rt-<tag>`, sealed by `keys`.
fn sealed_record(tag: &str, keys: &KeySet) -> StoredToken {
    let mut r = record(tag);
    let t = r.tag.clone();
    let id = RecordId {
        tag: &t,
        connection: t.as_str(),
    };
    r.access_token = Some(
        keys.seal(id, field::ACCESS_TOKEN, &secret(&format!("at-{tag}")))
            .unwrap(),
    );
    r.refresh_token = Some(
        keys.seal(id, field::REFRESH_TOKEN, &secret(&format!("rt-{tag}")))
            .unwrap(),
    );
    r
}

async fn read_all(store: &SqliteStore, ring: &Keyring, tags: &[String]) {
    for tag in tags {
        let r = store.get_token(&tag_of(tag)).await.unwrap().unwrap();
        let values: Vec<&Sealed> = reseal::sealed_fields(&r)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        let keys = ring.keys_for(values).await.unwrap();
        let at = keys
            .open(
                record_id(&r),
                field::ACCESS_TOKEN,
                r.access_token.as_ref().unwrap(),
            )
            .unwrap();
        let rt = keys
            .open(
                record_id(&r),
                field::REFRESH_TOKEN,
                r.refresh_token.as_ref().unwrap(),
            )
            .unwrap();
        assert_eq!(at.expose_secret(), format!("at-{tag}"));
        assert_eq!(rt.expose_secret(), format!("rt-{tag}"));
    }
}

#[tokio::test]
async fn rotate_reseal_retire_and_every_record_reads_throughout() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let ring = keyring(&store, Duration::ZERO);
    let old_keys = ring.sealing().await.unwrap();
    assert_eq!(old_keys.active(), KeyNumber(1));
    let tags: Vec<String> = (0..7).map(|i| format!("mail:{i}")).collect();
    for tag in &tags[..4] {
        store
            .create_token(&sealed_record(tag, &old_keys))
            .await
            .unwrap();
    }

    let v2 = ring.rotate().await.unwrap();
    assert_eq!(v2.number, KeyNumber(2));
    let new_keys = ring.sealing().await.unwrap();
    assert_eq!(new_keys.active(), KeyNumber(2));
    for tag in &tags[4..] {
        store
            .create_token(&sealed_record(tag, &new_keys))
            .await
            .unwrap();
    }
    read_all(&store, &ring, &tags).await;

    let usage = reseal::usage(store.as_ref()).await.unwrap();
    assert_eq!(usage.of(SealedBy::Version(KeyNumber(1))), 4);
    assert_eq!(usage.of(SealedBy::Version(KeyNumber(2))), 3);
    // Not while records use it, nor while it is the active one.
    let refused = ring.retire(KeyNumber(1), 4, crate::clock::now()).await;
    assert!(matches!(refused, Err(KeyError::Refused(_))), "{refused:?}");
    assert!(matches!(
        ring.retire(KeyNumber(2), 0, crate::clock::now()).await,
        Err(KeyError::Refused(_))
    ));

    // Resumable batches of 3 until the pass is complete.
    let mut batches = 0;
    let mut resealed = 0;
    while let Some(report) = reseal::reseal_next(store.as_ref(), &ring, 3, crate::clock::now())
        .await
        .unwrap()
    {
        batches += 1;
        resealed += report.resealed;
        read_all(&store, &ring, &tags).await;
    }
    assert_eq!((batches, resealed), (3, 4));
    let usage = reseal::usage(store.as_ref()).await.unwrap();
    assert_eq!(usage.of(SealedBy::Version(KeyNumber(1))), 0);
    assert_eq!(usage.of(SealedBy::Version(KeyNumber(2))), 7);

    let retired = ring
        .retire(KeyNumber(1), 0, crate::clock::now())
        .await
        .unwrap();
    assert!(retired.retired.is_some() && retired.wrapped.is_none());
    read_all(&store, &ring, &tags).await;
    // A value of the retired version, put back by someone who can write the table, opens no more.
    let stale = sealed_record("mail:0", &old_keys);
    let keys = ring.keys_for(stale.access_token.iter()).await.unwrap();
    assert!(matches!(
        keys.open(
            record_id(&stale),
            field::ACCESS_TOKEN,
            stale.access_token.as_ref().unwrap()
        ),
        Err(KeyError::Retired(KeyNumber(1)))
    ));
}

#[tokio::test]
async fn a_value_moved_to_another_record_or_field_or_with_its_version_altered_does_not_open() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let ring = keyring(&store, Duration::from_secs(300));
    let keys = ring.sealing().await.unwrap();
    let (mail_1, mail_2) = (tag_of("mail:1"), tag_of("mail:2"));
    let here = RecordId {
        tag: &mail_1,
        connection: "c-1",
    };
    let sealed = keys.seal(here, field::ACCESS_TOKEN, &secret("at")).unwrap();
    assert_eq!(
        keys.open(here, field::ACCESS_TOKEN, &sealed)
            .unwrap()
            .expose_secret(),
        "at"
    );
    let elsewhere = [
        (
            RecordId {
                tag: &mail_2,
                connection: "c-1",
            },
            field::ACCESS_TOKEN,
        ),
        (
            RecordId {
                tag: &mail_1,
                connection: "c-2",
            },
            field::ACCESS_TOKEN,
        ),
        (here, field::REFRESH_TOKEN),
    ];
    for (record, label) in elsewhere {
        assert!(matches!(
            keys.open(record, label, &sealed),
            Err(KeyError::Tampered)
        ));
    }
    // Another key version named in the value (made to exist, so only the binding refuses it).
    ring.rotate().await.unwrap();
    let both = ring.keys_for([&sealed]).await.unwrap();
    let mut bytes = STANDARD.decode(&sealed.0).unwrap();
    bytes[4] = 2;
    let renumbered = Sealed(STANDARD.encode(&bytes));
    assert!(matches!(
        ring.keys_for([&renumbered])
            .await
            .unwrap()
            .open(here, field::ACCESS_TOKEN, &renumbered),
        Err(KeyError::Tampered)
    ));
    // The format byte set to 1: read as a legacy value, which does not open either.
    bytes[4] = 1;
    bytes[0] = 1;
    let downgraded = Sealed(STANDARD.encode(&bytes));
    assert!(both.open(here, field::ACCESS_TOKEN, &downgraded).is_err());
    bytes[0] = 7;
    assert!(matches!(
        both.open(here, field::ACCESS_TOKEN, &Sealed(STANDARD.encode(&bytes))),
        Err(KeyError::Malformed(_))
    ));
}

#[tokio::test]
async fn a_record_sealed_in_format_1_opens_and_is_resealed() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    store
        .put_secret("test/token-key", &secret(LEGACY_SECRET))
        .await
        .unwrap();
    let legacy = TokenVault::from_secret(&secret(LEGACY_SECRET)).unwrap();
    let mut old = record("mail:9");
    old.access_token = Some(
        legacy
            .seal(&tag_of("mail:9"), field::ACCESS_TOKEN, &secret("at-mail:9"))
            .unwrap(),
    );
    old.refresh_token = Some(
        legacy
            .seal(
                &tag_of("mail:9"),
                field::REFRESH_TOKEN,
                &secret("rt-mail:9"),
            )
            .unwrap(),
    );
    store.create_token(&old).await.unwrap();

    let ring = keyring(&store, Duration::ZERO);
    let tags = vec!["mail:9".to_string()];
    read_all(&store, &ring, &tags).await;
    assert_eq!(
        reseal::usage(store.as_ref())
            .await
            .unwrap()
            .of(SealedBy::Legacy),
        1
    );
    let report = reseal::reseal_next(store.as_ref(), &ring, 10, crate::clock::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.resealed, 1);
    let usage = reseal::usage(store.as_ref()).await.unwrap();
    assert_eq!(
        (
            usage.of(SealedBy::Legacy),
            usage.of(SealedBy::Version(KeyNumber(1)))
        ),
        (0, 1)
    );
    read_all(&store, &ring, &tags).await;
    // The pass is complete: the sweep has nothing more to do.
    assert!(
        reseal::reseal_next(store.as_ref(), &ring, 10, crate::clock::now())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_record_whose_refresh_lease_is_held_is_left_for_the_next_pass() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let ring = keyring(&store, Duration::ZERO);
    let keys = ring.sealing().await.unwrap();
    let mut leased = sealed_record("mail:1", &keys);
    leased.lease_owner = Some("refresher".into());
    leased.lease_until = Some(crate::clock::now() + 60);
    store.create_token(&leased).await.unwrap();
    ring.rotate().await.unwrap();

    let report = reseal::reseal_next(store.as_ref(), &ring, 10, crate::clock::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.resealed, report.deferred), (0, 1));
    let stored = store.get_token(&tag_of("mail:1")).await.unwrap().unwrap();
    assert_eq!(
        stored.access_token, leased.access_token,
        "a leased record is not written"
    );
    // The pass left one: the next run starts a new pass, which re-seals it once the lease ends.
    let later = crate::clock::now() + 120;
    let report = reseal::reseal_next(store.as_ref(), &ring, 10, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.resealed, 1);
}

#[tokio::test]
async fn retiring_waits_one_cache_period_after_the_rotation() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let ring = keyring(&store, Duration::from_secs(300));
    ring.sealing().await.unwrap();
    let v2 = ring.rotate().await.unwrap();
    let err = ring
        .retire(KeyNumber(1), 0, v2.created + 10)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("290 s"), "{err}");
    assert!(ring.retire(KeyNumber(1), 0, v2.created + 300).await.is_ok());
}

#[tokio::test]
async fn a_reseal_pass_goes_on_and_ends_with_a_warm_key_cache() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let ring = keyring(&store, Duration::from_secs(300));
    let keys = ring.sealing().await.unwrap();
    for i in 0..3 {
        store
            .create_token(&sealed_record(&format!("warm:{i}"), &keys))
            .await
            .unwrap();
    }
    ring.rotate().await.unwrap();
    let mut batches = 0;
    while reseal::reseal_next(store.as_ref(), &ring, 1, crate::clock::now())
        .await
        .unwrap()
        .is_some()
    {
        batches += 1;
        assert!(
            batches <= 3,
            "the pass goes on where the last batch stopped"
        );
    }
    assert_eq!(batches, 3);
}

#[tokio::test]
async fn secret_captured_values_are_counted_resealed_with_their_record_and_keep_opening() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    store
        .put_secret("test/token-key", &secret(LEGACY_SECRET))
        .await
        .unwrap();
    let ring = keyring(&store, Duration::ZERO);
    let keys = ring.sealing().await.unwrap();
    let mut r = sealed_record("crm:1", &keys);
    r.connection_id = Some("c-1".into());
    r.access_token = Some(
        keys.seal(record_id(&r), field::ACCESS_TOKEN, &secret("at-crm:1"))
            .unwrap(),
    );
    r.refresh_token = None;
    let signature = keys
        .seal(
            record_id(&r),
            &field::metadata("signature"),
            &secret("sig-1"),
        )
        .unwrap();
    r.sealed_metadata.insert("signature".into(), signature);
    // A value sealed before format 2 (as the first release of captured values did): bound to
    // the tag only.
    let legacy = TokenVault::from_secret(&secret(LEGACY_SECRET)).unwrap();
    let old = legacy
        .seal(&r.tag, &field::metadata("realm"), &secret("realm-9"))
        .unwrap();
    r.sealed_metadata.insert("realm".into(), old);
    store.create_token(&r).await.unwrap();

    let usage = reseal::usage(store.as_ref()).await.unwrap();
    assert_eq!(
        (
            usage.of(SealedBy::Legacy),
            usage.of(SealedBy::Version(KeyNumber(1)))
        ),
        (1, 1)
    );
    ring.rotate().await.unwrap();
    let report = reseal::reseal_next(store.as_ref(), &ring, 10, crate::clock::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.resealed, 1);
    let usage = reseal::usage(store.as_ref()).await.unwrap();
    assert_eq!(
        (
            usage.of(SealedBy::Legacy),
            usage.of(SealedBy::Version(KeyNumber(1))),
            usage.of(SealedBy::Version(KeyNumber(2)))
        ),
        (0, 0, 1)
    );
    // Version 1 seals nothing now, so it may be retired; every value still opens.
    ring.retire(KeyNumber(1), 0, crate::clock::now())
        .await
        .unwrap();
    let stored = store.get_token(&tag_of("crm:1")).await.unwrap().unwrap();
    let values: Vec<&Sealed> = reseal::sealed_fields(&stored)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values.len(), 3);
    let keys = ring.keys_for(values).await.unwrap();
    for (name, expected) in [("signature", "sig-1"), ("realm", "realm-9")] {
        let sealed = &stored.sealed_metadata[name];
        assert!(keys.is_current(sealed), "{name} is under version 2");
        let opened = keys
            .open(record_id(&stored), &field::metadata(name), sealed)
            .unwrap();
        assert_eq!(opened.expose_secret(), expected);
    }
    // Bound to its name: under another name it does not open.
    assert!(matches!(
        keys.open(
            record_id(&stored),
            &field::metadata("realm"),
            &stored.sealed_metadata["signature"]
        ),
        Err(KeyError::Tampered)
    ));
}
