//! `POST /auth/login` and `GET /auth/me` against local users, over HTTP on a test stack, on the
//! embedded store and on DynamoDB: the answers, the session and its end (logout, new password,
//! disabling), sign-in times, one Argon2id and one bcrypt verification for every refusal, inactive
//! users, throttling per account whatever the spelling, and every imported hash format.

use std::time::Duration;

use authbridge::login::LoginSettings;
use authbridge::login::session::key_of;
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge::users::UserAdmin;
use authbridge_tests::login::user_ref;
use authbridge_tests::login::{
    self, Answer, login, login_form, logout, me, save_linked, save_user, stored_user, user,
};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack;
use authbridge_tests::stack::TestStack;
use authbridge_tests::{Backend, unique};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

/// Hashes of [`PASSWORD`] made by PHP and WordPress (the vectors of `shared/src/passwords/tests.rs`).
const IMPORTED_HASHES: [(&str, &str); 6] = [
    ("phpass", "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0"),
    (
        "WordPress 6.8 bcrypt",
        "$wp$2y$10$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ83WKNTcRetPdj2JUGUBS",
    ),
    (
        "bcrypt",
        "$2y$10$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq",
    ),
    ("MD5", "9cc2ae8a1ba7a93da39b46fc1019c481"),
    (
        "weak Argon2id",
        "$argon2id$v=19$m=4096,t=1,p=1$TUhNTUNhRjE1Q0pzN2lIYg$IOWG0/NrSYDKg2v6mdtyojiHxKta3X3sc3qU7SqeJYs",
    ),
    (
        "Argon2i",
        "$argon2i$v=19$m=19456,t=2,p=1$anFXd0cwYXBwc3VkNjNwWg$eIGhENuivbHqB6E+Y4tiLM1p8PZ3n9nWdr/vM1n3cRA",
    ),
];

/// The prefix of a hash under the current policy.
const CURRENT_POLICY: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

fn argon2(password: &str) -> String {
    hash_password(&SecretString::from(password)).unwrap().0
}

async fn stack(b: Backend, tune: impl FnOnce(&mut LoginSettings)) -> TestStack {
    let mut settings = LoginSettings::default();
    tune(&mut settings);
    login::start(b, None, settings).await
}

fn assert_refused(answer: &Answer) {
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.body, json!({"error": "invalid_credentials"}));
}

/// The whole text of the stored session rows or items, to look for the token in.
async fn raw_sessions(stack: &TestStack, token: &str) -> String {
    let stored = stack
        .backend
        .raw_stored(
            &format!("SESSION#{}", key_of(token)),
            "SELECT key || data FROM sessions",
            &[],
        )
        .await;
    assert_eq!(stored.len(), 1, "one stored session");
    stored.join("\n")
}

async fn a_local_user_logs_in_and_the_token_finds_it(b: Backend) {
    let stack = stack(b, |_| {}).await;
    let mut ada = user("Ada@Example.org", Some(&argon2(PASSWORD)));
    ada.first_name = Some("Ada".into());
    ada.last_name = Some("Lovelace".into());
    let ada = save_user(&stack, ada, None).await;

    let answer = login(
        &stack,
        json!({"email": "ada@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.body["user"],
        json!({
            "id": ada.id.to_string(), "email": "Ada@Example.org", "first_name": "Ada",
            "last_name": "Lovelace", "source": "local"
        })
    );
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 3600);
    let token = answer.token();
    assert!(token.len() >= 43, "at least 256 bits: {token}");

    let found = me(&stack, Some(&token)).await;
    assert_eq!(found.status, 200, "{found:?}");
    assert_eq!(found.body["user"]["id"], ada.id.to_string());

    // The store holds the token's hash only.
    let stored = raw_sessions(&stack, &token).await;
    assert!(stored.contains(&key_of(&token)), "{stored}");
    assert!(
        !stored.contains(&token),
        "the token itself is stored: {stored}"
    );

    // The sign-in is recorded; a second one moves it to "last".
    let signed_in = stored_user(&stack, "ada@example.org").await.unwrap();
    let first = signed_in.current_sign_in_at.expect("a sign-in time");
    assert_eq!(signed_in.current_sign_in_ip.as_deref(), Some("127.0.0.1"));
    let again = login_form(
        &stack,
        &[("username", "ADA@example.org"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_ne!(again.token(), token, "every login gets its own session");
    let twice = stored_user(&stack, "ada@example.org").await.unwrap();
    assert_eq!(twice.last_sign_in_at, Some(first));
    assert_eq!(twice.last_sign_in_ip.as_deref(), Some("127.0.0.1"));

    for bad in [Some("not-a-session"), Some(&key_of(&token)[..]), None] {
        let refused = me(&stack, bad).await;
        assert_eq!(refused.status, 401, "{bad:?}: {refused:?}");
        assert_eq!(refused.body, json!({"error": "invalid_token"}));
    }
}

async fn a_session_ends_when_it_expires_or_its_user_is_disabled(b: Backend) {
    let stack = stack(b, |s| s.session_ttl = Duration::from_secs(2)).await;
    save_user(
        &stack,
        user("ada@example.org", Some(&argon2(PASSWORD))),
        None,
    )
    .await;
    let answer = login(
        &stack,
        json!({"email": "ada@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.body["expires_in"], 2);
    let token = answer.token();
    assert_eq!(me(&stack, Some(&token)).await.status, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(me(&stack, Some(&token)).await.status, 401, "expired");

    let token = login(
        &stack,
        json!({"email": "ada@example.org", "password": PASSWORD}),
    )
    .await
    .token();
    let mut ada = stored_user(&stack, "ada@example.org").await.unwrap();
    ada.active = false;
    stack.backend.stores.users.update_user(&ada).await.unwrap();
    assert_eq!(me(&stack, Some(&token)).await.status, 401, "disabled");
}

/// Every refusal costs exactly one Argon2id and one bcrypt verification (the stored hash's own,
/// and dummies for the rest), whatever its reason, so the time of an answer does not tell which
/// names exist, which are disabled, or which still hold an imported hash, bcrypt included (the
/// timings themselves are in the login bench, `bench-login`).
async fn every_refusal_costs_one_argon2_and_one_bcrypt_verification(b: Backend) {
    let stack = stack(b, |s| s.throttle.per_address = 100).await;
    save_linked(
        &stack,
        user("ada@example.org", Some(&argon2(PASSWORD))),
        Some((5, "ada")),
    )
    .await;
    let mut disabled = user("off@example.org", Some(&argon2(PASSWORD)));
    disabled.active = false;
    save_user(&stack, disabled, None).await;
    save_user(&stack, user("synced@example.org", None), Some(6)).await;
    save_user(
        &stack,
        user("broken@example.org", Some("$1$not$a-format")),
        None,
    )
    .await;
    let mut legacy = Vec::new();
    for (format, hash) in IMPORTED_HASHES {
        let email = format!("{}@example.org", unique("legacy"));
        save_user(&stack, user(&email, Some(hash)), None).await;
        legacy.push((format, email));
    }
    let mut disabled_md5 = user("off-md5@example.org", Some(IMPORTED_HASHES[3].1));
    disabled_md5.active = false;
    save_user(&stack, disabled_md5, None).await;

    let mut cases = vec![
        (
            "an unknown address",
            json!({"email": "nobody@example.org", "password": PASSWORD}),
        ),
        (
            "an unknown username",
            json!({"username": "nobody", "password": PASSWORD}),
        ),
        (
            "a wrong password",
            json!({"email": "ada@example.org", "password": "wrong"}),
        ),
        (
            "a wrong password by username",
            json!({"username": "ada", "password": "wrong"}),
        ),
        (
            "a disabled user",
            json!({"email": "off@example.org", "password": PASSWORD}),
        ),
        (
            "a disabled user, wrong password",
            json!({"email": "off@example.org", "password": "wrong"}),
        ),
        (
            "a disabled user with an MD5 hash",
            json!({"email": "off-md5@example.org", "password": PASSWORD}),
        ),
        (
            "no usable password",
            json!({"email": "synced@example.org", "password": PASSWORD}),
        ),
        (
            "an unusable hash",
            json!({"email": "broken@example.org", "password": PASSWORD}),
        ),
    ];
    for (format, email) in &legacy {
        cases.push((format, json!({"email": email, "password": "wrong"})));
    }
    for (what, body) in cases {
        let answer = login(&stack, body).await;
        assert_refused(&answer);
        let work = stack
            .stack
            .login
            .login
            .last_refusal()
            .expect("a refusal was recorded");
        // A weak Argon2id hash is checked, cheaply, and the dummy at the policy's cost follows.
        let argon2 = if what == "weak Argon2id" { 2 } else { 1 };
        assert_eq!((work.argon2, work.bcrypt), (argon2, 1), "{what}: {work:?}");
    }
    // The count is of this login alone: a success records nothing.
    let ok = login(&stack, json!({"username": "ada", "password": PASSWORD})).await;
    assert_eq!(ok.status, 200, "{ok:?}");
}

/// Sessions end on logout, on a new password and on disabling; enabling revives none.
async fn sessions_end_on_logout_password_change_and_disabling(b: Backend) {
    let stack = stack(b, |_| {}).await;
    save_user(
        &stack,
        user("ada@example.org", Some(&argon2(PASSWORD))),
        None,
    )
    .await;
    let log_in = |password: &'static str| {
        let stack = &stack;
        async move {
            login(
                stack,
                json!({"email": "ada@example.org", "password": password}),
            )
            .await
        }
    };
    let first = log_in(PASSWORD).await.token();
    let second = log_in(PASSWORD).await.token();

    // Logout ends that session only; a second logout answers the same.
    let out = logout(&stack, &first).await;
    assert_eq!(out.status, 204, "{out:?}");
    assert_eq!(me(&stack, Some(&first)).await.status, 401);
    assert_eq!(me(&stack, Some(&second)).await.status, 200);
    assert_eq!(logout(&stack, &first).await.status, 204);
    let anonymous = stack::http()
        .post(stack.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // A new password ends every session.
    let admin = UserAdmin {
        users: stack.backend.stores.users.as_ref(),
    };
    admin
        .set_password(
            &user_ref("ada@example.org"),
            &SecretString::from("a new passphrase"),
        )
        .await
        .unwrap();
    assert_eq!(
        me(&stack, Some(&second)).await.status,
        401,
        "password changed"
    );
    assert_refused(&log_in(PASSWORD).await);
    let third = log_in("a new passphrase").await.token();
    assert_eq!(me(&stack, Some(&third)).await.status, 200);

    // Disabling ends it; enabling again does not bring it back.
    admin
        .set_active(&user_ref("ada@example.org"), false)
        .await
        .unwrap();
    assert_eq!(me(&stack, Some(&third)).await.status, 401, "disabled");
    admin
        .set_active(&user_ref("ada@example.org"), true)
        .await
        .unwrap();
    assert_eq!(me(&stack, Some(&third)).await.status, 401, "not revived");
    let fourth = log_in("a new passphrase").await.token();
    assert_eq!(me(&stack, Some(&fourth)).await.status, 200);

    // An upgrade of the stored hash (same password) ends nothing.
    let mut ada = stored_user(&stack, "ada@example.org").await.unwrap();
    ada.password_hash = Some(authbridge::domain::user::PasswordHash(
        IMPORTED_HASHES[3].1.into(),
    ));
    stack.backend.stores.users.update_user(&ada).await.unwrap();
    let fifth = log_in(PASSWORD).await.token();
    assert_eq!(
        me(&stack, Some(&fourth)).await.status,
        200,
        "rehash keeps sessions"
    );
    assert_eq!(me(&stack, Some(&fifth)).await.status, 200);
}

/// One counter per account: every spelling of a user's name counts against that user (its
/// WordPress login in any case, with accents, in fullwidth letters, ...: as WordPress finds it);
/// names of nobody count by the spelling WordPress would find them by.
async fn every_spelling_of_an_account_meets_in_one_counter(b: Backend) {
    let stack = stack(b, |s| {
        s.throttle.per_account = 3;
        s.throttle.per_address = 100;
    })
    .await;
    save_linked(
        &stack,
        user("alice@example.test", Some(&argon2(PASSWORD))),
        Some((7, "alice")),
    )
    .await;
    assert_refused(&login(&stack, json!({"username": "alice", "password": "guess 1"})).await);
    assert_refused(&login(&stack, json!({"username": "ÀLÍCE", "password": "guess 2"})).await);
    assert_refused(
        &login(
            &stack,
            json!({"email": "Alice@example.test", "password": "guess 3"}),
        )
        .await,
    );
    let throttled = login(
        &stack,
        json!({"email": "alice@example.test", "password": PASSWORD}),
    )
    .await;
    assert_eq!(throttled.status, 429, "three guesses in all: {throttled:?}");
    assert_eq!(
        login(&stack, json!({"username": "alice", "password": PASSWORD}))
            .await
            .status,
        429
    );

    for name in ["nobody", "ｎｏｂｏｄｙ", "<i>NÒBODY</i>"] {
        assert_refused(&login(&stack, json!({"username": name, "password": "guess"})).await);
    }
    let again = login(&stack, json!({"username": "nobody", "password": "guess"})).await;
    assert_eq!(again.status, 429, "{again:?}");
}

/// The account's names as they are now: a link saved later and a new address count with the
/// account from then on, and a throttled account is refused by every one of them (failures are
/// counted under each spelling the user's login record lists, written with each change).
async fn names_given_later_count_with_the_account(b: Backend) {
    let stack = stack(b, |s| {
        s.throttle.per_account = 3;
        s.throttle.per_address = 100;
    })
    .await;
    let alice = save_linked(
        &stack,
        user("alice@example.test", Some(&argon2(PASSWORD))),
        Some((7, "alice")),
    )
    .await;
    let users = &stack.backend.stores.users;
    let second = authbridge::domain::WordpressLink {
        login: "alice.two".into(),
        ..authbridge_tests::login::link(&alice, 8)
    };
    users
        .save_wordpress_link(&second)
        .await
        .expect("a second link");
    let mut moved = users.get_user(&alice.id).await.unwrap().expect("alice");
    moved.email = authbridge_tests::login::email_of("alice@example.net");
    users.update_user(&moved).await.expect("a new address");

    assert_refused(
        &login(
            &stack,
            json!({"username": "ALICE.two", "password": "guess 1"}),
        )
        .await,
    );
    assert_refused(
        &login(
            &stack,
            json!({"email": "alice@example.net", "password": "guess 2"}),
        )
        .await,
    );
    assert_refused(&login(&stack, json!({"username": "alice", "password": "guess 3"})).await);
    for name in ["alice.two", "Alice@example.net", "alice"] {
        let throttled = login(&stack, json!({"username": name, "password": PASSWORD})).await;
        assert_eq!(
            throttled.status, 429,
            "{name}: three guesses in all: {throttled:?}"
        );
    }
    // The old address is nobody's now: its own spelling's counter, not the account's.
    assert_refused(
        &login(
            &stack,
            json!({"email": "alice@example.test", "password": PASSWORD}),
        )
        .await,
    );
}

async fn an_inactive_user_is_refused(b: Backend) {
    let stack = stack(b, |_| {}).await;
    let mut ada = user("ada@example.org", Some(&argon2(PASSWORD)));
    ada.active = false;
    save_user(&stack, ada, None).await;
    let answer = login(
        &stack,
        json!({"email": "ada@example.org", "password": PASSWORD}),
    )
    .await;
    assert_refused(&answer);
}

async fn failed_attempts_are_throttled_per_account_and_per_address(b: Backend) {
    let stack = stack(b, |s| {
        s.throttle.per_account = 3;
        s.throttle.per_address = 8;
    })
    .await;
    for email in ["ada@example.org", "bob@example.org", "cy@example.org"] {
        save_user(&stack, user(email, Some(&argon2(PASSWORD))), None).await;
    }
    let attempt = |email: &'static str, password: &'static str| {
        let stack = &stack;
        async move { login(stack, json!({"email": email, "password": password})).await }
    };

    // A success starts the account afresh (address count: 2 failures; a success counts nothing).
    assert_refused(&attempt("cy@example.org", "wrong").await);
    assert_refused(&attempt("cy@example.org", "wrong").await);
    assert_eq!(attempt("cy@example.org", PASSWORD).await.status, 200);

    // Three failures for one account; the fourth attempt is refused even with the right
    // password, before it is checked (address count: 2 + 3; a refused attempt counts nothing).
    for _ in 0..3 {
        assert_refused(&attempt("ada@example.org", "wrong").await);
    }
    let throttled = attempt("ada@example.org", PASSWORD).await;
    assert_eq!(throttled.status, 429, "{throttled:?}");
    assert_eq!(throttled.body, json!({"error": "too_many_attempts"}));
    let wait = throttled.retry_after.expect("Retry-After");
    assert!((1..=900).contains(&wait), "Retry-After {wait}");
    // The name's case does not make a new account (address count: 5).
    assert_eq!(attempt("ADA@example.org", PASSWORD).await.status, 429);

    // Another account from the same address still gets in, until the address has its 8 failures
    // (address count: 5, 6 with bob's, 8 with two at unknown names).
    assert_eq!(attempt("bob@example.org", PASSWORD).await.status, 200);
    assert_refused(&attempt("bob@example.org", "wrong").await);
    assert_refused(&attempt("dan@example.org", "wrong").await);
    assert_eq!(attempt("bob@example.org", PASSWORD).await.status, 200);
    assert_refused(&attempt("eve@example.org", "wrong").await);
    let by_address = attempt("bob@example.org", PASSWORD).await;
    assert_eq!(by_address.status, 429, "{by_address:?}");
    assert!(by_address.retry_after.is_some());
}

async fn a_throttle_window_ends(b: Backend) {
    let stack = stack(b, |s| {
        s.throttle.per_account = 1;
        s.throttle.window = Duration::from_secs(2);
    })
    .await;
    save_user(
        &stack,
        user("ada@example.org", Some(&argon2(PASSWORD))),
        None,
    )
    .await;
    assert_refused(
        &login(
            &stack,
            json!({"email": "ada@example.org", "password": "wrong"}),
        )
        .await,
    );
    let throttled = login(
        &stack,
        json!({"email": "ada@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(throttled.status, 429);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let answer = login(
        &stack,
        json!({"email": "ada@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

async fn every_imported_hash_format_logs_in_and_is_upgraded(b: Backend) {
    let stack = stack(b, |s| s.throttle.per_account = 10).await;
    for (format, hash) in IMPORTED_HASHES {
        let email = format!("{}@example.org", unique("imported"));
        save_user(&stack, user(&email, Some(hash)), None).await;

        let wrong = login(
            &stack,
            json!({"email": email, "password": "Correct horse battery staple"}),
        )
        .await;
        assert_refused(&wrong);
        assert_eq!(
            stored_user(&stack, &email)
                .await
                .unwrap()
                .password_hash
                .unwrap()
                .0,
            hash,
            "{format}: a failed login changes nothing"
        );

        let answer = login(&stack, json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(answer.status, 200, "{format}: {answer:?}");
        let upgraded = stored_user(&stack, &email)
            .await
            .unwrap()
            .password_hash
            .unwrap()
            .0;
        assert!(
            upgraded.starts_with(CURRENT_POLICY),
            "{format}: stored hash not upgraded"
        );
        let again = login(&stack, json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(again.status, 200, "{format}: the new hash verifies");
        assert_eq!(
            stored_user(&stack, &email)
                .await
                .unwrap()
                .password_hash
                .unwrap()
                .0,
            upgraded,
            "{format}: a current hash is not rehashed"
        );
    }
}

on_both_backends!(
    a_local_user_logs_in_and_the_token_finds_it,
    a_session_ends_when_it_expires_or_its_user_is_disabled,
    every_refusal_costs_one_argon2_and_one_bcrypt_verification,
    sessions_end_on_logout_password_change_and_disabling,
    every_spelling_of_an_account_meets_in_one_counter,
    names_given_later_count_with_the_account,
    an_inactive_user_is_refused,
    failed_attempts_are_throttled_per_account_and_per_address,
    a_throttle_window_ends,
    every_imported_hash_format_logs_in_and_is_upgraded,
);

/// Malformed requests: 400 naming the field, and the password never in the answer.
#[tokio::test]
async fn a_malformed_login_is_a_400_naming_the_field() {
    let stack = stack(authbridge_tests::sqlite_backend(), |_| {}).await;
    let cases = [
        (json!({"password": "s3cret-pw"}), "username"),
        (json!({"username": "ada"}), "password"),
        (json!({"email": "ada", "password": "s3cret-pw"}), "email"),
        (json!({"username": "ada", "password": 424242}), "password"),
        (json!(["ada", "s3cret-pw"]), "body"),
    ];
    for (body, field) in cases {
        let answer = login(&stack, body.clone()).await;
        assert_eq!(answer.status, 400, "{body}: {answer:?}");
        assert_eq!(answer.body["error"], "invalid_request");
        assert_eq!(answer.body["field"], field, "{body}");
        let text = answer.body.to_string();
        assert!(
            !text.contains("s3cret-pw") && !text.contains("424242"),
            "{text}"
        );
    }
    let empty = login_form(&stack, &[]).await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.body["field"], "body");
}
