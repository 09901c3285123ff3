//! WordPress and authbridge together: the real WordPress of the test command, whose authbridge
//! plugin posts users to a test stack's sync-user, and the stack's login falling back to the
//! plugin's credential check. On the embedded store and on DynamoDB.
//!
//! Each test starts its own stack with an API token allowed `sync-user` from 127.0.0.1 and points
//! its handle on the site at it (`AUTHBRIDGE_URL` / `AUTHBRIDGE_API_TOKEN` of its PHP processes);
//! the stack's WordPress fallback is the site, with the plugin's token as its secret.
//!
//! What they count on of authbridge:
//! - `POST /api/v1/wordpress/sync-user` with `Authorization: Bearer <API token>` creates the user
//!   without a usable password, with its link, and moves the e-mail address on a change;
//! - `POST /auth/login` `{"username", "password"}` asks WordPress when no local password matches,
//!   keeps a validated password locally, and answers 401 `{"error": "invalid_credentials"}` to a
//!   wrong one;
//! - after that first login, the user's next logins by username (any case) or e-mail are local:
//!   they succeed with WordPress unreachable (the stack asks it through a relay that is then
//!   closed), as does a username shaped like an e-mail address, which WordPress is asked as `login`
//!   once it answers 404 to `email`.
//!
//! - a password set in authbridge ends WordPress's say: after `users set-password` the old
//!   WordPress password (which the site still accepts) is refused and never replaces the new one,
//!   with or without `AUTHBRIDGE_WP_PASSWORD_RESET`; a password changed on the site alone still
//!   logs in (and with the reset replaces the local one);
//! - the throttle counts ten spellings that the site finds as one account (checked at the site's
//!   credential check: it answers "wrong password", never "no such user") against one counter.
//!
//! The export-and-import test needs only `authbridge users import` and local login.

use authbridge_tests::stack::api_token_name;
use std::time::Duration;

use authbridge::api_tokens;
use authbridge::domain::{Endpoint, IpRestriction, PasswordOrigin, Scope, User};
use authbridge::login::{LoginSettings, MigrationOptions, WordpressSettings};
use authbridge::oauth::outbound::Timeouts;
use authbridge::passwords::verify_password;
use authbridge::secrets::{ExposeSecret, SecretString};
use authbridge::users::{UserAdmin, import};
use authbridge_tests::login::{login, me, save_user, stored_user, user, user_ref};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, StackOptions, TestStack};
use authbridge_tests::wordpress_site::{WordPress, wordpress};
use authbridge_tests::{Backend, unique};
use serde_json::json;
use tokio::net::TcpListener;
use url::Url;

const PASSWORD: &str = "Tr0ub4dor&3 wordpress";

/// A stack (whose WordPress fallback, with `fallback`, is the test site), the site posting to
/// it, and the API token it posts with.
async fn start(b: Backend, fallback: bool) -> Option<(TestStack, WordPress, String)> {
    let wp = wordpress()?;
    let url = wp.url.clone();
    start_at(b, wp, fallback.then_some(url), LoginSettings::default()).await
}

/// [`start`] with the fallback on and the login `settings` that `tune` makes of the defaults.
async fn start_tuned(
    b: Backend,
    tune: impl FnOnce(&mut LoginSettings),
) -> Option<(TestStack, WordPress, String)> {
    let wp = wordpress()?;
    let url = wp.url.clone();
    let mut settings = LoginSettings::default();
    tune(&mut settings);
    start_at(b, wp, Some(url), settings).await
}

/// [`start`] with the fallback asking WordPress at `fallback` (the site, or a relay to it), and
/// the other login `settings` as given.
async fn start_at(
    b: Backend,
    mut wp: WordPress,
    fallback: Option<Url>,
    mut settings: LoginSettings,
) -> Option<(TestStack, WordPress, String)> {
    if let Some(url) = fallback {
        let secret = format!("{}/wordpress-token", unique("authbridge-test"));
        b.secrets
            .put_secret(&secret, &SecretString::from(wp.auth_token.as_str()))
            .await
            .expect("storing the plugin's token");
        settings.wordpress = Some(WordpressSettings {
            url,
            token_secret: secret,
            timeouts: Timeouts {
                connect: Duration::from_secs(5),
                total: Duration::from_secs(10),
            },
            priority: 100,
        });
    }
    let stack = stack::start_with_login(b, StackOptions::default(), settings).await;
    let (_, token) = api_tokens::create(
        stack.backend.stores.api_tokens.as_ref(),
        &api_token_name("wordpress"),
        vec![Endpoint::SyncUser],
        IpRestriction::parse("127.0.0.1").expect("an address"),
        Scope::everything(),
    )
    .await
    .expect("an API token for sync-user");
    let token = token.expose_secret().to_string();
    wp.set_authbridge(&stack.base, &token);
    Some((stack, wp, token))
}

/// A TCP relay to the site: WordPress as the stack sees it, until [`Relay::close`] leaves the
/// stack's WordPress URL on a closed port (WordPress unreachable, the site itself untouched for the
/// other tests).
struct Relay {
    url: Url,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(site: &Url) -> Relay {
        let upstream = format!(
            "{}:{}",
            site.host_str().expect("the site's host"),
            site.port_or_known_default().expect("the site's port")
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut url = site.clone();
        url.set_port(Some(listener.local_addr().unwrap().port()))
            .unwrap();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { url, task }
    }

    /// Stops listening: the port is closed from now on.
    async fn close(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// A URL where nothing listens.
async fn nowhere() -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    url
}

/// Registers a subscriber in WordPress: (ID, login, e-mail).
async fn register(wp: &WordPress) -> (u64, String, String) {
    let login = WordPress::unique_login("e2e");
    let email = format!("{login}@example.org");
    let id = wp
        .create_user(&login, &email, PASSWORD, "Katherine", "Johnson")
        .await;
    (id, login, email)
}

async fn linked_user(stack: &TestStack, wordpress_id: u64) -> Option<User> {
    let link = stack
        .backend
        .stores
        .users
        .get_wordpress_link(wordpress_id)
        .await
        .expect("reading a link")?;
    stack
        .backend
        .stores
        .users
        .get_user(&link.user_id)
        .await
        .expect("reading a user")
}

async fn log_in(stack: &TestStack, name: &str, password: &str) -> u16 {
    login(stack, json!({"username": name, "password": password}))
        .await
        .status
}

async fn a_wordpress_registration_appears_in_authbridge_with_its_link(b: Backend) {
    let Some((stack, wp, _)) = start(b, false).await else {
        return;
    };
    let (id, login, email) = register(&wp).await;

    let link = stack
        .backend
        .stores
        .users
        .get_wordpress_link(id)
        .await
        .unwrap()
        .expect("the link to the WordPress account");
    assert_eq!(link.email, email.as_str());
    assert_eq!(link.login, login);
    assert_eq!(link.first_name.as_deref(), Some("Katherine"));
    assert_eq!(link.last_name.as_deref(), Some("Johnson"));
    assert_eq!(link.display_name.as_deref(), Some("Katherine Johnson"));
    let user = stored_user(&stack, &email).await.expect("the user");
    assert_eq!(user.id, link.user_id);
    assert!(
        user.password_hash.is_none(),
        "no usable password until the first login"
    );
    assert_eq!(wp.pending_retry(id).await, None);
}

async fn a_wordpress_email_change_moves_the_user_to_the_new_address(b: Backend) {
    let Some((stack, wp, _)) = start(b, false).await else {
        return;
    };
    let (id, _, email) = register(&wp).await;
    let before = stored_user(&stack, &email).await.expect("the user");

    let new_email = format!("moved-{email}");
    let run = wp.update_user_email(id, &new_email).await;
    assert!(!run.stderr.contains("not synced"), "{run:?}");
    let after = stored_user(&stack, &new_email)
        .await
        .expect("the user, at the new address");
    assert_eq!(after.id, before.id);
    assert!(stored_user(&stack, &email).await.is_none());
    let link = stack
        .backend
        .stores
        .users
        .get_wordpress_link(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.email, new_email.as_str());
}

async fn the_wordpress_password_logs_in_through_the_fallback_then_locally(b: Backend) {
    let Some((stack, wp, _)) = start(b, true).await else {
        return;
    };
    let (id, _, email) = register(&wp).await;
    assert!(
        linked_user(&stack, id)
            .await
            .unwrap()
            .password_hash
            .is_none()
    );

    assert_eq!(log_in(&stack, &email, PASSWORD).await, 200);
    let migrated = linked_user(&stack, id).await.expect("the linked user");
    assert!(
        migrated.password_hash.is_some(),
        "the validated password is kept"
    );

    // WordPress no longer takes that password; authbridge still does, on its own.
    wp.set_password(id, "a different WordPress password").await;
    assert_eq!(log_in(&stack, &email, PASSWORD).await, 200);
}

async fn a_login_name_is_checked_by_wordpress_as_a_login(b: Backend) {
    let Some((stack, wp, _)) = start(b, true).await else {
        return;
    };
    let (id, login, _) = register(&wp).await;
    assert_eq!(log_in(&stack, &login, PASSWORD).await, 200);
    assert!(
        linked_user(&stack, id)
            .await
            .unwrap()
            .password_hash
            .is_some()
    );
}

/// After the first login by username (validated by WordPress, through a relay), the relay closes:
/// WordPress is unreachable, and the second login by username is local.
async fn a_migrated_user_logs_in_by_username_with_wordpress_unreachable(b: Backend) {
    let Some(wp) = wordpress() else { return };
    let relay = Relay::to(&wp.url).await;
    let Some((stack, wp, _)) =
        start_at(b, wp, Some(relay.url.clone()), LoginSettings::default()).await
    else {
        return;
    };
    let (id, name, email) = register(&wp).await;
    assert_eq!(
        log_in(&stack, &name, PASSWORD).await,
        200,
        "through WordPress"
    );
    assert!(
        linked_user(&stack, id)
            .await
            .unwrap()
            .password_hash
            .is_some()
    );

    relay.close().await;
    assert_eq!(log_in(&stack, &name, PASSWORD).await, 200, "by username");
    assert_eq!(
        log_in(&stack, &name.to_uppercase(), PASSWORD).await,
        200,
        "any case"
    );
    assert_eq!(log_in(&stack, &email, PASSWORD).await, 200, "by e-mail");
    // WordPress is really out of reach: a password no local check accepts cannot be decided.
    let unknown = login(&stack, json!({"username": name, "password": "not it"})).await;
    assert_eq!(unknown.status, 503, "{unknown:?}");
    assert_eq!(unknown.body["error"], "authentication_unavailable");
}

/// A WordPress username shaped like an e-mail address (not the account's address) logs in: the
/// plugin is asked by `email`, answers 404, and is asked again by `login`. The next login by it is
/// local, with WordPress unreachable.
async fn a_username_that_looks_like_an_email_address_logs_in(b: Backend) {
    let Some(wp) = wordpress() else { return };
    let relay = Relay::to(&wp.url).await;
    let Some((stack, wp, _)) =
        start_at(b, wp, Some(relay.url.clone()), LoginSettings::default()).await
    else {
        return;
    };
    let login_name = format!("{}@looks-like.example.net", WordPress::unique_login("e2e"));
    let email = format!("{}@example.org", WordPress::unique_login("e2e"));
    let id = wp
        .create_user(&login_name, &email, PASSWORD, "Dorothy", "Vaughan")
        .await;
    let answer = login(
        &stack,
        json!({"username": login_name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let user = linked_user(&stack, id).await.expect("the linked user");
    assert_eq!(answer.body["user"]["id"], user.id.to_string());
    assert_eq!(user.email, email.as_str());
    assert!(user.password_hash.is_some());

    relay.close().await;
    assert_eq!(log_in(&stack, &login_name, PASSWORD).await, 200, "locally");
}

async fn a_wrong_password_is_refused(b: Backend) {
    let Some((stack, wp, _)) = start(b, true).await else {
        return;
    };
    let (id, login_name, email) = register(&wp).await;
    for name in [&email, &login_name] {
        let answer = login(&stack, json!({"username": name, "password": "not it"})).await;
        assert_eq!(answer.status, 401, "{answer:?}");
        assert_eq!(answer.body, json!({"error": "invalid_credentials"}));
    }
    assert!(
        linked_user(&stack, id)
            .await
            .unwrap()
            .password_hash
            .is_none()
    );
}

async fn a_user_registered_while_authbridge_was_down_arrives_with_the_retry(b: Backend) {
    let _site = WordPress::shared().await;
    let Some((stack, mut wp, token)) = start(b, false).await else {
        return;
    };
    wp.set_authbridge(&nowhere().await, &token);
    let (id, _, email) = register(&wp).await;
    assert!(stored_user(&stack, &email).await.is_none());
    assert!(wp.pending_retry(id).await.is_some());

    wp.set_authbridge(&stack.base, &token);
    assert_eq!(wp.run_cron(&[id]).await.json()["ran"], 1);
    assert!(linked_user(&stack, id).await.is_some());
    assert_eq!(wp.pending_retry(id).await, None);
}

async fn the_bulk_sync_links_existing_users_and_reports_conflicts(b: Backend) {
    let _site = WordPress::exclusive().await;
    let Some((stack, mut wp, token)) = start(b, false).await else {
        return;
    };
    wp.set_authbridge(&nowhere().await, &token);
    let (first, _, _) = register(&wp).await;
    let (second, _, _) = register(&wp).await;
    let (taken, _, taken_email) = register(&wp).await;
    // authbridge already has someone else at that address.
    let other = save_user(&stack, user(&taken_email, None), None).await;

    wp.set_authbridge(&stack.base, &token);
    let run = wp.sync_all().await;
    assert!(!run.success, "a conflict exits with 1: {run:?}");
    let summary = run.stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("synced ") && summary.ends_with(", conflicts 1, failed 0"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains(&format!("user {taken}: conflict: HTTP 409")),
        "{run:?}"
    );
    for id in [1, first, second] {
        assert!(linked_user(&stack, id).await.is_some(), "user {id}");
    }
    assert!(linked_user(&stack, taken).await.is_none());
    assert_eq!(
        stored_user(&stack, &taken_email).await.unwrap().id,
        other.id
    );
}

async fn exported_users_import_with_their_hashes_and_log_in_locally(b: Backend) {
    let Some((stack, mut wp, token)) = start(b, false).await else {
        return;
    };
    wp.set_authbridge(&nowhere().await, &token);
    let (id, _, email) = register(&wp).await;

    let export = wp.export_users().await;
    let line = export
        .lines()
        .find(|l| l.starts_with(&format!("{{\"ID\":{id},")))
        .unwrap_or_else(|| panic!("user {id} not exported"));
    let summary = import::import(
        stack.backend.stores.users.as_ref(),
        MigrationOptions::default(),
        line.as_bytes(),
    )
    .await
    .expect("importing the export");
    assert_eq!(summary.created, 1, "{summary:?}");

    // No WordPress fallback on this stack: the phpass hash is checked locally.
    assert_eq!(log_in(&stack, &email, PASSWORD).await, 200);
    assert_eq!(log_in(&stack, &email, "wrong").await, 401);
    assert!(linked_user(&stack, id).await.is_some());
}

/// What the site's own credential check says of `name` and `password`: 200 (valid), 401 (wrong
/// password) or 404 (no such user).
async fn site_says(wp: &WordPress, name: &str, password: &str) -> u16 {
    stack::http()
        .post(wp.credential_check_url())
        .bearer_auth(&wp.auth_token)
        .form(&[("login", name), ("password", password)])
        .send()
        .await
        .expect("asking the site")
        .status()
        .as_u16()
}

const NEW_PASSWORD: &str = "a passphrase set in authbridge";

/// An administrator resets a migrated user's password (`users set-password`, say because the old
/// one leaked): the old WordPress password, which the site still accepts, opens nothing, and
/// never replaces the new one (with `AUTHBRIDGE_WP_PASSWORD_RESET` either), by e-mail or username.
async fn an_administrators_reset_ends_the_wordpress_password(b: Backend, password_reset: bool) {
    let Some((stack, wp, _)) =
        start_tuned(b, |s| s.migration.password_reset = password_reset).await
    else {
        return;
    };
    let (id, login_name, email) = register(&wp).await;
    assert_eq!(log_in(&stack, &email, PASSWORD).await, 200, "migrated");
    let admin = UserAdmin {
        users: stack.backend.stores.users.as_ref(),
    };
    admin
        .set_password(&user_ref(&email), &SecretString::from(NEW_PASSWORD))
        .await
        .expect("users set-password");
    let session = login(&stack, json!({"username": email, "password": NEW_PASSWORD})).await;
    assert_eq!(session.status, 200, "{session:?}");

    assert_eq!(
        site_says(&wp, &login_name, PASSWORD).await,
        200,
        "WordPress is up and says yes"
    );
    for name in [&email, &login_name] {
        let old = login(&stack, json!({"username": name, "password": PASSWORD})).await;
        assert_eq!(old.status, 401, "{name}: {old:?}");
        assert_eq!(old.body, json!({"error": "invalid_credentials"}));
    }
    let user = linked_user(&stack, id).await.expect("the linked user");
    assert_eq!(user.password_origin, Some(PasswordOrigin::Authbridge));
    let hash = user.password_hash.expect("a password");
    assert!(
        verify_password(&SecretString::from(NEW_PASSWORD), &hash)
            .unwrap()
            .is_valid(),
        "the new password stays"
    );
    assert_eq!(
        me(&stack, Some(&session.token())).await.status,
        200,
        "and so does its session"
    );
    assert_eq!(log_in(&stack, &login_name, NEW_PASSWORD).await, 200);
}

/// A migrated user who changed the password on the WordPress site, and nowhere else, logs in with
/// the new one: WordPress still vouches for the account's password. With
/// `AUTHBRIDGE_WP_PASSWORD_RESET` the new one replaces the local one.
async fn a_password_changed_on_the_site_still_logs_in(b: Backend, password_reset: bool) {
    let Some((stack, wp, _)) =
        start_tuned(b, |s| s.migration.password_reset = password_reset).await
    else {
        return;
    };
    let (id, login_name, email) = register(&wp).await;
    assert_eq!(log_in(&stack, &login_name, PASSWORD).await, 200, "migrated");
    let changed = "a passphrase changed on the site";
    wp.set_password(id, changed).await;

    assert_eq!(log_in(&stack, &email, changed).await, 200, "by e-mail");
    assert_eq!(
        log_in(&stack, &login_name, changed).await,
        200,
        "by username"
    );
    let user = linked_user(&stack, id).await.expect("the linked user");
    assert_eq!(user.password_origin, Some(PasswordOrigin::Wordpress));
    let hash = user.password_hash.expect("a password");
    let holds = |password: &str| {
        verify_password(&SecretString::from(password), &hash)
            .unwrap()
            .is_valid()
    };
    assert_eq!(
        holds(changed),
        password_reset,
        "replaced only with the reset"
    );
    assert_eq!(holds(PASSWORD), !password_reset);
}

/// Ten spellings that the site finds as one account (its credential check answers "wrong
/// password" to each, never "no such user") share one throttle counter: the tenth failure
/// throttles the right password, whichever spelling it comes by. With `synced`, the account is a
/// local user (synced, linked, no password yet) whom every spelling finds, and the counter is the
/// user's; without, no local user stands for any of them, and the counter is the spelling's.
async fn spellings_the_site_takes_for_one_account_share_one_counter(b: Backend, synced: bool) {
    let Some((stack, mut wp, token)) = start_tuned(b, |s| {
        s.throttle.per_account = 10;
        s.throttle.per_address = 100;
    })
    .await
    else {
        return;
    };
    if !synced {
        wp.set_authbridge(&nowhere().await, &token);
    }
    let name = WordPress::unique_login("alice");
    let email = format!("{name}@example.org");
    let id = wp
        .create_user(&name, &email, PASSWORD, "Alice", "Variant")
        .await;
    assert_eq!(linked_user(&stack, id).await.is_some(), synced);
    let rest = name.strip_prefix("alice").expect("alice-...");
    let fullwidth: String = name
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            _ => c,
        })
        .collect();
    let spellings = [
        name.clone(),
        name.to_uppercase(),
        format!("àlice{rest}"),
        format!("ÀLÎÇË{}", rest.to_uppercase()),
        format!("al%41ice{rest}"),
        fullwidth,
        format!("<b>{name}</b>"),
        format!("al&amp;ice{rest}"),
        format!("ⓐlice{rest}"),
        format!("{name}&nbsp;"),
    ];
    for spelling in &spellings {
        assert_eq!(
            site_says(&wp, spelling, "a wrong guess").await,
            401,
            "the site finds {spelling:?} as {name}"
        );
        let guess = login(
            &stack,
            json!({"username": spelling, "password": "a wrong guess"}),
        )
        .await;
        assert_eq!(guess.status, 401, "{spelling:?}: {guess:?}");
    }
    for spelling in [&name, &spellings[5]] {
        let throttled = login(&stack, json!({"username": spelling, "password": PASSWORD})).await;
        assert_eq!(throttled.status, 429, "{spelling:?}: {throttled:?}");
    }
    // Another account's counter is its own.
    let (_, other, _) = register(&wp).await;
    assert_eq!(log_in(&stack, &other, PASSWORD).await, 200);
    assert_eq!(
        linked_user(&stack, id).await.is_some(),
        synced,
        "nobody migrated"
    );
}

on_both_backends!(
    an_administrators_reset_ends_the_wordpress_password_without_reset =
        an_administrators_reset_ends_the_wordpress_password(false),
    an_administrators_reset_ends_the_wordpress_password_with_reset =
        an_administrators_reset_ends_the_wordpress_password(true),
    a_password_changed_on_the_site_still_logs_in_without_reset =
        a_password_changed_on_the_site_still_logs_in(false),
    a_password_changed_on_the_site_still_logs_in_with_reset =
        a_password_changed_on_the_site_still_logs_in(true),
    spellings_of_nobody_share_one_counter =
        spellings_the_site_takes_for_one_account_share_one_counter(false),
    spellings_of_a_synced_user_share_its_counter =
        spellings_the_site_takes_for_one_account_share_one_counter(true),
    a_wordpress_registration_appears_in_authbridge_with_its_link,
    a_wordpress_email_change_moves_the_user_to_the_new_address,
    the_wordpress_password_logs_in_through_the_fallback_then_locally,
    a_login_name_is_checked_by_wordpress_as_a_login,
    a_wrong_password_is_refused,
    a_migrated_user_logs_in_by_username_with_wordpress_unreachable,
    a_username_that_looks_like_an_email_address_logs_in,
    a_user_registered_while_authbridge_was_down_arrives_with_the_retry,
    the_bulk_sync_links_existing_users_and_reports_conflicts,
    exported_users_import_with_their_hashes_and_log_in_locally,
);
