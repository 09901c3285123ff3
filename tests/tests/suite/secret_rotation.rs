//! Secrets that rotate without a gap, on both stores: while the webhook key's rotation is
//! pending, every delivery carries a signature under each key, so a receiver that still holds the
//! old key and one that has the new key both accept it; after `confirm`, only the new key signs.

use authbridge::events::webhook::verify;
use authbridge::events::{Event, EventKind, Events};
use authbridge::secrets::SecretString;
use authbridge::secrets::rotation;
use authbridge_tests::webhook::{HOOK_KEY, receiver, settings as webhook_settings};
use authbridge_tests::{Backend, on_both_backends};

/// Every delivery `received` got: its timestamp, signature header and body.
fn deliveries(received: &authbridge_tests::webhook::Received) -> Vec<(i64, String, String)> {
    received
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(timestamp, signature, body)| {
            (
                timestamp.as_deref().unwrap().parse().unwrap(),
                signature.clone().unwrap(),
                body.clone(),
            )
        })
        .collect()
}

async fn the_webhook_is_signed_under_both_keys_while_its_rotation_is_pending(backend: Backend) {
    let (hook, received, server) = receiver(0).await;
    let settings = webhook_settings(&backend, &hook).await;
    let name = settings.webhook_secret.clone().unwrap();
    let events = Events::new(&settings, None, backend.secrets.clone());
    let new_key = "the-new-hook-signing-key-9876";
    rotation::rotate(
        backend.secrets.as_ref(),
        &name,
        &SecretString::from(new_key),
    )
    .await
    .expect("rotating the webhook key");

    events
        .publish(Event::user(
            EventKind::UserSynced,
            "u-1",
            authbridge::clock::now(),
        ))
        .await;
    let now = authbridge::clock::now();
    let [(timestamp, signature, body)] = &deliveries(&received)[..] else {
        panic!("one delivery");
    };
    for key in [HOOK_KEY, new_key] {
        assert!(
            verify(key.as_bytes(), *timestamp, body.as_bytes(), signature, now),
            "a receiver holding {key:?} accepts it: {signature}"
        );
    }
    assert!(!verify(
        b"a-third-key",
        *timestamp,
        body.as_bytes(),
        signature,
        now
    ));

    rotation::confirm(backend.secrets.as_ref(), &name)
        .await
        .expect("confirming the rotation");
    // A new context (a cold start): the cache in front of the secret store holds nothing old.
    let events = Events::new(&settings, None, backend.secrets.clone());
    events
        .publish(Event::user(
            EventKind::UserSynced,
            "u-2",
            authbridge::clock::now(),
        ))
        .await;
    let all = deliveries(&received);
    let (timestamp, signature, body) = &all[1];
    assert!(verify(
        new_key.as_bytes(),
        *timestamp,
        body.as_bytes(),
        signature,
        now
    ));
    assert!(
        !verify(
            HOOK_KEY.as_bytes(),
            *timestamp,
            body.as_bytes(),
            signature,
            now
        ),
        "after confirm the old key signs no more"
    );
    server.abort();
}

on_both_backends!(the_webhook_is_signed_under_both_keys_while_its_rotation_is_pending);
