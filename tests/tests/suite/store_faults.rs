//! Faults between the SDK and DynamoDB / Secrets Manager: the emulator behind a fault-injecting
//! proxy ([`authbridge_tests::faults`]) that answers about one request in ten with a 500, a
//! throttling error, a delay, or a 500 after the write was made (a lost answer).
//!
//! What a caller of the store must see: every write that took effect reported as a success (a
//! retried create that meets its own item, a version-checked update that meets the version it
//! wrote); a write that did not take effect reported as `Unavailable` (never as "already exists" or
//! "stale version"); and, while the store stays down, 503 with `Retry-After`.
//!
//! The workloads run one call at a time, so the seeded draws give the same run every time
//! (`AUTHBRIDGE_TEST_FAULT_SEED`, default [`faults::DEFAULT_SEED`]).

use authbridge::domain::user::UserSource;
use authbridge::domain::{ClientId, FlowState, OAuthClient, Session, User, UserId};
use authbridge::http::ApiError;
use authbridge::secrets::{ExposeSecret, SecretString};
use authbridge::store::dynamo::DynamoStore;
use authbridge::store::{StoreError, Taken};
use authbridge::store::{TokenStore, UserStore};
use authbridge_tests::faults::{self, FaultProxy, FaultRates};
use authbridge_tests::login::email_of;
use authbridge_tests::stack::{self, StackOptions, TEST_API_TOKEN};
use authbridge_tests::tokens::sample_record;
use authbridge_tests::tokens::tag_of;
use authbridge_tests::{Backend, dynamo_backend_at, dynamodb_client, emulator_endpoint, unique};

const ROUNDS: usize = 40;

/// A failed write must be an outage, never a false refusal.
fn outage_only(what: &str, err: StoreError) {
    assert!(
        matches!(err, StoreError::Unavailable { .. }),
        "{what}: a write failed with something other than an outage: {err}"
    );
}

async fn faulty_backend(rates: FaultRates) -> Option<(FaultProxy, Backend)> {
    let emulator = emulator_endpoint()?;
    let proxy = FaultProxy::start(&emulator, rates, faults::seed()).await;
    let backend = dynamo_backend_at(&proxy.endpoint).await;
    Some((proxy, backend))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_that_took_effect_are_never_reported_as_failed() {
    let Some((proxy, backend)) = faulty_backend(FaultRates::TEN_PERCENT).await else {
        return;
    };
    let stores = &backend.stores;
    let now = authbridge::clock::now();
    let (mut ok, mut outages) = (0, 0);
    // The version each token record and each user must have, as its writer last learnt it.
    let (mut expected, mut users_expected) = (Vec::new(), Vec::new());

    for i in 0..ROUNDS {
        // A token record: created, then updated three times, each version-checked.
        let tag = format!("t{i}");
        match stores.tokens.create_token(&sample_record(&tag)).await {
            Ok(()) => ok += 1,
            Err(e) => {
                outage_only("create_token", e);
                outages += 1;
                continue;
            }
        }
        let mut current = sample_record(&tag);
        for round in 0..3 {
            current.modified = now + round;
            match stores.tokens.update_token(&current).await {
                Ok(saved) => {
                    ok += 1;
                    current = saved;
                }
                Err(e) => {
                    outage_only("update_token", e);
                    outages += 1;
                    // Read the truth back before going on, as a caller retrying would.
                    if let Ok(Some(stored)) = stores.tokens.get_token(&tag_of(&tag)).await {
                        current = stored;
                    }
                }
            }
        }
        expected.push((tag.clone(), current.version));

        // A session, a flow state opened and taken, a client.
        let session = Session {
            key: unique("session"),
            user_id: UserId::generate(),
            created: now,
            expires_at: now + 3600,
            generation: 0,
        };
        match stores.sessions.put_session(&session).await {
            Ok(()) => ok += 1,
            Err(e) => {
                outage_only("put_session", e);
                outages += 1;
            }
        }
        let flow = FlowState {
            key: unique("state"),
            client_id: ClientId::generate(),
            scopes: vec![],
            tag: tag_of(&tag),
            landing_url: None,
            prompt: None,
            pkce_verifier: "v".repeat(43),
            redirect_uri: "http://127.0.0.1:3000/oauth/return".into(),
            created: now,
            expires_at: now + 600,
            replace: false,
            owner: None,
            created_by: "tests".into(),
            binding: None,
            connection: Default::default(),
        };
        match stores.flow_states.put_flow_state(&flow).await {
            Ok(()) => ok += 1,
            Err(e) => {
                outage_only("put_flow_state", e);
                outages += 1;
                continue;
            }
        }
        match stores
            .flow_states
            .open_flow_state(&flow.key, "b", now)
            .await
        {
            Ok(authbridge::store::Opened::Opened(_)) => ok += 1,
            Ok(other) => panic!("open_flow_state of a fresh flow answered {other:?}"),
            Err(e) => {
                outage_only("open_flow_state", e);
                outages += 1;
            }
        }
        let client = OAuthClient {
            id: ClientId::generate(),
            guid: format!("g{i}"),
            provider: "gmail".into(),
            tenant: None,
            options: Default::default(),
            is_active: true,
            created: now,
            modified: now,
            version: 0,
        };
        match stores.clients.create_client(&client).await {
            Ok(()) => ok += 1,
            Err(e) => {
                outage_only("create_client", e);
                outages += 1;
            }
        }
        let name = unique("secret");
        match backend
            .secrets
            .put_secret(&name, &SecretString::from(format!("value-{i}")))
            .await
        {
            Ok(()) => ok += 1,
            Err(e) => panic!("put_secret failed: {e}"),
        }

        // A user, created, then signed in twice (each a version-checked update that keeps the
        // e-mail: one conditional put).
        let mut person = User::new(
            email_of(&format!("user{i}@example.org")),
            UserSource::Local,
            now,
        );
        match stores.users.create_user(&person, None).await {
            Ok(()) => ok += 1,
            Err(e) => {
                outage_only("create_user", e);
                outages += 1;
                continue;
            }
        }
        for round in 0..2 {
            person.current_sign_in_at = Some(now + round);
            match stores.users.update_user(&person).await {
                Ok(saved) => {
                    ok += 1;
                    person = saved;
                }
                Err(e) => {
                    outage_only("update_user", e);
                    outages += 1;
                    if let Ok(Some(stored)) = stores.users.get_user(&person.id).await {
                        person = stored;
                    }
                }
            }
        }
        users_expected.push((person.id, person.version));
    }

    let injected = proxy.injected();
    eprintln!("faults injected: {injected:?}; writes: {ok} ok, {outages} outages");
    assert!(
        injected.lost_answers > 0 && injected.server_errors > 0 && injected.throttles > 0,
        "the run met every kind of fault: {injected:?}"
    );
    assert!(
        outages * 20 <= ok,
        "outages stay rare with the SDK's retries: {outages} of {}",
        ok + outages
    );

    // Every record reads back, straight from the emulator, as its writer was told it is.
    let table = backend.dynamo().expect("a DynamoDB backend").table();
    let clean = DynamoStore::new(
        dynamodb_client(&emulator_endpoint().expect("the emulator")),
        table,
    );
    for (tag, version) in expected {
        let stored = clean
            .get_token(&tag_of(&tag))
            .await
            .unwrap()
            .expect("a stored record");
        assert_eq!(stored.version, version, "{tag}");
    }
    for (id, version) in users_expected {
        let stored = clean.get_user(&id).await.unwrap().expect("a stored user");
        assert_eq!(stored.version, version, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_stays_down_answers_503_with_retry_after() {
    let none = FaultRates {
        server_error: 0,
        throttle: 0,
        delay: 0,
        lost_answer: 0,
    };
    let Some((proxy, backend)) = faulty_backend(none).await else {
        return;
    };
    let s = stack::start(backend, StackOptions::default()).await;
    let stores = &s.stack.app.stores;
    let now = authbridge::clock::now();
    stores
        .tokens
        .create_token(&sample_record("svc"))
        .await
        .unwrap();
    let name = format!("{}probe", s.stack.app.config.secret_prefix);
    s.stack
        .app
        .secrets
        .put_secret(&name, &SecretString::from("v"))
        .await
        .unwrap();

    proxy.set_down(true);
    let err = stores.tokens.get_token(&tag_of("svc")).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err}");
    let api = ApiError::from(err);
    assert_eq!(api.status, 503);
    assert_eq!(api.body()["error"], "store_unavailable");
    assert!(api.retry_after.is_some());
    let secret = s
        .stack
        .app
        .secrets
        .get_secret(&unique("x"))
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(secret).status, 503);

    // Over HTTP: the API token check itself reads the store.
    let response = stack::http()
        .get(s.url("/tokens/svc"))
        .bearer_auth(TEST_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_some());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "store_unavailable");

    // Back up: the same calls work, nothing was lost.
    proxy.set_down(false);
    assert_eq!(
        stores
            .tokens
            .get_token(&tag_of("svc"))
            .await
            .unwrap()
            .map(|t| t.tag),
        Some(tag_of("svc"))
    );
    let value = s
        .stack
        .app
        .secrets
        .get_secret(&name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(value.expose_secret(), "v");
    assert!(matches!(
        stores
            .flow_states
            .take_flow_state("never", now)
            .await
            .unwrap(),
        Taken::Absent
    ));
}
