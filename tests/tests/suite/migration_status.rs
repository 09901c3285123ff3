//! The migration panel's counters on both stores: the store contract (atomic additions, hourly
//! buckets summed over a window, totals and the last time), then every counter counted by the real
//! thing over HTTP: a sync to sync-user, logins through the WordPress fallback against the stand-in
//! site (a synced user's first login, a user the login creates, a WordPress failure), an import and
//! an imported user's first local login.

use authbridge::clock;
use authbridge::domain::counter::{Counter, HOUR};
use authbridge::login::{LoginSettings, MigrationOptions};
use authbridge::migration_status::{Meter, MigrationStatus, status};
use authbridge::users::import::import_counted;
use authbridge_tests::Backend;
use authbridge_tests::login::{self, login};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, TEST_API_TOKEN, TestStack};
use authbridge_tests::wordpress::{Account, Mode, WordpressStandIn};
use serde_json::json;

async fn counters_add_up_by_hour_and_in_total(b: Backend) {
    let counters = b.stores.counters.as_ref();
    let now = clock::now();
    let zero = counters
        .counter_total(Counter::FallbackLogins)
        .await
        .unwrap();
    assert_eq!((zero.count, zero.last), (0, None));
    // Ten concurrent additions: none is lost.
    let adds = (0..10).map(|_| counters.add_count(Counter::FallbackLogins, now, 1));
    for added in futures::future::join_all(adds).await {
        added.unwrap();
    }
    counters
        .add_count(Counter::FallbackLogins, now - 3 * HOUR, 5)
        .await
        .unwrap();
    counters
        .add_count(Counter::FallbackLogins, now - 30 * HOUR, 7)
        .await
        .unwrap();
    counters
        .add_count(Counter::WordpressErrors, now, 2)
        .await
        .unwrap();
    let total = counters
        .counter_total(Counter::FallbackLogins)
        .await
        .unwrap();
    assert_eq!(total.count, 22);
    assert_eq!(
        total.last,
        Some(now),
        "an earlier time never moves the last one back"
    );
    let between = |from, to| counters.counter_between(Counter::FallbackLogins, from, to);
    assert_eq!(between(now, now).await.unwrap(), 10);
    assert_eq!(between(now - 23 * HOUR, now).await.unwrap(), 15);
    assert_eq!(between(now - 7 * 24 * HOUR, now).await.unwrap(), 22);
    assert_eq!(between(now - 40 * HOUR, now - 20 * HOUR).await.unwrap(), 7);
    let errors = counters.counter_between(Counter::WordpressErrors, now - HOUR, now);
    assert_eq!(errors.await.unwrap(), 2, "each counter apart");

    let figures = status(counters, now).await.unwrap();
    assert_eq!(
        (figures.fallback_logins_24h, figures.fallback_logins_7d),
        (15, 22)
    );
    assert_eq!(figures.wordpress_errors_24h, 2);
    assert_eq!(figures.last_fallback_login, Some(now));
}

const PASSWORD: &str = "pw-of-the-site";

async fn figures(s: &TestStack) -> MigrationStatus {
    status(s.backend.stores.counters.as_ref(), clock::now())
        .await
        .unwrap()
}

async fn sync(s: &TestStack, wordpress_id: u64, login: &str, email: &str) {
    let answer = stack::http()
        .post(s.url("/api/v1/wordpress/sync-user"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&json!({
            "wordpress_id": wordpress_id, "email": email, "user_login": login,
            "registered_at": "2020-03-13T14:02:44+00:00"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

async fn log_in(s: &TestStack, name: &str, password: &str) -> u16 {
    login(s, json!({"username": name, "password": password}))
        .await
        .status
}

async fn a_sync_a_fallback_login_an_import_and_a_failure_are_counted(b: Backend) {
    let site = WordpressStandIn::start(vec![
        Account::new(200, "synced", "synced@example.org", PASSWORD),
        Account::new(300, "fresh", "fresh@example.org", PASSWORD),
        Account::new(400, "later", "later@example.org", PASSWORD),
    ])
    .await;
    let s = login::start(b, Some(&site), LoginSettings::default()).await;
    let before = clock::now();
    assert_eq!(figures(&s).await.synced, 0);

    // A sync creates a user nobody has seen yet; syncing it again creates nothing.
    sync(&s, 200, "synced", "synced@example.org").await;
    sync(&s, 200, "synced", "synced@example.org").await;
    let f = figures(&s).await;
    assert_eq!((f.synced, f.migrated, f.never_seen), (1, 0, 1));
    assert_eq!((f.fallback_logins_24h, f.last_fallback_login), (0, None));

    // The synced user's first login goes through WordPress: a fallback login, and migrated.
    assert_eq!(log_in(&s, "synced", PASSWORD).await, 200);
    let f = figures(&s).await;
    assert_eq!((f.synced, f.migrated, f.never_seen), (1, 1, 0));
    assert_eq!((f.fallback_logins_24h, f.fallback_logins_7d), (1, 1));
    let last = f.last_fallback_login.expect("the last fallback login");
    assert!(last >= before && last <= clock::now());

    // A user WordPress alone knew: created and migrated by its login.
    assert_eq!(log_in(&s, "fresh@example.org", PASSWORD).await, 200);
    // Its second login is local: no fallback, and not migrated twice.
    assert_eq!(log_in(&s, "fresh", PASSWORD).await, 200);
    let f = figures(&s).await;
    assert_eq!((f.migrated, f.never_seen, f.fallback_logins_24h), (2, 0, 2));

    // An import: counted, and never seen until the user logs in with the imported hash.
    let export = r#"{"ID":145,"user_login":"admin","user_email":"admin@example.fu","user_pass":"$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0"}"#;
    let meter = Meter::new(s.backend.stores.counters.clone());
    let users = s.backend.stores.users.clone();
    let summary = import_counted(
        users.as_ref(),
        &meter,
        MigrationOptions::default(),
        export.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 1);
    let f = figures(&s).await;
    assert_eq!((f.imported, f.never_seen), (1, 1));
    let calls = site.calls();
    assert_eq!(
        log_in(&s, "admin@example.fu", "correct horse battery staple").await,
        200
    );
    assert_eq!(site.calls(), calls, "a local login: WordPress is not asked");
    let f = figures(&s).await;
    assert_eq!((f.migrated, f.never_seen, f.fallback_logins_24h), (3, 0, 2));

    // WordPress in trouble: the login is answered as unavailable, and the failure counted.
    site.set_mode(Mode::ServerError);
    assert_eq!(log_in(&s, "later", PASSWORD).await, 503);
    let f = figures(&s).await;
    assert_eq!(f.wordpress_errors_24h, 1);
    assert_eq!(
        f.fallback_logins_24h, 2,
        "a failed fallback is no fallback login"
    );
    assert!(!f.fallback_idle(), "fallback logins this week");
}

on_both_backends!(
    counters_add_up_by_hour_and_in_total,
    a_sync_a_fallback_login_an_import_and_a_failure_are_counted,
);
