//! Secrets that rotate without a gap, on both stores: while the webhook key's rotation is
//! pending, every delivery carries a signature under each key, so a receiver that still holds the
//! old key and one that has the new key both accept it; after `confirm`, only the new key signs.
//! Likewise a WordPress plugin still on the previous token keeps answering logins until `confirm`.

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
            &authbridge::domain::UserId::generate(),
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
            &authbridge::domain::UserId::generate(),
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

/// While the WordPress token's rotation is pending, a login WordPress must check still goes
/// through when the plugin has the previous token (authbridge tries the new one, then the
/// previous); after `confirm`, a plugin still on the old token is WordPress trouble (503).
async fn a_wordpress_login_uses_the_previous_token_while_its_rotation_is_pending(b: Backend) {
    use authbridge::login::LoginSettings;
    use authbridge_tests::login::{self, login};
    use authbridge_tests::stack::start_with_login;
    use authbridge_tests::unique;
    use authbridge_tests::wordpress::{Account, WORDPRESS_TOKEN, WordpressStandIn};

    let site = WordpressStandIn::start(vec![
        Account::new(1, "first", "first@example.org", "pw-1"),
        Account::new(2, "second", "second@example.org", "pw-2"),
    ])
    .await;
    let secret = format!("{}/wordpress-token", unique("authbridge-test"));
    backend_put(&b, &secret, WORDPRESS_TOKEN).await;
    // The operator sets the new token in authbridge before the plugin has it.
    rotation::rotate(
        b.secrets.as_ref(),
        &secret,
        &SecretString::from("the-new-wp-token"),
    )
    .await
    .expect("rotating the WordPress token");
    let secrets = b.secrets.clone();
    let settings = LoginSettings {
        wordpress: Some(login::wordpress_settings(&site, &secret)),
        ..LoginSettings::default()
    };
    let stack = start_with_login(b, Default::default(), settings).await;
    let answer = login(
        &stack,
        serde_json::json!({"email": "first@example.org", "password": "pw-1"}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");

    rotation::confirm(secrets.as_ref(), &secret).await.unwrap();
    let answer = login(
        &stack,
        serde_json::json!({"email": "second@example.org", "password": "pw-2"}),
    )
    .await;
    assert_eq!(
        answer.status, 503,
        "the plugin never got the new token: {answer:?}"
    );
}

async fn backend_put(b: &Backend, name: &str, value: &str) {
    b.secrets
        .put_secret(name, &SecretString::from(value))
        .await
        .expect("storing a secret");
}

mod webhook {
    use super::*;
    on_both_backends!(the_webhook_is_signed_under_both_keys_while_its_rotation_is_pending);
}

mod wordpress {
    use super::*;
    on_both_backends!(a_wordpress_login_uses_the_previous_token_while_its_rotation_is_pending);
}

/// While a client secret's rotation is pending, a refresh the provider refuses with
/// `invalid_client` (it does not know the new secret yet) goes through with the previous secret;
/// after `confirm`, the refusal stands.
async fn a_refresh_uses_the_previous_client_secret_while_its_rotation_is_pending(b: Backend) {
    use authbridge_tests::oidc;
    use authbridge_tests::stack::{self, TEST_API_TOKEN};
    use authbridge_tests::tokens::{self, send};

    let Some(issuer) = oidc::issuer() else { return };
    let (s, _) = tokens::stack_on(b, &issuer).await;
    let record = tokens::connect(&s, "rotating:1").await;
    let client = s
        .stack
        .app
        .stores
        .clients
        .get_client(&record.client_id)
        .await
        .unwrap()
        .expect("the client");
    let name = client.secret_name(&s.stack.app.config.secret_prefix);
    let secrets = s.stack.app.secrets.clone();
    rotation::rotate(
        secrets.as_ref(),
        &name,
        &SecretString::from("a-secret-the-provider-does-not-know"),
    )
    .await
    .expect("rotating the client secret");
    let refresh = || async {
        let (_, etag, _) = tokens::get_token(&s, "rotating:1").await;
        send(
            stack::http()
                .post(s.url("/tokens/rotating:1/refresh"))
                .bearer_auth(TEST_API_TOKEN)
                .header("if-match", etag.expect("an ETag")),
        )
        .await
    };
    let (status, _, body) = refresh().await;
    assert_eq!(status, 200, "refreshed with the previous secret: {body}");

    rotation::confirm(secrets.as_ref(), &name).await.unwrap();
    let (status, _, body) = refresh().await;
    assert_ne!(status, 200, "only the new, unknown secret is left: {body}");
}

mod client_secret {
    use super::*;
    on_both_backends!(a_refresh_uses_the_previous_client_secret_while_its_rotation_is_pending);
}
