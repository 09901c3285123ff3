//! The WordPress fallback over HTTP, against the stand-in site (`authbridge_tests::wordpress`), on
//! the embedded store and on DynamoDB: the seven cases of the reference module's own test suite,
//! then the second login without WordPress (by e-mail or by username), e-mail versus username,
//! look-alike usernames asked again as `login`, no silent take-over of a local account (and no
//! WordPress question about a password authbridge set, users stored before origins were recorded
//! included), inactive users, throttling before WordPress is asked, and 503 (never "wrong
//! password") when WordPress is in trouble.

use std::time::Duration;

use authbridge::domain::user::PasswordHash;
use authbridge::domain::{PasswordOrigin, User};
use authbridge::login::LoginSettings;
use authbridge::passwords::{hash_password, verify_password};
use authbridge::secrets::SecretString;
use authbridge_tests::login::{self, Answer, login, me, save_linked, save_user, stored_user, user};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{TestStack, start_with_login};
use authbridge_tests::wordpress::{Account, Mode, WordpressStandIn};
use authbridge_tests::{Backend, sqlite_backend, unique};
use serde_json::json;

/// The reference suite's account: WordPress ID 123, `admin.admin`, `admin@example.com`.
const EMAIL: &str = "admin@example.com";
const LOGIN: &str = "admin.admin";
const WP_PASSWORD: &str = "secret";
const LOCAL_PASSWORD: &str = "top_secret";

fn argon2(password: &str) -> String {
    hash_password(&SecretString::from(password)).unwrap().0
}

fn verifies(hash: &Option<PasswordHash>, password: &str) -> bool {
    let hash = hash.as_ref().expect("a password hash");
    verify_password(&SecretString::from(password), hash)
        .unwrap()
        .is_valid()
}

async fn site() -> WordpressStandIn {
    WordpressStandIn::start(vec![Account::new(123, LOGIN, EMAIL, WP_PASSWORD)]).await
}

async fn stack(
    b: Backend,
    site: &WordpressStandIn,
    tune: impl FnOnce(&mut LoginSettings),
) -> TestStack {
    let mut settings = LoginSettings::default();
    tune(&mut settings);
    login::start(b, Some(site), settings).await
}

/// The reference's `loadUser`: a local user with `password`, linked to `wordpress_id`.
async fn local_user(stack: &TestStack, password: &str, wordpress_id: Option<u64>) -> User {
    save_user(stack, user(EMAIL, Some(&argon2(password))), wordpress_id).await
}

async fn log_in(stack: &TestStack, name: &str, password: &str) -> Answer {
    login(stack, json!({"username": name, "password": password})).await
}

fn assert_refused(answer: &Answer) {
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.body, json!({"error": "invalid_credentials"}));
}

/// The stored user of the reference account, with its link row's target.
async fn migrated(stack: &TestStack) -> (User, Option<String>) {
    let user = stored_user(stack, EMAIL).await.expect("the local user");
    let link = stack
        .backend
        .stores
        .users
        .get_wordpress_link(123)
        .await
        .unwrap()
        .map(|l| l.user_id.to_string());
    (user, link)
}

// ----------------------------------------------------------- the reference module's seven cases

async fn valid_credentials_create_the_user_without_ext_id_referencing(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |_| {}).await;
    let answer = log_in(&stack, EMAIL, WP_PASSWORD).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["user"]["email"], EMAIL);
    assert_eq!(answer.body["user"]["source"], "wordpress");
    assert_eq!(answer.body["user"]["first_name"], "Example");
    assert_eq!(answer.body["user"]["last_name"], "Admin");
    let (user, link) = migrated(&stack).await;
    assert_eq!(link, Some(user.id.to_string()), "the link is written");
    assert_eq!(user.wordpress_id, Some(123));
    assert_eq!(user.ext_id, None);
    assert!(
        verifies(&user.password_hash, WP_PASSWORD),
        "the validated password, not a random one"
    );
    assert_eq!(me(&stack, Some(&answer.token())).await.status, 200);

    // The second login is local: WordPress is not asked again.
    let calls = site.calls();
    let again = log_in(&stack, EMAIL, WP_PASSWORD).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body["user"]["id"], user.id.to_string());
    assert_eq!(site.calls(), calls);
}

async fn valid_credentials_create_the_user_with_ext_id_referencing(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.migration.ext_id_referencing = true).await;
    assert_eq!(log_in(&stack, EMAIL, WP_PASSWORD).await.status, 200);
    let (user, link) = migrated(&stack).await;
    assert_eq!(user.ext_id.as_deref(), Some("123"));
    assert_eq!(link, Some(user.id.to_string()));
}

async fn an_existing_user_gets_the_wordpress_password_with_password_reset(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.migration.password_reset = true).await;
    let existing = local_user(&stack, LOCAL_PASSWORD, Some(123)).await;
    let answer = log_in(&stack, EMAIL, WP_PASSWORD).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["user"]["id"], existing.id.to_string());
    let (user, link) = migrated(&stack).await;
    assert_eq!(link, Some(existing.id.to_string()));
    assert!(verifies(&user.password_hash, WP_PASSWORD));
    assert!(!verifies(&user.password_hash, LOCAL_PASSWORD));

    // From now on the local check accepts it, even with WordPress gone.
    site.set_mode(Mode::Down);
    assert_eq!(log_in(&stack, EMAIL, WP_PASSWORD).await.status, 200);
}

async fn an_existing_user_keeps_its_password_without_password_reset(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |_| {}).await;
    let existing = local_user(&stack, LOCAL_PASSWORD, Some(123)).await;
    let answer = log_in(&stack, EMAIL, WP_PASSWORD).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["user"]["id"], existing.id.to_string());
    let (user, link) = migrated(&stack).await;
    assert_eq!(link, Some(existing.id.to_string()));
    assert!(verifies(&user.password_hash, LOCAL_PASSWORD));
    assert!(!verifies(&user.password_hash, WP_PASSWORD));
    let calls = site.calls();
    assert_eq!(log_in(&stack, EMAIL, LOCAL_PASSWORD).await.status, 200);
    assert_eq!(site.calls(), calls, "the local password needs no WordPress");
}

async fn invalid_credentials_without_a_local_user(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |_| {}).await;
    assert_refused(&log_in(&stack, EMAIL, "not the password").await);
    assert_refused(&log_in(&stack, "nobody@example.com", WP_PASSWORD).await);
    // The unknown address is asked once more as a username.
    assert_eq!(site.calls(), 3, "WordPress answered both");
    assert!(
        stored_user(&stack, EMAIL).await.is_none(),
        "nobody is created"
    );
}

async fn invalid_credentials_with_a_local_user(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.migration.password_reset = true).await;
    let existing = local_user(&stack, LOCAL_PASSWORD, Some(123)).await;
    assert_refused(&log_in(&stack, EMAIL, "neither password").await);
    assert_eq!(site.calls(), 1);
    let (user, _) = migrated(&stack).await;
    assert_eq!(
        user.password_hash, existing.password_hash,
        "nothing changed"
    );
}

async fn a_user_linked_to_another_wordpress_account_is_a_conflict(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.migration.password_reset = true).await;
    let existing = local_user(&stack, LOCAL_PASSWORD, Some(456)).await;
    assert_refused(&log_in(&stack, EMAIL, WP_PASSWORD).await);
    let (user, link) = migrated(&stack).await;
    assert_eq!(link, None, "WordPress 123 stays unlinked");
    assert_eq!(user.wordpress_id, Some(456));
    assert_eq!(user.password_hash, existing.password_hash);
}

async fn an_ext_id_naming_another_account_is_a_conflict(b: Backend) {
    let site = site().await;
    site.put_account(Account::new(790, "other", "other@example.com", WP_PASSWORD));
    let stack = stack(b, &site, |s| s.migration.ext_id_referencing = true).await;
    let mut other = user("other@example.com", Some(&argon2(LOCAL_PASSWORD)));
    other.ext_id = Some("789".into());
    save_user(&stack, other, None).await;
    assert_refused(&log_in(&stack, "other@example.com", WP_PASSWORD).await);
    let stored = stored_user(&stack, "other@example.com").await.unwrap();
    assert_eq!(stored.ext_id.as_deref(), Some("789"));
    assert_eq!(stored.wordpress_id, None);
    let link = stack
        .backend
        .stores
        .users
        .get_wordpress_link(790)
        .await
        .unwrap();
    assert!(link.is_none(), "WordPress 790 stays unlinked");
}

// ------------------------------------------------------------------------------- and the rest

async fn an_email_goes_to_wordpress_as_email_and_a_username_as_login(b: Backend) {
    let site = site().await;
    site.put_account(Account::new(124, "grace", "grace@example.com", WP_PASSWORD));
    let stack = stack(b, &site, |_| {}).await;
    // The reference sent the typed e-mail as `login`, which the plugin looks up as a username only.
    assert_eq!(log_in(&stack, LOGIN, WP_PASSWORD).await.status, 200);
    let by_email = login(
        &stack,
        json!({"email": "Grace@Example.com", "password": WP_PASSWORD}),
    )
    .await;
    assert_eq!(by_email.status, 200, "{by_email:?}");

    let received = site.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0].fields, ["login", "password"]);
    assert_eq!(received[0].login.as_deref(), Some(LOGIN));
    assert_eq!(received[1].fields, ["email", "password"]);
    assert_eq!(received[1].email.as_deref(), Some("Grace@Example.com"));

    // Each account is one local user, whichever name it logs in by from now on, locally.
    for name in [EMAIL, LOGIN, "grace", "GRACE@example.com"] {
        assert_eq!(
            log_in(&stack, name, WP_PASSWORD).await.status,
            200,
            "{name}"
        );
    }
    assert_eq!(site.calls(), 2, "no more WordPress calls");
    let users = stack
        .backend
        .stores
        .users
        .list_users(&Default::default())
        .await
        .unwrap();
    assert_eq!(users.items.len(), 2);
}

async fn a_migrated_user_logs_in_by_username_with_wordpress_down(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |_| {}).await;
    let first = log_in(&stack, LOGIN, WP_PASSWORD).await;
    assert_eq!(first.status, 200, "{first:?}");
    let (user, _) = migrated(&stack).await;
    site.set_mode(Mode::Down);
    for name in [LOGIN, "Admin.Admin", EMAIL] {
        let again = log_in(&stack, name, WP_PASSWORD).await;
        assert_eq!(again.status, 200, "{name}: {again:?}");
        assert_eq!(again.body["user"]["id"], user.id.to_string());
    }
    assert_eq!(site.calls(), 1, "only the first login asked WordPress");
    // A wrong password is refused locally, then WordPress cannot be asked: unavailable.
    assert_eq!(log_in(&stack, LOGIN, "wrong").await.status, 503);
}

async fn a_username_that_looks_like_an_email_is_asked_again_as_login(b: Backend) {
    let site = site().await;
    site.put_account(Account::new(
        321,
        "bob@old.example",
        "bob@new.example",
        WP_PASSWORD,
    ));
    let stack = stack(b, &site, |_| {}).await;
    let answer = log_in(&stack, "bob@old.example", WP_PASSWORD).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["user"]["email"], "bob@new.example");
    let received = site.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0].email.as_deref(), Some("bob@old.example"));
    assert_eq!(received[1].fields, ["login", "password"]);
    assert_eq!(received[1].login.as_deref(), Some("bob@old.example"));

    // From now on the look-alike finds the user locally.
    site.set_mode(Mode::Down);
    assert_eq!(
        log_in(&stack, "BOB@old.example", WP_PASSWORD).await.status,
        200
    );
    site.set_mode(Mode::Normal);

    // Nobody by either: two questions, then "wrong credentials".
    let before = site.calls();
    assert_refused(&log_in(&stack, "ghost@example.com", WP_PASSWORD).await);
    assert_eq!(site.calls(), before + 2);

    // The WordPress timeout bounds both questions together: two answers that each come within
    // it, but not both, are an unavailable check.
    site.set_mode(Mode::Slow(login::WORDPRESS_TIMEOUT * 3 / 5));
    let slow = log_in(&stack, "ghost2@example.com", WP_PASSWORD).await;
    assert_eq!(slow.status, 503, "{slow:?}");
}

async fn a_wordpress_login_does_not_take_over_a_local_account(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.migration.password_reset = true).await;
    // Made with `authbridge users create`: a password of its own, no link.
    let local = local_user(&stack, LOCAL_PASSWORD, None).await;
    // By e-mail the name stands for the local user, whose password authbridge set: WordPress is
    // not even asked.
    assert_refused(&log_in(&stack, EMAIL, WP_PASSWORD).await);
    assert_eq!(site.calls(), 0, "WordPress was not asked");
    // By WordPress username the name stands for nobody locally: WordPress validates its own
    // password, and the migration finds the local user by e-mail, and refuses.
    assert_refused(&log_in(&stack, LOGIN, WP_PASSWORD).await);
    assert_eq!(site.calls(), 1);
    let (user, link) = migrated(&stack).await;
    assert_eq!(link, None, "not linked");
    assert_eq!(user, local, "nothing changed");
    assert!(verifies(&user.password_hash, LOCAL_PASSWORD));
    assert!(!verifies(&user.password_hash, WP_PASSWORD));
    assert_eq!(log_in(&stack, EMAIL, LOCAL_PASSWORD).await.status, 200);
}

/// Users stored before each password's origin was recorded (no `password_origin` in the store):
/// one that came from WordPress, or is linked to it, keeps the transition (WordPress is asked,
/// and its password logs in); one made in authbridge does not (WordPress is never asked).
async fn users_stored_before_origins_were_recorded_keep_what_they_had(b: Backend) {
    let site = site().await;
    site.put_account(Account::new(
        124,
        "made-here",
        "made-here@example.com",
        WP_PASSWORD,
    ));
    let stack = stack(b, &site, |_| {}).await;
    let linked = local_user(&stack, LOCAL_PASSWORD, Some(123)).await;
    let made_here = save_user(
        &stack,
        user("made-here@example.com", Some(&argon2(LOCAL_PASSWORD))),
        None,
    )
    .await;
    for stored in [&linked, &made_here] {
        assert_eq!(stored.password_origin, None);
        let raw = stack
            .backend
            .raw_stored(
                &format!("USER#{}", stored.id),
                "SELECT data FROM users WHERE id = ?1",
                &[stored.id.as_str()],
            )
            .await;
        assert_eq!(raw.len(), 1, "{raw:?}");
        assert!(!raw[0].contains("password_origin"), "{raw:?}");
    }

    let answer = log_in(&stack, EMAIL, WP_PASSWORD).await;
    assert_eq!(
        answer.status, 200,
        "linked: WordPress still vouches: {answer:?}"
    );
    assert_eq!(site.calls(), 1);
    assert_refused(&log_in(&stack, "made-here@example.com", WP_PASSWORD).await);
    assert_eq!(site.calls(), 1, "made here: WordPress was not asked");
    assert_eq!(
        log_in(&stack, "made-here@example.com", LOCAL_PASSWORD)
            .await
            .status,
        200
    );
}

/// With WordPress first in the chain (a higher priority than the local check), an account whose
/// password authbridge set is still never asked about: only authbridge's password opens it.
async fn wordpress_first_still_never_asks_about_an_authbridge_password(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.local_priority = 50).await;
    assert_eq!(stack.stack.login.login.order(), ["wordpress", "local"]);
    let mut local = user(EMAIL, Some(&argon2(LOCAL_PASSWORD)));
    local.password_origin = Some(PasswordOrigin::Authbridge);
    save_linked(&stack, local, Some((123, LOGIN))).await;
    assert_refused(&log_in(&stack, EMAIL, WP_PASSWORD).await);
    assert_refused(&log_in(&stack, LOGIN, WP_PASSWORD).await);
    assert_eq!(site.calls(), 0, "WordPress was not asked");
    assert_eq!(log_in(&stack, LOGIN, LOCAL_PASSWORD).await.status, 200);
    assert_eq!(site.calls(), 0);
}

async fn an_inactive_local_user_stays_refused(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.migration.password_reset = true).await;
    let mut disabled = user(EMAIL, Some(&argon2(LOCAL_PASSWORD)));
    disabled.active = false;
    save_user(&stack, disabled, Some(123)).await;

    // The WordPress path does not let a disabled account in.
    assert_refused(&log_in(&stack, EMAIL, WP_PASSWORD).await);
    assert_eq!(site.calls(), 1);
    assert!(verifies(
        &migrated(&stack).await.0.password_hash,
        LOCAL_PASSWORD
    ));
    // With the local password the local check settles it; WordPress is not asked.
    assert_refused(&log_in(&stack, EMAIL, LOCAL_PASSWORD).await);
    assert_eq!(site.calls(), 1);
}

async fn a_user_without_a_local_password_gets_the_validated_one(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |_| {}).await;
    // As sync-user creates them: linked, no usable password.
    save_user(&stack, user(EMAIL, None), Some(123)).await;
    assert_eq!(log_in(&stack, EMAIL, WP_PASSWORD).await.status, 200);
    let calls = site.calls();
    assert_eq!(log_in(&stack, EMAIL, WP_PASSWORD).await.status, 200);
    assert_eq!(site.calls(), calls);
}

async fn throttling_refuses_before_wordpress_is_asked(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.throttle.per_account = 2).await;
    assert_refused(&log_in(&stack, EMAIL, "guess 1").await);
    assert_refused(&log_in(&stack, EMAIL, "guess 2").await);
    assert_eq!(site.calls(), 2);
    let throttled = log_in(&stack, EMAIL, WP_PASSWORD).await;
    assert_eq!(throttled.status, 429, "{throttled:?}");
    assert!(throttled.retry_after.is_some());
    assert_eq!(site.calls(), 2, "WordPress was not asked");
}

async fn wordpress_trouble_is_unavailable_never_a_wrong_password(b: Backend) {
    let site = site().await;
    let stack = stack(b, &site, |s| s.throttle.per_account = 1).await;
    let local = save_user(
        &stack,
        user("local@example.org", Some(&argon2("local pw"))),
        None,
    )
    .await;
    let modes = [
        Mode::Slow(Duration::from_secs(3)),
        Mode::Down,
        Mode::ServerError,
        Mode::Html,
    ];
    for mode in modes {
        site.set_mode(mode);
        let answer = log_in(&stack, EMAIL, WP_PASSWORD).await;
        assert_eq!(answer.status, 503, "{mode:?}: {answer:?}");
        assert_eq!(answer.body, json!({"error": "authentication_unavailable"}));
        assert!(answer.retry_after.is_some_and(|s| s > 0), "{mode:?}");
        // The timeout bounds the wait for a hanging site.
        assert!(
            answer.elapsed < login::WORDPRESS_TIMEOUT + Duration::from_secs(2),
            "{mode:?} took {:?}",
            answer.elapsed
        );
        // A local user is not affected.
        let ok = login(
            &stack,
            json!({"email": local.email, "password": "local pw"}),
        )
        .await;
        assert_eq!(ok.status, 200, "{mode:?}: {ok:?}");
    }
    assert!(stored_user(&stack, EMAIL).await.is_none());

    // None of those counted as failures (the account's limit is 1): once WordPress is back, the
    // login goes through.
    site.set_mode(Mode::Normal);
    let answer = log_in(&stack, EMAIL, WP_PASSWORD).await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

on_both_backends!(
    valid_credentials_create_the_user_without_ext_id_referencing,
    valid_credentials_create_the_user_with_ext_id_referencing,
    an_existing_user_gets_the_wordpress_password_with_password_reset,
    an_existing_user_keeps_its_password_without_password_reset,
    invalid_credentials_without_a_local_user,
    invalid_credentials_with_a_local_user,
    a_user_linked_to_another_wordpress_account_is_a_conflict,
    an_ext_id_naming_another_account_is_a_conflict,
    an_email_goes_to_wordpress_as_email_and_a_username_as_login,
    a_migrated_user_logs_in_by_username_with_wordpress_down,
    a_username_that_looks_like_an_email_is_asked_again_as_login,
    a_wordpress_login_does_not_take_over_a_local_account,
    users_stored_before_origins_were_recorded_keep_what_they_had,
    wordpress_first_still_never_asks_about_an_authbridge_password,
    an_inactive_local_user_stays_refused,
    a_user_without_a_local_password_gets_the_validated_one,
    throttling_refuses_before_wordpress_is_asked,
    wordpress_trouble_is_unavailable_never_a_wrong_password,
);

/// A token the plugin refuses, or none in the secret store, is WordPress trouble for the
/// operator, not a wrong password for the user.
#[tokio::test]
async fn a_refused_or_missing_token_is_unavailable() {
    let site = site().await;
    for token in [Some("not-the-plugin-token"), None] {
        let backend = sqlite_backend();
        let secret = format!("{}/wordpress-token", unique("authbridge-test"));
        if let Some(token) = token {
            backend
                .secrets
                .put_secret(&secret, &SecretString::from(token))
                .await
                .unwrap();
        }
        let settings = LoginSettings {
            wordpress: Some(login::wordpress_settings(&site, &secret)),
            ..LoginSettings::default()
        };
        let stack = start_with_login(backend, Default::default(), settings).await;
        assert_eq!(stack.stack.login.login.order(), ["local", "wordpress"]);
        let answer = log_in(&stack, EMAIL, WP_PASSWORD).await;
        assert_eq!(answer.status, 503, "{token:?}: {answer:?}");
        assert_eq!(answer.body, json!({"error": "authentication_unavailable"}));
    }
    assert_eq!(site.calls(), 1, "without a token WordPress is not called");
}
