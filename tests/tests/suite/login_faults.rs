//! Logins through the fault proxy ([`authbridge_tests::faults`]): DynamoDB answers about one
//! request in ten with a 500, a throttling error, a delay, or a 500 after the write was made.
//!
//! What a client must see: a right password answers 200 or 503 `store_unavailable` with
//! `Retry-After`, never 401 and never 500 (no write that took effect is reported as failed); a
//! wrong password answers 401 or 503; a session handed out is accepted (or the check answers
//! 503); and with the store down, every login answers 503 with `Retry-After`.
//!
//! The first workload runs one call at a time, so the seeded draws give the same run every time
//! (`AUTHBRIDGE_TEST_FAULT_SEED`, default [`faults::DEFAULT_SEED`]).

use authbridge_tests::login::email_of;
use std::collections::BTreeMap;

use authbridge::login::LoginSettings;
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge::store::UserStore;
use authbridge::store::dynamo::DynamoStore;
use authbridge_tests::faults::{self, FaultProxy, FaultRates};
use authbridge_tests::login::{self, Answer, login, me, user};
use authbridge_tests::stack::TestStack;
use authbridge_tests::{dynamo_backend_at, dynamodb_client, emulator_endpoint, unique};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

/// [`PASSWORD`] as an imported MD5 hash, upgraded at a login.
const MD5_HASH: &str = "9cc2ae8a1ba7a93da39b46fc1019c481";

const ROUNDS: usize = 30;

/// A stack on a fresh table behind the proxy, with limits no workload reaches, and `users` written
/// straight to the emulator (so the setup meets no fault).
async fn faulty_stack(
    rates: FaultRates,
    users: &[(String, String)],
) -> Option<(FaultProxy, TestStack)> {
    let emulator = emulator_endpoint()?;
    let proxy = FaultProxy::start(&emulator, rates, faults::seed()).await;
    let backend = dynamo_backend_at(&proxy.endpoint).await;
    let clean = DynamoStore::new(
        dynamodb_client(&emulator),
        backend.dynamo().expect("a DynamoDB backend").table(),
    );
    for (email, hash) in users {
        clean
            .create_user(&user(email, Some(hash)), None)
            .await
            .expect("creating a user");
    }
    let mut settings = LoginSettings::default();
    settings.throttle.per_account = 1000;
    settings.throttle.per_address = 1000;
    Some((proxy, login::start(backend, None, settings).await))
}

fn users() -> Vec<(String, String)> {
    let argon2 = hash_password(&SecretString::from(PASSWORD)).unwrap().0;
    let mut users: Vec<(String, String)> = (0..4)
        .map(|_| (format!("{}@example.org", unique("user")), argon2.clone()))
        .collect();
    users.push((format!("{}@example.org", unique("md5")), MD5_HASH.into()));
    users
}

/// A store outage: 503 `store_unavailable` with a `Retry-After`.
fn is_outage(answer: &Answer) -> bool {
    answer.status == 503
        && answer.body["error"] == "store_unavailable"
        && answer.retry_after.is_some_and(|s| s > 0)
}

/// Tallies answers by status, and fails on any the faults must never cause.
#[derive(Default, Debug)]
struct Tally(BTreeMap<&'static str, usize>);

impl Tally {
    fn right_password(&mut self, answer: &Answer) {
        match answer.status {
            200 => self.count("login 200"),
            _ if is_outage(answer) => self.count("login 503"),
            _ => panic!("a right password answered {answer:?}"),
        }
    }

    fn wrong_password(&mut self, answer: &Answer) {
        match answer.status {
            401 => self.count("wrong 401"),
            _ if is_outage(answer) => self.count("wrong 503"),
            _ => panic!("a wrong password answered {answer:?}"),
        }
    }

    fn session(&mut self, answer: &Answer) {
        match answer.status {
            200 => self.count("me 200"),
            503 if answer.retry_after.is_some() => self.count("me 503"),
            _ => panic!("a session just handed out answered {answer:?}"),
        }
    }

    fn count(&mut self, what: &'static str) {
        *self.0.entry(what).or_default() += 1;
    }

    fn get(&self, what: &str) -> usize {
        self.0.get(what).copied().unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_through_faults_are_never_a_false_refusal_or_a_500() {
    let users = users();
    let Some((proxy, stack)) = faulty_stack(FaultRates::TEN_PERCENT, &users).await else {
        return;
    };
    let mut tally = Tally::default();
    for round in 0..ROUNDS {
        let (email, _) = &users[round % users.len()];
        let answer = login(&stack, json!({"email": email, "password": PASSWORD})).await;
        tally.right_password(&answer);
        if answer.status == 200 {
            tally.session(&me(&stack, Some(&answer.token())).await);
        }
        if round % 3 == 0 {
            let wrong = login(&stack, json!({"email": email, "password": "a guess"})).await;
            tally.wrong_password(&wrong);
        }
    }

    // Concurrent logins of one account through the same faults.
    let (email, _) = &users[0];
    let burst = futures::future::join_all(
        (0..20).map(|_| login(&stack, json!({"email": email, "password": PASSWORD}))),
    )
    .await;
    for answer in &burst {
        tally.right_password(answer);
    }

    let injected = proxy.injected();
    eprintln!("faults injected: {injected:?}; answers: {tally:?}");
    assert!(
        injected.lost_answers > 0 && injected.server_errors > 0 && injected.throttles > 0,
        "the run met every kind of fault: {injected:?}"
    );
    let logins = ROUNDS + burst.len();
    assert!(
        tally.get("login 503") * 10 <= logins,
        "outages stay rare with the SDK's retries: {tally:?}"
    );

    // Every user is still usable, read straight from the emulator.
    let clean = DynamoStore::new(
        dynamodb_client(&emulator_endpoint().expect("the emulator")),
        stack.backend.dynamo().expect("DynamoDB").table(),
    );
    for (email, _) in &users {
        let stored = clean.find_user_by_email(&email_of(email)).await.unwrap();
        assert!(
            stored.is_some_and(|u| u.active && u.password_hash.is_some()),
            "{email}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_with_the_store_down_answers_503_with_retry_after() {
    let none = FaultRates {
        server_error: 0,
        throttle: 0,
        delay: 0,
        lost_answer: 0,
    };
    let users = users();
    let Some((proxy, stack)) = faulty_stack(none, &users).await else {
        return;
    };
    let (email, _) = &users[0];
    let answer = login(&stack, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let token = answer.token();

    proxy.set_down(true);
    for password in [PASSWORD, "a guess"] {
        let down = login(&stack, json!({"email": email, "password": password})).await;
        assert!(is_outage(&down), "{down:?}");
    }
    let check = me(&stack, Some(&token)).await;
    assert_eq!(check.status, 503, "{check:?}");
    assert!(check.retry_after.is_some());

    proxy.set_down(false);
    let back = login(&stack, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(back.status, 200, "{back:?}");
    assert_eq!(me(&stack, Some(&token)).await.status, 200);
}
