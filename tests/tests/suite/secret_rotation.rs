//! Secrets that rotate without a gap, on both stores: while the webhook key's rotation is
//! pending, every delivery carries a signature under each key, so a receiver that still holds the
//! old key and one that has the new key both accept it; after `confirm`, only the new key signs.
//! Likewise a WordPress plugin still on the previous token keeps answering logins until `confirm`.

use authbridge::events::webhook::verify;
use authbridge::events::{Event, EventKind, Events};
use authbridge::secrets::rotation;
use authbridge::secrets::{ExposeSecret, SecretString};
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

/// While a client secret's rotation is pending (a new secret set through `ClientAdmin`, as the
/// console and `clients update` do), a refresh the provider refuses with `invalid_client` (it
/// does not know the new secret yet) goes through with the previous secret; another new secret is
/// refused until the rotation is confirmed; after `confirm_secret`, the refusal stands.
async fn a_refresh_uses_the_previous_client_secret_while_its_rotation_is_pending(b: Backend) {
    use authbridge::clients::{ClientAdmin, ClientAdminError, ClientChanges, SecretChange};
    use authbridge_tests::oidc;
    use authbridge_tests::stack::{self, TEST_API_TOKEN};
    use authbridge_tests::tokens::{self, send};

    let Some(issuer) = oidc::issuer() else { return };
    let (s, _) = tokens::stack_on(b, &issuer).await;
    let record = tokens::connect(&s, "rotating:1").await;
    let admin = ClientAdmin {
        app: &s.stack.oauth.app,
        providers: &s.stack.oauth.providers,
    };
    let id = &record.client_id;
    let new_secret = |value: &str| ClientChanges {
        secret: Some(SecretString::from(value)),
        ..Default::default()
    };
    let before = admin.secret_state(id).await.unwrap();
    assert!(before.stored && !before.rotation_pending, "{before:?}");
    let (_, change) = admin
        .update_reporting(id, new_secret("a-secret-the-provider-does-not-know"))
        .await
        .expect("rotating the client secret");
    assert_eq!(change, Some(SecretChange::Rotated));
    let pending = admin.secret_state(id).await.unwrap();
    assert!(pending.rotation_pending, "{pending:?}");
    assert!(pending.last_set.is_some(), "{pending:?}");

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

    // A third secret would drop the one the provider still uses: refused, and nothing changes.
    let refused = admin.update(id, new_secret("a-third-secret")).await;
    assert!(
        matches!(refused, Err(ClientAdminError::RotationPending { .. })),
        "{refused:?}"
    );
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("confirm the pending rotation first"),
        "{message}"
    );
    assert!(!message.contains("a-third-secret"), "{message}");
    let (status, _, body) = refresh().await;
    assert_eq!(status, 200, "the previous secret still works: {body}");

    assert!(admin.confirm_secret(id).await.unwrap());
    assert!(
        !admin.confirm_secret(id).await.unwrap(),
        "nothing left to confirm"
    );
    assert!(!admin.secret_state(id).await.unwrap().rotation_pending);
    let (status, _, body) = refresh().await;
    assert_ne!(status, 200, "only the new, unknown secret is left: {body}");
}

/// A client without a secret gets its first one as is (nothing to rotate, nothing pending); a
/// second one rotates it; deleting the client removes both values.
async fn a_first_client_secret_is_set_and_a_second_rotates_it(b: Backend) {
    use authbridge::clients::{
        ClientAdmin, ClientAdminError, ClientChanges, NewClient, SecretChange,
    };
    use authbridge_tests::stack::{self, StackOptions};

    let s = stack::start(b, StackOptions::default()).await;
    let app = &s.stack.oauth.app;
    let admin = ClientAdmin {
        app,
        providers: &s.stack.oauth.providers,
    };
    let client = admin
        .create(NewClient {
            provider: "ms-exchange".into(),
            guid: "no-secret-yet".into(),
            secret: None,
            tenant: None,
            options: Default::default(),
        })
        .await
        .unwrap();
    let id = &client.id;
    let name = client.secret_name(&app.config.secret_prefix);
    let state = admin.secret_state(id).await.unwrap();
    assert!(!state.stored && state.last_set.is_none() && !state.rotation_pending);
    assert!(matches!(
        admin.confirm_secret(id).await,
        Err(ClientAdminError::NoSecret(_))
    ));

    let new_secret = |value: &str| ClientChanges {
        secret: Some(SecretString::from(value)),
        ..Default::default()
    };
    let (_, change) = admin
        .update_reporting(id, new_secret("first"))
        .await
        .unwrap();
    assert_eq!(change, Some(SecretChange::Set));
    let state = admin.secret_state(id).await.unwrap();
    assert!(state.stored && state.last_set.is_some() && !state.rotation_pending);

    let (_, change) = admin
        .update_reporting(id, new_secret("second"))
        .await
        .unwrap();
    assert_eq!(change, Some(SecretChange::Rotated));
    let versions = rotation::versions(app.secrets.as_ref(), &name)
        .await
        .unwrap()
        .expect("the secret");
    let exposed: Vec<&str> = versions.in_order().map(|v| v.expose_secret()).collect();
    assert_eq!(exposed, ["second", "first"]);

    assert!(admin.delete(id).await.unwrap());
    for gone in [name.clone(), rotation::previous_name(&name)] {
        assert!(
            app.secrets.get_secret(&gone).await.unwrap().is_none(),
            "{gone}"
        );
    }
}

mod client_secret {
    use super::*;
    on_both_backends!(
        a_refresh_uses_the_previous_client_secret_while_its_rotation_is_pending,
        a_first_client_secret_is_set_and_a_second_rotates_it,
    );
}
