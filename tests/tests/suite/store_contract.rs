//! The store contract: one suite, run against the embedded store (SQLite) and DynamoDB (the
//! emulator the test command starts). Both must behave the same for every access path the functions
//! use.

use authbridge_tests::login::email_of;
use authbridge_tests::stack::api_token_name;
use authbridge_tests::tokens::tag_of;
use std::collections::HashSet;
use std::sync::Arc;

use authbridge::clock;
use authbridge::domain::user::PasswordHash;
use authbridge::domain::{
    AccountKey, ClientId, Email, FlowState, LoginRecord, NameLookup, OAuthClient, Owner,
    StoredToken, User, UserId, UserSource, WordpressLink,
};
use authbridge::secrets::{ExposeSecret, SecretString};
use authbridge::store::{LeaseAttempt, Opened, PageRequest, StoreError, Taken, Unique};
use authbridge_tests::on_both_backends;
use authbridge_tests::tokens::sample_record;
use authbridge_tests::{Backend, unique};

fn client(guid: &str) -> OAuthClient {
    OAuthClient {
        id: ClientId::generate(),
        guid: guid.to_string(),
        provider: "demo".into(),
        tenant: None,
        options: serde_json::Map::new(),
        is_active: true,
        created: clock::now(),
        modified: clock::now(),
        version: 0,
    }
}

fn user(email: &str) -> User {
    User {
        first_name: Some("Ada".into()),
        ..User::new(email_of(email), UserSource::Local, clock::now())
    }
}

fn token(tag: &str) -> StoredToken {
    sample_record(tag)
}

fn flow_state(key: &str, expires_at: i64) -> FlowState {
    FlowState {
        key: key.to_string(),
        client_id: ClientId::generate(),
        scopes: vec!["profile".into()],
        tag: tag_of("t"),
        landing_url: None,
        prompt: None,
        pkce_verifier: "v".repeat(43),
        redirect_uri: "http://127.0.0.1:3000/oauth/return".into(),
        created: clock::now(),
        expires_at,
        replace: false,
        owner: None,
        created_by: "tests".into(),
        binding: None,
        connection: Default::default(),
    }
}

fn link(wordpress_id: u64, user: &UserId, email: &Email) -> WordpressLink {
    WordpressLink {
        wordpress_id,
        user_id: user.clone(),
        email: email.clone(),
        login: "ada".into(),
        registered_at: "2020-03-13T14:02:44+00:00".into(),
        nicename: None,
        url: None,
        display_name: None,
        first_name: None,
        last_name: None,
        version: 0,
    }
}

async fn clients_create_read_update_delete(b: Backend) {
    let s = &b.stores.clients;
    let c = client("guid-1");
    s.create_client(&c).await.unwrap();
    assert_eq!(s.get_client(&c.id).await.unwrap().as_ref(), Some(&c));

    let mut changed = c.clone();
    changed.tenant = Some("contoso".into());
    let updated = s.update_client(&changed).await.unwrap();
    assert_eq!(updated.version, c.version + 1);
    assert_eq!(s.get_client(&c.id).await.unwrap(), Some(updated));

    assert!(s.delete_client(&c.id).await.unwrap());
    assert_eq!(s.get_client(&c.id).await.unwrap(), None);
    assert!(!s.delete_client(&c.id).await.unwrap());
}

async fn a_duplicate_create_loses(b: Backend) {
    let c = client("guid-dup");
    b.stores.clients.create_client(&c).await.unwrap();
    let err = b.stores.clients.create_client(&c).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::Client)),
        "{err:?}"
    );

    let t = token(&unique("tag"));
    b.stores.tokens.create_token(&t).await.unwrap();
    let err = b.stores.tokens.create_token(&t).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::Token)),
        "{err:?}"
    );
}

async fn an_update_on_a_stale_version_fails(b: Backend) {
    let s = &b.stores.clients;
    let c = client("guid-stale");
    s.create_client(&c).await.unwrap();
    let first = s.update_client(&c).await.unwrap();
    // `c` still carries the version read before `first` was written.
    let err = s.update_client(&c).await.unwrap_err();
    assert!(matches!(err, StoreError::StaleVersion), "{err:?}");
    assert_eq!(s.get_client(&c.id).await.unwrap(), Some(first));

    let missing = client("guid-missing");
    let err = s.update_client(&missing).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    let t = token(&unique("tag"));
    b.stores.tokens.create_token(&t).await.unwrap();
    let mut refreshed = t.clone();
    refreshed.expires = Some(clock::now() + 7200);
    let written = b.stores.tokens.update_token(&refreshed).await.unwrap();
    let err = b.stores.tokens.update_token(&t).await.unwrap_err();
    assert!(matches!(err, StoreError::StaleVersion), "{err:?}");
    assert_eq!(
        b.stores.tokens.get_token(&t.tag).await.unwrap(),
        Some(written)
    );
}

/// A lease taken without reading the record: won only on the version named (of concurrent
/// takers of one version, exactly one), and a lost one answers the record as it is, in the same
/// call, with nothing written.
async fn a_lease_is_won_on_its_version_and_a_lost_one_answers_the_record(b: Backend) {
    let s = &b.stores.tokens;
    let t = token(&unique("tag"));
    s.create_token(&t).await.unwrap();
    let stored = s.get_token(&t.tag).await.unwrap().expect("the record");
    let until = clock::now() + 30;
    let takers = (0..8).map(|i| {
        let (s, seen) = (s.clone(), stored.seen());
        async move {
            s.lease_token(&seen, &format!("process-{i}"), until)
                .await
                .unwrap()
        }
    });
    let attempts = futures::future::join_all(takers).await;
    let won: Vec<&StoredToken> = attempts
        .iter()
        .filter_map(|a| match a {
            LeaseAttempt::Won(leased) => Some(leased),
            LeaseAttempt::Lost(_) => None,
        })
        .collect();
    assert_eq!(won.len(), 1, "exactly one taker of a version wins");
    let leased = won[0].clone();
    assert_eq!(leased.version, stored.version + 1);
    assert_eq!(leased.lease_until, Some(until));
    let mut expected = stored.leased_until(leased.lease_owner.as_deref().unwrap(), until);
    expected.version = stored.version + 1;
    assert_eq!(leased, expected, "only the lease and the version change");
    assert_eq!(s.get_token(&t.tag).await.unwrap().as_ref(), Some(&leased));
    for attempt in &attempts {
        if let LeaseAttempt::Lost(current) = attempt {
            assert_eq!(
                current.as_ref(),
                Some(&leased),
                "a lost take answers the record as it is"
            );
        }
    }
    assert_eq!(
        s.lease_token(&stored.seen(), "late", until).await.unwrap(),
        LeaseAttempt::Lost(Some(leased.clone())),
        "a stale version loses and writes nothing"
    );
    assert_eq!(s.get_token(&t.tag).await.unwrap(), Some(leased));
    let mut gone = stored.seen();
    gone.tag = tag_of(&unique("gone"));
    assert_eq!(
        s.lease_token(&gone, "any", until).await.unwrap(),
        LeaseAttempt::Lost(None),
        "no record: nothing to lease"
    );
}

/// A lease named after a record that was deleted and stored again under the same tag (another
/// connection, its version counted from the start again) loses: the new record is not leased on
/// what was known of the old one.
async fn a_lease_of_a_replaced_connection_loses_even_at_the_same_version(b: Backend) {
    let s = &b.stores.tokens;
    let mut first = token(&unique("tag"));
    first.connection_id = Some("connection-1".into());
    s.create_token(&first).await.unwrap();
    let seen = s
        .get_token(&first.tag)
        .await
        .unwrap()
        .expect("the record")
        .seen();
    s.delete_token(&first.tag).await.unwrap();
    let mut second = first.clone();
    second.connection_id = Some("connection-2".into());
    s.create_token(&second).await.unwrap();
    let stored = s
        .get_token(&first.tag)
        .await
        .unwrap()
        .expect("the new record");
    assert_eq!(stored.version, seen.version, "versions start again");
    let until = clock::now() + 30;
    assert_eq!(
        s.lease_token(&seen, "process", until).await.unwrap(),
        LeaseAttempt::Lost(Some(stored.clone())),
        "another connection under the tag is not the record seen"
    );
    let mut legacy = seen.clone();
    legacy.connection_id = None;
    assert_eq!(
        s.lease_token(&legacy, "process", until).await.unwrap(),
        LeaseAttempt::Lost(Some(stored.clone())),
        "nor is a record seen without a connection id"
    );
    assert_eq!(s.get_token(&first.tag).await.unwrap(), Some(stored.clone()));
    assert!(matches!(
        s.lease_token(&stored.seen(), "process", until)
            .await
            .unwrap(),
        LeaseAttempt::Won(_)
    ));
}

async fn two_users_with_one_email_exactly_one_wins(b: Backend) {
    let s = &b.stores.users;
    let first = user("Ada@Example.org");
    s.create_user(&first, None).await.unwrap();
    let err = s
        .create_user(&user("ada@example.ORG"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::Email)),
        "{err:?}"
    );
    let found = s
        .find_user_by_email(&email_of("ADA@example.org"))
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(first.id));
}

async fn twenty_concurrent_creates_of_one_email_make_one_user(b: Backend) {
    let users = b.stores.users.clone();
    let email = format!("{}@example.org", unique("race"));
    let attempts = (0..20).map(|_| {
        let users = users.clone();
        let candidate = user(&email);
        tokio::spawn(async move { users.create_user(&candidate, None).await })
    });
    let results = futures::future::join_all(attempts).await;
    let mut won = 0;
    for result in results {
        match result.expect("the task ran") {
            Ok(()) => won += 1,
            Err(StoreError::AlreadyExists(Unique::Email)) => {}
            // DynamoDB may cancel a transaction that collides with another in flight; the
            // caller sees it as a conflict and re-reads. It is never a second user.
            Err(StoreError::StaleVersion) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one of 20 concurrent creates wins");
    assert!(
        users
            .find_user_by_email(&email_of(&email))
            .await
            .unwrap()
            .is_some()
    );
}

async fn a_user_update_moves_the_unique_email(b: Backend) {
    let s = &b.stores.users;
    let mut u = user("old@example.org");
    u.ext_id = Some("wp-1".into());
    s.create_user(&u, None).await.unwrap();
    let other = user("taken@example.org");
    s.create_user(&other, None).await.unwrap();

    let mut clash = u.clone();
    clash.email = email_of("TAKEN@example.org");
    let err = s.update_user(&clash).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::Email)),
        "{err:?}"
    );
    assert_eq!(
        s.get_user(&u.id).await.unwrap().map(|x| x.email),
        Some(u.email.clone())
    );

    let mut moved = u.clone();
    moved.email = email_of("new@example.org");
    moved.ext_id = Some("wp-2".into());
    let moved = s.update_user(&moved).await.unwrap();
    assert_eq!(
        s.find_user_by_email(&email_of("new@example.org"))
            .await
            .unwrap(),
        Some(moved.clone())
    );
    assert_eq!(
        s.find_user_by_email(&email_of("old@example.org"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.find_user_by_ext_id("wp-2").await.unwrap(),
        Some(moved.clone())
    );
    assert_eq!(s.find_user_by_ext_id("wp-1").await.unwrap(), None);
    // The old address is free again.
    s.create_user(&user("old@example.org"), None).await.unwrap();

    let err = s.update_user(&u).await.unwrap_err();
    assert!(matches!(err, StoreError::StaleVersion), "{err:?}");
}

async fn of_concurrent_updates_from_one_read_exactly_one_wins(b: Backend) {
    let s = b.stores.users.clone();
    let mut u = user(&format!("{}@example.org", unique("signin")));
    u.ext_id = Some(unique("ext"));
    s.create_user(&u, None).await.unwrap();
    // Ten sign-ins from the same read, half of them also changing the case of the address
    // (which keeps its unique key).
    let attempts = (0..10).map(|i| {
        let (s, mut next) = (s.clone(), u.clone());
        next.current_sign_in_at = Some(1_000 + i);
        if i % 2 == 1 {
            next.email = email_of(&next.email.as_str().to_uppercase());
        }
        tokio::spawn(async move { s.update_user(&next).await })
    });
    let mut won = Vec::new();
    for result in futures::future::join_all(attempts).await {
        match result.expect("the task ran") {
            Ok(saved) => won.push(saved),
            Err(StoreError::StaleVersion) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one of 10 updates from one read wins");
    let stored = s.get_user(&u.id).await.unwrap();
    assert_eq!(stored.as_ref(), won.first());
    // The address and the ext_id still find the user, whichever case won.
    let by_email = s.find_user_by_email(&u.email).await.unwrap();
    assert_eq!(by_email.as_ref(), won.first());
    let ext_id = u.ext_id.as_deref().unwrap_or_default();
    assert_eq!(
        s.find_user_by_ext_id(ext_id).await.unwrap().as_ref(),
        won.first()
    );
}

async fn ext_ids_are_unique(b: Backend) {
    let s = &b.stores.users;
    let mut a = user("a@example.org");
    a.ext_id = Some("42".into());
    s.create_user(&a, None).await.unwrap();
    let mut c = user("c@example.org");
    c.ext_id = Some("42".into());
    let err = s.create_user(&c, None).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::ExtId)),
        "{err:?}"
    );
    // Nothing half-written: the loser's e-mail is still free.
    assert_eq!(
        s.find_user_by_email(&email_of("c@example.org"))
            .await
            .unwrap(),
        None
    );
}

async fn a_user_and_its_wordpress_link_are_written_together(b: Backend) {
    let s = &b.stores.users;
    let mut u = user("wp@example.org");
    u.wordpress_id = Some(145);
    let l = link(145, &u.id, &u.email);
    s.create_user(&u, Some(&l)).await.unwrap();
    let stored = s.get_wordpress_link(145).await.unwrap().expect("the link");
    assert_eq!(stored.user_id, u.id);
    assert_eq!(stored.version, 1);

    // A second user claiming the same WordPress account loses, and is not created.
    let mut v = user("other@example.org");
    v.wordpress_id = Some(145);
    let err = s
        .create_user(&v, Some(&link(145, &v.id, &v.email)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::WordpressLink)),
        "{err:?}"
    );
    assert_eq!(s.get_user(&v.id).await.unwrap(), None);
    assert_eq!(
        s.find_user_by_email(&email_of("other@example.org"))
            .await
            .unwrap(),
        None
    );

    let mut changed = stored.clone();
    changed.email = email_of("wp2@example.org");
    let saved = s.save_wordpress_link(&changed).await.unwrap();
    assert_eq!(saved.version, 2);
    let err = s.save_wordpress_link(&changed).await.unwrap_err();
    assert!(matches!(err, StoreError::StaleVersion), "{err:?}");

    assert!(s.delete_user(&u.id).await.unwrap());
    assert_eq!(s.get_wordpress_link(145).await.unwrap(), None);
    assert_eq!(
        s.find_user_by_email(&email_of("wp@example.org"))
            .await
            .unwrap(),
        None
    );
}

async fn a_wordpress_login_finds_its_user_and_is_unique(b: Backend) {
    let s = &b.stores.users;
    let login = |id: u64, user: &User, name: &str| WordpressLink {
        login: name.to_string(),
        ..link(id, &user.id, &user.email)
    };
    let mut u = user("grace@example.org");
    u.wordpress_id = Some(146);
    s.create_user(&u, Some(&login(146, &u, "Grace.H")))
        .await
        .unwrap();
    let found = |name: &'static str| async move {
        s.find_user_by_wordpress_login(name)
            .await
            .unwrap()
            .map(|user| user.id)
    };
    assert_eq!(
        found("grace.h").await,
        Some(u.id.clone()),
        "case does not matter"
    );
    assert_eq!(found(" GRACE.H ").await, Some(u.id.clone()));
    assert_eq!(found("grace").await, None);
    assert_eq!(found("").await, None);

    // Another WordPress account with the same login loses, and its user is not created.
    let mut v = user("other-grace@example.org");
    v.wordpress_id = Some(147);
    let err = s
        .create_user(&v, Some(&login(147, &v, "GRACE.h")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::WordpressLogin)),
        "{err:?}"
    );
    assert_eq!(s.get_user(&v.id).await.unwrap(), None);

    // A rename moves the login: the old one finds nobody, and is free for another account.
    let mut renamed = s.get_wordpress_link(146).await.unwrap().unwrap();
    renamed.login = "grace2".into();
    s.save_wordpress_link(&renamed).await.unwrap();
    assert_eq!(found("grace2").await, Some(u.id.clone()));
    assert_eq!(found("grace.h").await, None);
    s.create_user(&v, Some(&login(147, &v, "grace.h")))
        .await
        .unwrap();
    assert_eq!(found("grace.h").await, Some(v.id.clone()));

    // A link may not take a login another link holds.
    let mut taken = s.get_wordpress_link(147).await.unwrap().unwrap();
    taken.login = "Grace2".into();
    let err = s.save_wordpress_link(&taken).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::WordpressLogin)),
        "{err:?}"
    );
    assert_eq!(found("grace.h").await, Some(v.id.clone()));

    // Deleting the user frees its login.
    assert!(s.delete_user(&u.id).await.unwrap());
    assert_eq!(found("grace2").await, None);
}

/// The login record a name finds, which a refused login decides on without reading the user:
/// `None` when the name finds nobody; panics when the store keeps no record with the name.
async fn record_of(b: &Backend, name: &str) -> Option<LoginRecord> {
    let s = &b.stores.users;
    let found = match Email::parse(name) {
        Ok(email) => s.find_login_by_email(&email).await.unwrap(),
        Err(_) => s.find_login_by_wordpress_login(name).await.unwrap(),
    };
    found.map(|found| match found {
        NameLookup::Record(record) => record,
        NameLookup::User(id) => panic!("{name} names {id} without its login record"),
    })
}

/// Every write that changes what a login decides on (a password, disabling, the e-mail address, a
/// link saved or renamed) leaves every name of the user with the same, current record: the hash,
/// whether it is active, its session generation and the spellings of all its names.
async fn every_name_of_a_user_keeps_its_current_login_record(b: Backend) {
    let s = &b.stores.users;
    let mut u = user("record@example.org");
    u.password_hash = Some(PasswordHash("$argon2id$first".into()));
    u.wordpress_id = Some(170);
    let first = WordpressLink {
        login: "Rec.One".into(),
        ..link(170, &u.id, &u.email)
    };
    s.create_user(&u, Some(&first)).await.unwrap();
    let names = |extra: &[&'static str]| {
        let mut all = vec!["record@example.org", "rec.one"];
        all.extend_from_slice(extra);
        all
    };
    let same_everywhere = |names: Vec<&'static str>| {
        let b = &b;
        async move {
            let mut records = Vec::new();
            for name in &names {
                records.push(record_of(b, name).await.unwrap_or_else(|| panic!("{name}")));
            }
            for (name, record) in names.iter().zip(&records) {
                assert_eq!(record, &records[0], "{name}");
            }
            records.swap_remove(0)
        }
    };
    let created = same_everywhere(names(&[])).await;
    assert_eq!(created.user_id, u.id);
    assert_eq!(created.password_hash, u.password_hash);
    assert!(created.active);
    assert_eq!(created.spellings.len(), 2, "the address and the login");

    // A second link: listed on every name, the first link's guard included.
    let second = WordpressLink {
        login: "rec.two".into(),
        ..link(171, &u.id, &u.email)
    };
    s.save_wordpress_link(&second).await.unwrap();
    let linked = same_everywhere(names(&["rec.two"])).await;
    assert_eq!(linked.spellings.len(), 3);

    // A new password ends sessions: every name has the new hash and generation.
    let mut changed = s.get_user(&u.id).await.unwrap().unwrap();
    changed.password_hash = Some(PasswordHash("$argon2id$second".into()));
    changed.end_sessions();
    let changed = s.update_user(&changed).await.unwrap();
    let after = same_everywhere(names(&["rec.two"])).await;
    assert_eq!(after.password_hash, changed.password_hash);
    assert_eq!(after.session_generation, changed.session_generation);

    // Disabled: every name says so.
    let mut disabled = changed.clone();
    disabled.set_active(false);
    let disabled = s.update_user(&disabled).await.unwrap();
    assert!(!same_everywhere(names(&["rec.two"])).await.active);

    // A renamed link: the old login finds nobody, the new one the same record, without the old
    // spelling.
    let mut renamed = s.get_wordpress_link(171).await.unwrap().unwrap();
    renamed.login = "rec.three".into();
    s.save_wordpress_link(&renamed).await.unwrap();
    assert_eq!(record_of(&b, "rec.two").await, None);
    let after_rename = same_everywhere(names(&["rec.three"])).await;
    assert_eq!(after_rename.spellings.len(), 3);
    assert_ne!(after_rename.spellings, linked.spellings);

    // A new address: the old one finds nobody, every name carries the new address's spelling.
    let mut moved = disabled.clone();
    moved.email = email_of("record.moved@example.org");
    s.update_user(&moved).await.unwrap();
    assert_eq!(record_of(&b, "record@example.org").await, None);
    let at_new = record_of(&b, "record.moved@example.org").await.unwrap();
    assert_eq!(record_of(&b, "rec.one").await.as_ref(), Some(&at_new));
    assert_eq!(record_of(&b, "rec.three").await.as_ref(), Some(&at_new));
    assert_ne!(at_new.spellings[0], after_rename.spellings[0]);

    // A sign-in (nothing the record copies) leaves it as it is.
    let mut signed_in = s.get_user(&u.id).await.unwrap().unwrap();
    signed_in.current_sign_in_at = Some(clock::now());
    s.update_user(&signed_in).await.unwrap();
    assert_eq!(
        record_of(&b, "record.moved@example.org").await,
        Some(at_new)
    );
}

/// A user linked to two WordPress accounts: deleting it deletes both links and frees both
/// logins, so either account can link again (a link left behind would break its next login).
async fn deleting_a_user_deletes_all_its_wordpress_links(b: Backend) {
    let s = &b.stores.users;
    let linked = |id: u64, user: &User, login: &str| WordpressLink {
        login: login.to_string(),
        ..link(id, &user.id, &user.email)
    };
    let mut u = user("two-sites@example.org");
    u.wordpress_id = Some(160);
    s.create_user(&u, Some(&linked(160, &u, "Ada.One")))
        .await
        .unwrap();
    s.save_wordpress_link(&linked(161, &u, "ada.two"))
        .await
        .unwrap();

    assert!(s.delete_user(&u.id).await.unwrap());
    for (id, login) in [(160, "ada.one"), (161, "ada.two")] {
        assert_eq!(s.get_wordpress_link(id).await.unwrap(), None, "link {id}");
        assert_eq!(
            s.find_user_by_wordpress_login(login).await.unwrap(),
            None,
            "{login}"
        );
    }

    for (id, login) in [(160, "Ada.One"), (161, "ada.two")] {
        let mut v = user(&format!("again-{id}@example.org"));
        v.wordpress_id = Some(id);
        s.create_user(&v, Some(&linked(id, &v, login)))
            .await
            .unwrap();
        let relinked = s.get_wordpress_link(id).await.unwrap().map(|l| l.user_id);
        assert_eq!(relinked, Some(v.id.clone()));
        let found = s.find_user_by_wordpress_login(login).await.unwrap();
        assert_eq!(found.map(|user| user.id), Some(v.id.clone()));
    }
}

async fn a_flow_state_is_taken_once(b: Backend) {
    let s = &b.stores.flow_states;
    let now = clock::now();
    let live = flow_state(&unique("state"), now + 600);
    s.put_flow_state(&live).await.unwrap();
    let err = s.put_flow_state(&live).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::FlowState)),
        "{err:?}"
    );
    assert_eq!(
        s.take_flow_state(&live.key, now).await.unwrap(),
        Taken::Live(live.clone())
    );
    assert_eq!(
        s.take_flow_state(&live.key, now).await.unwrap(),
        Taken::Absent
    );
    assert_eq!(
        s.take_flow_state("never-made", now).await.unwrap(),
        Taken::Absent
    );
}

async fn an_expired_flow_state_reads_as_expired(b: Backend) {
    let s = &b.stores.flow_states;
    let now = clock::now();
    let state = flow_state(&unique("state"), now + 60);
    s.put_flow_state(&state).await.unwrap();
    // Read two minutes later: the emulator never deletes expired items, so the store checks.
    assert_eq!(
        s.take_flow_state(&state.key, now + 120).await.unwrap(),
        Taken::Expired
    );
    assert_eq!(
        s.take_flow_state(&state.key, now + 120).await.unwrap(),
        Taken::Absent
    );
}

async fn concurrent_takes_of_one_state_have_one_winner(b: Backend) {
    let s = b.stores.flow_states.clone();
    let now = clock::now();
    let state = flow_state(&unique("state"), now + 600);
    s.put_flow_state(&state).await.unwrap();
    let takes = (0..10).map(|_| {
        let s = s.clone();
        let key = state.key.clone();
        tokio::spawn(async move { s.take_flow_state(&key, now).await })
    });
    let live = futures::future::join_all(takes)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(Ok(Taken::Live(_)))))
        .count();
    assert_eq!(live, 1);
}

async fn a_flow_state_is_opened_once_and_keeps_its_binding(b: Backend) {
    let s = b.stores.flow_states.clone();
    let now = clock::now();
    let state = flow_state(&unique("state"), now + 600);
    s.put_flow_state(&state).await.unwrap();
    let opens = (0..10).map(|i| {
        let s = s.clone();
        let key = state.key.clone();
        tokio::spawn(async move { s.open_flow_state(&key, &format!("binding-{i}"), now).await })
    });
    let results: Vec<_> = futures::future::join_all(opens)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    let winners: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            Opened::Opened(flow) => Some(flow.binding.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == Opened::AlreadyOpened)
            .count(),
        9
    );
    // The state keeps the winner's binding until it is taken.
    match s.take_flow_state(&state.key, now).await.unwrap() {
        Taken::Live(flow) => assert_eq!(flow.binding, winners[0]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.open_flow_state(&state.key, "late", now).await.unwrap(),
        Opened::Absent
    );
    let expired = flow_state(&unique("state"), now + 60);
    s.put_flow_state(&expired).await.unwrap();
    assert_eq!(
        s.open_flow_state(&expired.key, "b", now + 120)
            .await
            .unwrap(),
        Opened::Expired
    );
}

async fn tokens_are_listed_by_owner_through_the_index(b: Backend) {
    let s = &b.stores.tokens;
    let owner_of = |raw: String| Owner::parse(&raw).expect("a valid owner");
    let (a, other) = (owner_of(unique("contact")), owner_of(unique("contact")));
    for (tag, owner) in [
        ("a3", Some(&a)),
        ("a1", Some(&a)),
        ("b1", Some(&other)),
        ("n1", None),
        ("a2", Some(&a)),
    ] {
        let mut t = token(tag);
        t.owner = owner.cloned();
        s.create_token(&t).await.unwrap();
    }
    let first = s.owner_tokens(&a, &PageRequest::first(2)).await.unwrap();
    let tags: Vec<_> = first.items.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tags, ["a1", "a2"]);
    let rest = s
        .owner_tokens(
            &a,
            &PageRequest {
                limit: 2,
                after: first.next.clone(),
            },
        )
        .await
        .unwrap();
    let tags: Vec<_> = rest.items.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tags, ["a3"]);
    assert_eq!(rest.next, None);
    let theirs = s
        .owner_tokens(&other, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(theirs.items.len(), 1);
    assert_eq!(theirs.items[0].owner.as_ref(), Some(&other));
    let nobody = s
        .owner_tokens(&owner_of("nobody".into()), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(nobody.items.is_empty());
    // An owner moves with the record.
    let mut moved = s.get_token(&tag_of("a1")).await.unwrap().unwrap();
    moved.owner = Some(other.clone());
    s.update_token(&moved).await.unwrap();
    assert_eq!(
        s.owner_tokens(&other, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

/// The tags of the records holding `account`, following every page of `limit`.
async fn account_tags(b: &Backend, account: &AccountKey, limit: u32) -> Vec<String> {
    let s = &b.stores.tokens;
    let mut tags = Vec::new();
    let mut page = PageRequest::first(limit);
    loop {
        let got = s.account_tokens(account, &page).await.unwrap();
        assert!(got.items.len() <= limit as usize);
        tags.extend(got.items.into_iter().map(|t| t.tag.into_string()));
        match got.next {
            Some(next) => page.after = Some(next),
            None => return tags,
        }
    }
}

async fn tokens_are_found_by_account_through_the_index(b: Backend) {
    let s = &b.stores.tokens;
    let (client, elsewhere) = (ClientId::generate(), ClientId::generate());
    let alice = serde_json::json!({"sub": unique("alice"), "name": "Alice"});
    // Another person with the same display name.
    let namesake = serde_json::json!({"sub": unique("alice"), "name": "Alice"});
    for (tag, client, owner) in [
        ("acct-3", &client, Some(&alice)),
        ("acct-1", &client, Some(&alice)),
        ("acct-namesake", &client, Some(&namesake)),
        ("acct-elsewhere", &elsewhere, Some(&alice)),
        ("acct-none", &client, None),
        ("acct-2", &client, Some(&alice)),
    ] {
        let t = StoredToken {
            client_id: client.clone(),
            resource_owner: owner.cloned(),
            ..token(tag)
        };
        s.create_token(&t).await.unwrap();
    }
    let key = AccountKey::of(&client, &alice).unwrap();
    assert_eq!(
        account_tags(&b, &key, 2).await,
        ["acct-1", "acct-2", "acct-3"]
    );
    let namesake_key = AccountKey::of(&client, &namesake).unwrap();
    assert_eq!(account_tags(&b, &namesake_key, 10).await, ["acct-namesake"]);
    let other_client = AccountKey::of(&elsewhere, &alice).unwrap();
    assert_eq!(
        account_tags(&b, &other_client, 10).await,
        ["acct-elsewhere"]
    );
    let nobody = AccountKey::of(&client, &serde_json::json!({"sub": "nobody"})).unwrap();
    assert!(account_tags(&b, &nobody, 10).await.is_empty());
    // The key moves with the record: another account's grant written over it, or a delete.
    let mut moved = s.get_token(&tag_of("acct-1")).await.unwrap().unwrap();
    moved.resource_owner = Some(namesake.clone());
    s.update_token(&moved).await.unwrap();
    assert!(s.delete_token(&tag_of("acct-3")).await.unwrap());
    assert_eq!(account_tags(&b, &key, 10).await, ["acct-2"]);
    assert_eq!(
        account_tags(&b, &namesake_key, 10).await,
        ["acct-1", "acct-namesake"]
    );
}

async fn lists_are_paginated_in_key_order(b: Backend) {
    let s = &b.stores.clients;
    let mut created = Vec::new();
    for i in 0..23 {
        let c = client(&format!("guid-{i}"));
        s.create_client(&c).await.unwrap();
        created.push(c.id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(10);
    let mut pages = 0;
    loop {
        let got = s.list_clients(&page).await.unwrap();
        assert!(got.items.len() <= 10);
        pages += 1;
        seen.extend(got.items.into_iter().map(|c| c.id));
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert!(pages >= 3);
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "every client once, in id order");

    for i in 0..5 {
        b.stores
            .tokens
            .create_token(&token(&format!("tag-{i:02}")))
            .await
            .unwrap();
        b.stores
            .users
            .create_user(&user(&format!("u{i}@example.org")), None)
            .await
            .unwrap();
    }
    let tokens = b
        .stores
        .tokens
        .list_tokens(&PageRequest::first(3))
        .await
        .unwrap();
    assert_eq!(
        tokens
            .items
            .iter()
            .map(|t| t.tag.as_str())
            .collect::<Vec<_>>(),
        ["tag-00", "tag-01", "tag-02"]
    );
    let rest = b
        .stores
        .tokens
        .list_tokens(&PageRequest {
            limit: 3,
            after: tokens.next,
        })
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    let users: HashSet<_> = b
        .stores
        .users
        .list_users(&PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(users.len(), 5);
}

async fn secrets_put_get_replace_delete(b: Backend) {
    let s = &b.secrets;
    let name = format!("{}/clients/x", unique("authbridge-test"));
    assert!(s.get_secret(&name).await.unwrap().is_none());
    s.put_secret(&name, &SecretString::from("first"))
        .await
        .unwrap();
    assert_eq!(
        s.get_secret(&name).await.unwrap().unwrap().expose_secret(),
        "first"
    );
    s.put_secret(&name, &SecretString::from("second"))
        .await
        .unwrap();
    assert_eq!(
        s.get_secret(&name).await.unwrap().unwrap().expose_secret(),
        "second"
    );
    assert!(s.delete_secret(&name).await.unwrap());
    assert!(s.get_secret(&name).await.unwrap().is_none());

    // Create-if-absent: the first value wins and is kept.
    let key = format!("{}/token-key", unique("authbridge-test"));
    assert!(
        s.create_secret(&key, &SecretString::from("winner"))
            .await
            .unwrap()
    );
    assert!(
        !s.create_secret(&key, &SecretString::from("loser"))
            .await
            .unwrap()
    );
    assert_eq!(
        s.get_secret(&key).await.unwrap().unwrap().expose_secret(),
        "winner"
    );
}

async fn due_tokens_come_from_the_index_in_due_order(b: Backend) {
    let s = &b.stores.tokens;
    let now = clock::now();
    let mut due = Vec::new();
    for i in 0..24 {
        let mut t = token(&format!("due-{i:02}"));
        t.due_at = match i % 3 {
            0 => Some(now - 100 + i),  // due
            1 => Some(now + 1000 + i), // later
            _ => None,                 // never (needs the user again)
        };
        if i % 3 == 0 {
            due.push(t.tag.clone());
        }
        s.create_token(&t).await.unwrap();
    }
    // A record leaves the due list when it is refreshed (its due_at moves on).
    let mut moved = s.get_token(&tag_of("due-00")).await.unwrap().unwrap();
    moved.due_at = Some(now + 5000);
    s.update_token(&moved).await.unwrap();
    due.retain(|t| t != "due-00");

    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    for _ in 0..10 {
        let got = s.due_tokens(now, &page).await.unwrap();
        assert!(got.items.len() <= 3);
        seen.extend(got.items.into_iter().map(|t| t.tag));
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, due, "exactly the due records, earliest first");
}

fn session(key: &str, expires_at: i64) -> authbridge::domain::Session {
    authbridge::domain::Session {
        key: key.to_string(),
        user_id: UserId::generate(),
        created: clock::now(),
        expires_at,
        generation: 0,
    }
}

async fn a_session_reads_back_until_it_expires(b: Backend) {
    let s = &b.stores.sessions;
    let now = clock::now();
    let live = session(&unique("session"), now + 60);
    s.put_session(&live).await.unwrap();
    assert_eq!(
        s.get_session(&live.key, now).await.unwrap(),
        Some(live.clone())
    );
    assert_eq!(
        s.get_session(&live.key, now + 59).await.unwrap(),
        Some(live.clone())
    );
    // From its expiry on it reads as absent, although DynamoDB (and the emulator) may still hold it.
    assert_eq!(s.get_session(&live.key, now + 60).await.unwrap(), None);
    assert_eq!(s.get_session("never-issued", now).await.unwrap(), None);

    let err = s.put_session(&live).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::Session)),
        "{err:?}"
    );

    assert!(s.delete_session(&live.key).await.unwrap());
    assert_eq!(s.get_session(&live.key, now).await.unwrap(), None);
    assert!(!s.delete_session(&live.key).await.unwrap());
}

async fn an_expired_session_reads_as_absent(b: Backend) {
    let s = &b.stores.sessions;
    let now = clock::now();
    let expired = session(&unique("session"), now - 1);
    s.put_session(&expired).await.unwrap();
    assert_eq!(s.get_session(&expired.key, now).await.unwrap(), None);
    // Its key may be issued again: the expired item is garbage.
    let again = session(&expired.key, now + 60);
    s.put_session(&again).await.unwrap();
    assert_eq!(s.get_session(&again.key, now).await.unwrap(), Some(again));
}

async fn attempts_count_within_the_window_and_restart_after_it(b: Backend) {
    let s = &b.stores.attempts;
    let key = unique("account");
    let now = clock::now();
    let first_window = now + 60;
    for expected in 1..=3 {
        let got = s.add_attempt(&key, 60, now).await.unwrap();
        assert_eq!((got.count, got.window_ends), (expected, first_window));
    }
    let later = s.add_attempt(&key, 60, now + 30).await.unwrap();
    assert_eq!((later.count, later.window_ends), (4, first_window));
    // Other keys count on their own.
    assert_eq!(
        s.add_attempt(&unique("address"), 60, now)
            .await
            .unwrap()
            .count,
        1
    );

    let restarted = s.add_attempt(&key, 60, now + 60).await.unwrap();
    assert_eq!((restarted.count, restarted.window_ends), (1, now + 120));

    // A read sees the open window only, and counts nothing.
    assert_eq!(
        s.get_attempts(&key, now + 61).await.unwrap(),
        Some(restarted)
    );
    assert_eq!(
        s.get_attempts(&key, now + 61)
            .await
            .unwrap()
            .map(|a| a.count),
        Some(1)
    );
    assert_eq!(s.get_attempts(&key, now + 120).await.unwrap(), None);
    assert_eq!(s.get_attempts(&unique("none"), now).await.unwrap(), None);

    s.clear_attempts(&key).await.unwrap();
    assert_eq!(s.get_attempts(&key, now + 62).await.unwrap(), None);
    let fresh = s.add_attempt(&key, 60, now + 62).await.unwrap();
    assert_eq!((fresh.count, fresh.window_ends), (1, now + 122));
}

async fn concurrent_attempts_are_never_lost(b: Backend) {
    let s = b.stores.attempts.clone();
    let key = unique("account");
    let now = clock::now();
    s.add_attempt(&key, 60, now).await.unwrap();
    // Twenty attempts at once, just after that window ended: one new window, every one counted.
    let racing = (0..20).map(|_| {
        let (s, key) = (s.clone(), key.clone());
        tokio::spawn(async move { s.add_attempt(&key, 60, now + 61).await })
    });
    let mut counts = Vec::new();
    for result in futures::future::join_all(racing).await {
        let attempts = result.expect("the task ran").unwrap();
        assert_eq!(attempts.window_ends, now + 121, "one window for all");
        counts.push(attempts.count);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
    assert_eq!(s.add_attempt(&key, 60, now + 62).await.unwrap().count, 21);
}

async fn api_tokens_are_found_by_hash_and_versioned(b: Backend) {
    use authbridge::domain::{ApiToken, Endpoint, IpRestriction};
    let s = &b.stores.api_tokens;
    let token = ApiToken {
        name: api_token_name("site"),
        token_hash: "ab".repeat(32),
        active: true,
        ip_restriction: IpRestriction::parse("10.0.0.0/8").unwrap(),
        endpoints: vec![Endpoint::SyncUser],
        scope: Default::default(),
        created: clock::now(),
        last_used: None,
        version: 0,
    };
    s.create_api_token(&token).await.unwrap();
    let err = s.create_api_token(&token).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::ApiToken)),
        "{err:?}"
    );
    assert_eq!(
        s.get_api_token(&token.token_hash).await.unwrap(),
        Some(token.clone())
    );
    let mut used = token.clone();
    used.last_used = Some(clock::now());
    let saved = s.update_api_token(&used).await.unwrap();
    assert_eq!(saved.version, 1);
    assert!(matches!(
        s.update_api_token(&token).await.unwrap_err(),
        StoreError::StaleVersion
    ));
    let listed = s.list_api_tokens(&PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items, vec![saved]);
    assert!(s.delete_api_token(&token.token_hash).await.unwrap());
    assert_eq!(s.get_api_token(&token.token_hash).await.unwrap(), None);
}

on_both_backends!(
    clients_create_read_update_delete,
    every_name_of_a_user_keeps_its_current_login_record,
    a_duplicate_create_loses,
    an_update_on_a_stale_version_fails,
    a_lease_is_won_on_its_version_and_a_lost_one_answers_the_record,
    a_lease_of_a_replaced_connection_loses_even_at_the_same_version,
    two_users_with_one_email_exactly_one_wins,
    twenty_concurrent_creates_of_one_email_make_one_user,
    a_user_update_moves_the_unique_email,
    of_concurrent_updates_from_one_read_exactly_one_wins,
    ext_ids_are_unique,
    a_user_and_its_wordpress_link_are_written_together,
    a_wordpress_login_finds_its_user_and_is_unique,
    deleting_a_user_deletes_all_its_wordpress_links,
    a_flow_state_is_taken_once,
    an_expired_flow_state_reads_as_expired,
    concurrent_takes_of_one_state_have_one_winner,
    a_flow_state_is_opened_once_and_keeps_its_binding,
    lists_are_paginated_in_key_order,
    tokens_are_listed_by_owner_through_the_index,
    tokens_are_found_by_account_through_the_index,
    secrets_put_get_replace_delete,
    a_session_reads_back_until_it_expires,
    an_expired_session_reads_as_absent,
    attempts_count_within_the_window_and_restart_after_it,
    concurrent_attempts_are_never_lost,
    due_tokens_come_from_the_index_in_due_order,
    api_tokens_are_found_by_hash_and_versioned,
);

/// The embedded file survives a restart, and two handles on it (the local stack and the admin CLI)
/// see each other's writes and race safely.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_embedded_file_is_shared_and_survives_a_restart() {
    use authbridge::store::sqlite::SqliteStore;
    use authbridge::store::{ClientStore, UserStore};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/authbridge.db");
    let c = client("persisted");
    {
        let store = SqliteStore::open(&path).unwrap();
        store.create_client(&c).await.unwrap();
    }
    let first = Arc::new(SqliteStore::open(&path).unwrap());
    let second = Arc::new(SqliteStore::open(&path).unwrap());
    assert_eq!(second.get_client(&c.id).await.unwrap(), Some(c));

    let attempts = (0..20).map(|i| {
        let store = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move { store.create_user(&user("shared@example.org"), None).await })
    });
    let won = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(Ok(()))))
        .count();
    assert_eq!(won, 1);
}

/// A file from before the account index (its `tokens` table without `account_key`) gets the column
/// when it is opened, filled from each stored record: records written before are found at once.
#[tokio::test]
async fn the_embedded_store_indexes_the_accounts_of_records_stored_before() {
    use authbridge::store::TokenStore;
    use authbridge::store::sqlite::SqliteStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authbridge.db");
    let alice = serde_json::json!({"sub": "alice"});
    let old = StoredToken {
        resource_owner: Some(alice.clone()),
        version: 1,
        ..token("before")
    };
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE tokens (tag TEXT PRIMARY KEY, data TEXT NOT NULL,
                 version INTEGER NOT NULL, due_at INTEGER);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO tokens (tag, data, version, due_at) VALUES (?1, ?2, 1, NULL)",
            rusqlite::params![old.tag.as_str(), serde_json::to_string(&old).unwrap()],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let key = AccountKey::of(&old.client_id, &alice).unwrap();
    let found = store
        .account_tokens(&key, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items, [old]);
}

/// A DynamoDB item from before the account index has no `account_key`: the index does not list it
/// until it is written again (its next refresh, or `authbridge tokens reindex`), and then does.
#[tokio::test]
async fn a_dynamodb_record_stored_before_the_index_is_found_once_written_again() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let Some(b) = authbridge_tests::dynamo_backend().await else {
        return;
    };
    let dynamo = b.dynamo().expect("a DynamoDB backend");
    let s = &b.stores.tokens;
    let alice = serde_json::json!({"sub": "alice"});
    let record = StoredToken {
        resource_owner: Some(alice.clone()),
        ..token("before")
    };
    s.create_token(&record).await.unwrap();
    // As an earlier version wrote it.
    dynamo
        .raw_client()
        .update_item()
        .table_name(dynamo.table())
        .key("pk", AttributeValue::S("TOKEN#before".into()))
        .update_expression("REMOVE account_key")
        .send()
        .await
        .unwrap();
    let key = AccountKey::of(&record.client_id, &alice).unwrap();
    assert!(
        account_tags(&b, &key, 10).await.is_empty(),
        "not indexed yet"
    );
    let stored = s.get_token(&tag_of("before")).await.unwrap().unwrap();
    s.update_token(&stored).await.unwrap();
    assert_eq!(account_tags(&b, &key, 10).await, ["before"]);
}
