//! Bursts of logins over HTTP on a test stack, on the embedded store and on DynamoDB: concurrent
//! logins of one account all succeed (the sign-in bookkeeping never fails a login that
//! verified, a hash upgrade included; first logins through WordPress too); a burst of right-password logins from one address is not
//! throttled (failures are counted, not attempts); guesses at one account or from one address
//! stay bounded by the limits, at most the limit plus the guesses in flight.

use std::time::Duration;

use authbridge::login::LoginSettings;
use authbridge::oauth::outbound::Timeouts;
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge_tests::login::{self, Answer, login, me, save_user, stored_user, user};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, StackOptions, TestStack};
use authbridge_tests::wordpress::{Account, WORDPRESS_TOKEN, WordpressStandIn};
use authbridge_tests::{Backend, unique};
use futures::StreamExt;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// [`PASSWORD`] as an imported MD5 hash: every login of it upgrades the stored hash.
const MD5_HASH: &str = "9cc2ae8a1ba7a93da39b46fc1019c481";

/// Guesses sent at once, at most, in the bounded-guessing tests.
const IN_FLIGHT: usize = 5;

async fn stack(b: Backend, tune: impl FnOnce(&mut LoginSettings)) -> TestStack {
    let mut settings = LoginSettings::default();
    tune(&mut settings);
    login::start(b, None, settings).await
}

fn argon2(password: &str) -> String {
    hash_password(&SecretString::from(password)).unwrap().0
}

/// All `bodies` posted at once.
async fn burst(stack: &TestStack, bodies: Vec<Value>) -> Vec<Answer> {
    futures::future::join_all(bodies.into_iter().map(|body| login(stack, body))).await
}

/// `bodies` posted with at most [`IN_FLIGHT`] at a time.
async fn stream(stack: &TestStack, bodies: Vec<Value>) -> Vec<Answer> {
    futures::stream::iter(bodies.into_iter().map(|body| login(stack, body)))
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await
}

fn statuses(answers: &[Answer]) -> Vec<u16> {
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort_unstable();
    statuses
}

async fn concurrent_logins_of_one_account_all_succeed(b: Backend) {
    let stack = stack(b, |_| {}).await;
    let email = format!("{}@example.org", unique("ada"));
    // An imported hash: every one of the concurrent logins verifies it and wants to upgrade it.
    save_user(&stack, user(&email, Some(MD5_HASH)), None).await;

    let answers = burst(
        &stack,
        vec![json!({"email": email, "password": PASSWORD}); 30],
    )
    .await;
    let failed: Vec<&Answer> = answers.iter().filter(|a| a.status != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of 30 failed: {failed:?}",
        failed.len()
    );
    // Every session stands (the emulator's transactions are made atomic by infra/moto-server.py,
    // as DynamoDB's are: a failed sign-in race does not undo a session put that landed meanwhile).
    for answer in &answers {
        let found = me(&stack, Some(&answer.token())).await;
        assert_eq!(found.status, 200, "every session stands: {found:?}");
    }
    let stored = stored_user(&stack, &email).await.unwrap();
    assert!(
        stored
            .password_hash
            .is_some_and(|h| h.0.starts_with("$argon2id$")),
        "the hash was upgraded"
    );
    assert!(stored.current_sign_in_at.is_some());
    assert_eq!(
        login(&stack, json!({"email": email, "password": PASSWORD}))
            .await
            .status,
        200,
        "the upgraded hash verifies"
    );
}

/// Concurrent first logins of one WordPress account (the stand-in): they race to create and link
/// the local user, and every one succeeds with the same user.
async fn concurrent_first_logins_of_one_wordpress_account_all_succeed(b: Backend) {
    let site = WordpressStandIn::start(vec![Account::new(
        321,
        "grace.hopper",
        "grace@example.com",
        PASSWORD,
    )])
    .await;
    // The test stacks' 1 s WordPress timeout is for a site that hangs; twenty logins at once on a
    // shared machine may take longer than that to be asked and answered.
    let secret = format!("{}/wordpress-token", unique("authbridge-test"));
    b.secrets
        .put_secret(&secret, &SecretString::from(WORDPRESS_TOKEN))
        .await
        .expect("storing the WordPress token");
    let mut wordpress = login::wordpress_settings(&site, &secret);
    wordpress.timeouts = Timeouts {
        connect: Duration::from_secs(10),
        total: Duration::from_secs(10),
    };
    let settings = LoginSettings {
        wordpress: Some(wordpress),
        ..LoginSettings::default()
    };
    let stack = stack::start_with_login(b, StackOptions::default(), settings).await;
    let bodies = (0..20)
        .map(|i| match i % 2 {
            0 => json!({"username": "grace.hopper", "password": PASSWORD}),
            _ => json!({"email": "grace@example.com", "password": PASSWORD}),
        })
        .collect();
    let answers = burst(&stack, bodies).await;
    let failed: Vec<&Answer> = answers.iter().filter(|a| a.status != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of 20 failed: {failed:?}",
        failed.len()
    );
    let user = stored_user(&stack, "grace@example.com")
        .await
        .expect("the migrated user");
    for answer in &answers {
        assert_eq!(answer.body["user"]["id"], user.id.to_string());
    }
    let link = stack
        .backend
        .stores
        .users
        .get_wordpress_link(321)
        .await
        .unwrap()
        .expect("the link");
    assert_eq!(link.user_id, user.id);
    assert_eq!(user.wordpress_id, Some(321));
}

async fn a_burst_of_right_password_logins_from_one_address_is_not_throttled(b: Backend) {
    // The default limits: 5 failures per account, 20 per address.
    let stack = stack(b, |_| {}).await;
    let hash = argon2(PASSWORD);
    let mut bodies = Vec::new();
    for _ in 0..5 {
        let email = format!("{}@example.org", unique("user"));
        save_user(&stack, user(&email, Some(&hash)), None).await;
        bodies.extend(vec![json!({"email": email, "password": PASSWORD}); 10]);
    }
    let answers = burst(&stack, bodies).await;
    assert_eq!(statuses(&answers), vec![200; 50]);
}

async fn guesses_at_one_account_stay_bounded(b: Backend) {
    let limit = 3;
    let stack = stack(b, |s| {
        s.throttle.per_account = limit;
        s.throttle.per_address = 1000;
    })
    .await;
    let email = format!("{}@example.org", unique("ada"));
    save_user(&stack, user(&email, Some(&argon2(PASSWORD))), None).await;
    let guesses = (0..40)
        .map(|i| json!({"email": email, "password": format!("guess {i}")}))
        .collect();
    let answers = stream(&stack, guesses).await;
    let checked = answers.iter().filter(|a| a.status == 401).count();
    let throttled = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(checked + throttled, 40, "{:?}", statuses(&answers));
    assert!(
        (limit as usize..=limit as usize + IN_FLIGHT).contains(&checked),
        "{checked} guesses were checked; the limit is {limit} with {IN_FLIGHT} in flight"
    );
    let right = login(&stack, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(right.status, 429, "{right:?}");
}

async fn guesses_from_one_address_stay_bounded(b: Backend) {
    let limit = 4;
    let stack = stack(b, |s| {
        s.throttle.per_account = 1000;
        s.throttle.per_address = limit;
    })
    .await;
    let email = format!("{}@example.org", unique("ada"));
    save_user(&stack, user(&email, Some(&argon2(PASSWORD))), None).await;
    let guesses = (0..40)
        .map(|i| json!({"email": format!("nobody{i}@example.org"), "password": "guess"}))
        .collect();
    let answers = stream(&stack, guesses).await;
    let checked = answers.iter().filter(|a| a.status == 401).count();
    let throttled = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(checked + throttled, 40, "{:?}", statuses(&answers));
    assert!(
        (limit as usize..=limit as usize + IN_FLIGHT).contains(&checked),
        "{checked} guesses were checked; the limit is {limit} with {IN_FLIGHT} in flight"
    );
    let right = login(&stack, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(
        right.status, 429,
        "the address is over its limit: {right:?}"
    );
}

on_both_backends!(
    concurrent_logins_of_one_account_all_succeed,
    concurrent_first_logins_of_one_wordpress_account_all_succeed,
    a_burst_of_right_password_logins_from_one_address_is_not_throttled,
    guesses_at_one_account_stay_bounded,
    guesses_from_one_address_stay_bounded,
);
