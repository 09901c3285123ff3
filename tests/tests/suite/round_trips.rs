//! Round trips to DynamoDB, counted by the interceptor on the test client (`round_trips.rs` in the
//! helpers), not timed: per operation over HTTP on a test stack, the store calls and their
//! sequential depth (calls in flight together count once). On DynamoDB each wave is a network
//! round trip, so a change that adds one fails here. The goals (issue 29): a refused login at most
//! 2 waves besides its verification, a successful one at most 3, a token read 1 (2 when it
//! refreshes, plus the provider), sync-user no more than before; the constants below say where
//! each stands (a refreshing read of a token the process does not know is due is not there: 3).
//! A wave is counted conservatively: two independent chains of calls that interleave can count
//! more than they take, never fewer. DynamoDB only: the embedded store has no round trips; needs
//! the emulator (and the test authorization server for token reads).

use std::sync::Arc;

use authbridge::clock;
use authbridge::login::LoginSettings;
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge_tests::login::{self, login, save_linked, user};
use authbridge_tests::oidc;
use authbridge_tests::round_trips::Tally;
use authbridge_tests::stack::{self, StackOptions, TestStack, api_token_name};
use authbridge_tests::tokens::{self, TokenProxy, connect, get_token, record, send};
use authbridge_tests::{Backend, dynamo_backend};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

/// The most sequential waves each operation may take (goals of issue 29: 2, 3, 1 and 2; before
/// it: 5, 6, 3 and 7; a warm process keeps its API tokens: 2 and 6). A refusal takes 2 whether
/// the name is a local user's or nobody's: the guards (which keep the user's login record: its
/// hash, whether it is active, the spellings of all its names) and the counters of the address
/// and of the spelling typed, then the counts under every spelling and the address. A success
/// reads the user after its password verified (3). A name whose guard was written before guards
/// kept the record takes one wave more, the user and its counter ([`LEGACY_GUARD`]).
const REFUSED_LOGIN: usize = 2;
const REFUSED_LOCAL_USER: usize = 2;
const SUCCESSFUL_LOGIN: usize = 3;
/// A refusal by a name whose guard keeps no login record yet: its user and counter are read
/// after the guard, so one wave more than [`REFUSED_LOCAL_USER`].
const LEGACY_GUARD: usize = 3;
/// A warm token read: the record alone (the API token and the record's client are kept by the
/// process for their cache periods, the keys for theirs).
const TOKEN_READ: usize = 1;
/// A token read with an API token the process does not keep yet: the API token and the record in
/// one wave; then its `last_used` write (once a minute) and the record's client, together.
const COLD_TOKEN_READ: usize = 2;
/// A token read that refreshes, in a process that knows the token is due: 2 waves, plus the
/// provider (the goal). The lease must be won before the provider is called, so that one process
/// alone spends the refresh token (RFC 9700 §4.14: spending a rotated one twice can revoke the
/// grant), and it is a write: taken at every read, it would be a hot item of writes. So the
/// process keeps, per tag it has served, the record's version and when it falls due (its expiry
/// less the provider's margin; never a token), and with an API token it keeps (whose scope allows
/// the tag, so no refusal can follow) it leases a due token without reading it (1): one write
/// conditioned on that version, which answers the record as it is when it loses (refreshed by
/// another process: served; leased by another: waited for, as after a read). The outcome (2), the
/// new token with the lease released, is one version-checked write after the provider's answer.
const REFRESHING_TOKEN_READ: usize = 2;
/// A token read that refreshes in a process that does not know the token is due (it never served
/// the tag, or the record changed since in a way that made it due sooner): 3 waves, plus the
/// provider. The record's read (1) is what says a refresh is due (the caller's scope, the expiry
/// against the provider's margin, another process's lease, the version to lease); the lease (2)
/// depends on it; then the outcome (3).
const COLD_REFRESHING_TOKEN_READ: usize = 3;

/// A login stack on a fresh emulator table with one local user, `ada@example.org`, whose
/// WordPress login is `ada`.
async fn login_stack() -> Option<TestStack> {
    let backend = dynamo_backend().await?;
    let s = login::start(backend, None, LoginSettings::default()).await;
    let hash = hash_password(&SecretString::from(PASSWORD)).expect("a hash");
    save_linked(&s, user("ada@example.org", Some(&hash.0)), Some((7, "ada"))).await;
    Some(s)
}

/// The store calls `s` makes for one `POST /auth/login` with `body`, and its status.
async fn counted_login(s: &TestStack, body: serde_json::Value) -> (u16, Tally) {
    s.backend.calls.reset();
    let answer = login(s, body).await;
    (answer.status, s.backend.calls.take())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_login_is_two_waves_besides_its_verification() {
    let Some(s) = login_stack().await else { return };
    for (what, name, most) in [
        ("unknown address", "nobody@example.org", REFUSED_LOGIN),
        ("unknown login", "nobody", REFUSED_LOGIN),
        (
            "wrong password, by address",
            "ada@example.org",
            REFUSED_LOCAL_USER,
        ),
        (
            "wrong password, by WordPress login",
            "ada",
            REFUSED_LOCAL_USER,
        ),
    ] {
        let (status, tally) =
            counted_login(&s, json!({"username": name, "password": "wrong"})).await;
        println!("refused login, {what}: {tally}");
        assert_eq!(status, 401, "{what}");
        assert!(tally.depth <= most, "refused login, {what}: {tally}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_successful_login_is_at_most_three_waves() {
    let Some(s) = login_stack().await else { return };
    for (what, name) in [
        ("by address", "ada@example.org"),
        ("by WordPress login", "ada"),
    ] {
        let (status, tally) =
            counted_login(&s, json!({"username": name, "password": PASSWORD})).await;
        println!("successful login, {what}: {tally}");
        assert_eq!(status, 200, "{what}");
        assert!(
            tally.depth <= SUCCESSFUL_LOGIN,
            "successful login, {what}: {tally}"
        );
    }
    // After a failure the account's counter is cleared: still within the goal.
    let (status, _) = counted_login(&s, json!({"username": "ada", "password": "wrong"})).await;
    assert_eq!(status, 401);
    let (status, tally) = counted_login(&s, json!({"username": "ada", "password": PASSWORD})).await;
    println!("successful login after a failure: {tally}");
    assert_eq!(status, 200);
    assert!(
        tally.depth <= SUCCESSFUL_LOGIN,
        "successful login after a failure: {tally}"
    );
}

/// A token stack on a fresh emulator table with the test server as provider.
async fn token_stack() -> Option<(TestStack, Arc<TokenProxy>)> {
    let issuer = oidc::issuer()?;
    let backend: Backend = dynamo_backend().await?;
    Some(tokens::stack_on(backend, &issuer).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_read_is_one_wave_two_when_it_refreshes_a_token_known_due_else_three() {
    let Some((s, proxy)) = token_stack().await else {
        return;
    };
    connect(&s, "rt:read").await;
    // An API token this process has not read yet: its item and the record in one wave.
    let (_, fresh) = authbridge::api_tokens::create(
        s.stack.app.stores.api_tokens.as_ref(),
        &api_token_name("rt-cold"),
        vec![authbridge::domain::Endpoint::Tokens],
        authbridge::domain::IpRestriction::Any,
        authbridge::domain::Scope::everything(),
    )
    .await
    .expect("an API token");
    s.backend.calls.reset();
    let (status, _, body) = send(
        stack::http()
            .get(s.url("/tokens/rt:read"))
            .bearer_auth(authbridge::secrets::ExposeSecret::expose_secret(&fresh)),
    )
    .await;
    let tally = s.backend.calls.take();
    println!("token read, API token not kept: {tally}");
    assert_eq!(status, 200, "{body}");
    assert!(
        tally.depth <= COLD_TOKEN_READ,
        "token read, API token not kept: {tally}"
    );

    // The API token's first use writes its `last_used` (once a minute): not this count's subject.
    let (status, _, body) = get_token(&s, "rt:read").await;
    assert_eq!(status, 200, "{body}");

    s.backend.calls.reset();
    let (status, _, body) = get_token(&s, "rt:read").await;
    let tally = s.backend.calls.take();
    println!("token read: {tally}");
    assert_eq!(status, 200, "{body}");
    assert!(tally.depth <= TOKEN_READ, "token read: {tally}");

    // A token that falls due in 2 s, served once before it does: the process knows when.
    let (_, due) = tokens::falling_due(&s, "rt:read", 2).await;
    let (status, _, body) = get_token(&s, "rt:read").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy.refreshes(), 0, "not due yet");
    tokens::until(due).await;
    s.backend.calls.reset();
    let (status, _, body) = get_token(&s, "rt:read").await;
    let tally = s.backend.calls.take();
    println!("token read that refreshes, known due: {tally}");
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy.refreshes(), 1, "the due token was refreshed");
    assert!(
        tally.depth <= REFRESHING_TOKEN_READ,
        "token read that refreshes, known due: {tally}"
    );

    // Made stale behind the process's back: it does not know, and reads the record first.
    let mut r = record(&s, "rt:read").await;
    r.expires = Some(clock::now() - 10);
    r.due_at = Some(clock::now() - 310);
    s.stack.app.stores.tokens.update_token(&r).await.unwrap();
    s.backend.calls.reset();
    let (status, _, body) = get_token(&s, "rt:read").await;
    let tally = s.backend.calls.take();
    println!("token read that refreshes, not known due: {tally}");
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy.refreshes(), 2, "the stale token was refreshed");
    assert!(
        tally.depth <= COLD_REFRESHING_TOKEN_READ,
        "token read that refreshes, not known due: {tally}"
    );
}

/// `POST /api/v1/wordpress/sync-user` with the seed's payload for `wordpress_id` and `email`.
async fn sync_user(s: &TestStack, wordpress_id: u64, email: &str) -> (u16, Tally) {
    s.backend.calls.reset();
    let status = authbridge_tests::sync_user::post(s, wordpress_id, email).await;
    (status, s.backend.calls.take())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sync_user_makes_no_more_round_trips_than_before() {
    let Some(backend) = dynamo_backend().await else {
        return;
    };
    let s = stack::start(backend, StackOptions::default()).await;
    // (what, e-mail, waves at most: before issue 29 9, 6 and 10; the API token kept, 9, 5, 9;
    // the link and the address's user read together, the linked user not read again when the
    // address found it, and the migration's count and the event written together: 5, 3, 8)
    for (what, email, before) in [
        ("a new user", "new@example.org", 5),
        ("the same payload again", "new@example.org", 3),
        ("a changed e-mail address", "moved@example.org", 8),
    ] {
        let (status, tally) = sync_user(&s, 145, email).await;
        println!("sync-user, {what}: {tally}");
        assert_eq!(status, 200, "{what}");
        assert!(tally.depth <= before, "sync-user, {what}: {tally}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_api_token_is_read_once_per_process_and_period() {
    let Some((s, _)) = token_stack().await else {
        return;
    };
    connect(&s, "rt:hot").await;
    let (status, _, body) = get_token(&s, "rt:hot").await;
    assert_eq!(status, 200, "{body}");
    s.backend.calls.reset();
    let (_, _, _) = get_token(&s, "rt:hot").await;
    let one = s.backend.calls.take();
    s.backend.calls.reset();
    for _ in 0..20 {
        let (status, _, body) = get_token(&s, "rt:hot").await;
        assert_eq!(status, 200, "{body}");
    }
    let twenty = s.backend.calls.take();
    println!(
        "one token read: {one}; twenty: {} calls",
        twenty.calls.len()
    );
    // Within the period the API token's item is not read again: twenty reads cost twenty times
    // what one read costs without it (the first read after the warm-up had it already).
    assert_eq!(twenty.calls.len(), 20 * one.calls.len(), "{twenty}");

    // Disabled through the process's own store: refused at once.
    let store = s.stack.app.stores.api_tokens.as_ref();
    let name = authbridge::domain::ApiTokenName::parse("tests").expect("a token name");
    authbridge::api_tokens::update(store, &name, |t| t.active = false)
        .await
        .expect("disabling the test API token");
    let (status, _, _) = get_token(&s, "rt:hot").await;
    assert_eq!(status, 403);
}

/// Drops what a guard written before login records were kept lacks: the record on ada's guards,
/// and the record's fingerprint among the user item's unique values (so its next write is the
/// transaction that gives the guards their record, as for a user stored before).
async fn as_before_login_records(s: &TestStack) {
    let dynamo = s.backend.dynamo().expect("DynamoDB");
    let ada = login::stored_user(s, "ada@example.org").await.expect("ada");
    for pk in ["EMAIL#ada@example.org", "WPLOGIN#ada"] {
        dynamo
            .raw_client()
            .update_item()
            .table_name(dynamo.table())
            .key("pk", AttributeValue::S(pk.into()))
            .update_expression("REMOVE #login")
            .expression_attribute_names("#login", "login")
            .send()
            .await
            .expect("dropping a guard's login record");
    }
    let unique = json!([ada.email.key(), ada.ext_id]).to_string();
    dynamo
        .raw_client()
        .update_item()
        .table_name(dynamo.table())
        .key("pk", AttributeValue::S(format!("USER#{}", ada.id)))
        .update_expression("SET unique_values = :unique")
        .expression_attribute_values(":unique", AttributeValue::S(unique))
        .send()
        .await
        .expect("the user's unique values as before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_guard_without_its_login_record_falls_back_to_the_user_until_the_next_sign_in() {
    let Some(s) = login_stack().await else { return };
    as_before_login_records(&s).await;
    for name in ["ada@example.org", "ada"] {
        let (status, tally) =
            counted_login(&s, json!({"username": name, "password": "wrong"})).await;
        println!("refused login by a guard without its record, {name}: {tally}");
        assert_eq!(status, 401, "{name}");
        // The user is read after its guard: the fallback, not the record.
        assert!(
            (REFUSED_LOCAL_USER + 1..=LEGACY_GUARD).contains(&tally.depth),
            "{name}: {tally}"
        );
    }
    let (status, _) = counted_login(&s, json!({"username": "ada", "password": PASSWORD})).await;
    assert_eq!(status, 200, "the right password still logs in");
    // The sign-in's write gave every guard its record: refusals are two waves again, once the
    // account's counters are open under all its spellings (the failures above counted under the
    // user and the spelling typed, and the sign-in cleared those of its own spelling; a counter's
    // first count after that may take its second step).
    let (status, tally) = counted_login(
        &s,
        json!({"username": "ada@example.org", "password": "wrong"}),
    )
    .await;
    assert_eq!(status, 401);
    assert!(tally.depth <= LEGACY_GUARD, "{tally}");
    for name in ["ada", "ada@example.org"] {
        let (status, tally) =
            counted_login(&s, json!({"username": name, "password": "wrong"})).await;
        assert_eq!(status, 401, "{name}");
        assert!(tally.depth <= REFUSED_LOCAL_USER, "{name}: {tally}");
    }
}
