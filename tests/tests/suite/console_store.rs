//! The console's part of the store contract, on both stores: console sessions read back until
//! they expire, use moves their end, and they end; users keep their console roles.

use authbridge::clock;
use authbridge::console::{ConsoleSessions, ConsoleSettings};
use authbridge::domain::{ConsoleSession, Role, User, UserId, UserSource};
use authbridge::store::{StoreError, Unique};
use authbridge_tests::{Backend, on_both_backends, unique};

fn session(key: &str, now: i64, expires_at: i64) -> ConsoleSession {
    ConsoleSession {
        key: key.to_string(),
        user_id: UserId::generate(),
        roles: vec![Role::Operator],
        generation: 3,
        created: now,
        last_seen: now,
        ends_at: now + 12 * 3600,
        expires_at,
    }
}

async fn a_console_session_reads_back_until_it_expires_and_use_moves_its_end(b: Backend) {
    let s = &b.stores.console_sessions;
    let now = clock::now();
    let live = session(&unique("console"), now, now + 60);
    s.put_console_session(&live).await.unwrap();
    assert_eq!(
        s.get_console_session(&live.key, now + 59).await.unwrap(),
        Some(live.clone())
    );
    assert_eq!(
        s.get_console_session(&live.key, now + 60).await.unwrap(),
        None
    );
    let err = s.put_console_session(&live).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists(Unique::Session)),
        "{err:?}"
    );

    // Used at now + 30: it now ends at now + 90.
    assert!(
        s.touch_console_session(&live.key, now + 30, now + 90, now + 30)
            .await
            .unwrap()
    );
    let touched = s
        .get_console_session(&live.key, now + 89)
        .await
        .unwrap()
        .expect("still live");
    assert_eq!(
        (touched.last_seen, touched.expires_at),
        (now + 30, now + 90)
    );
    assert_eq!(touched.roles, vec![Role::Operator]);
    // An expired session is not brought back by use.
    assert!(
        !s.touch_console_session(&live.key, now + 95, now + 200, now + 95)
            .await
            .unwrap()
    );
    assert_eq!(
        s.get_console_session(&live.key, now + 95).await.unwrap(),
        None
    );
    assert!(
        !s.touch_console_session("never-issued", now, now + 60, now)
            .await
            .unwrap()
    );

    assert!(s.delete_console_session(&live.key).await.unwrap());
    assert!(!s.delete_console_session(&live.key).await.unwrap());
}

async fn roles_are_stored_with_the_user_and_a_revoked_one_ends_its_sessions(b: Backend) {
    let mut user = User::new(
        authbridge_tests::login::email_of(&format!("{}@example.org", unique("admin"))),
        UserSource::Local,
        clock::now(),
    );
    user.grant_role(Role::Admin);
    b.stores.users.create_user(&user, None).await.unwrap();
    let stored = b.stores.users.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.roles, vec![Role::Admin]);

    let sessions = ConsoleSessions::new(
        b.stores.console_sessions.clone(),
        b.stores.users.clone(),
        ConsoleSettings::default(),
    );
    let now = clock::now();
    let opened = sessions.open(&stored, now).await.unwrap();
    let cookie = opened.cookie.expose();
    assert!(sessions.resolve(cookie, now + 1).await.is_ok());
    let mut revoked = stored.clone();
    revoked.revoke_role(Role::Admin);
    b.stores.users.update_user(&revoked).await.unwrap();
    assert!(sessions.resolve(cookie, now + 2).await.is_err());
    assert_eq!(
        b.stores
            .console_sessions
            .get_console_session(&opened.session.key, now + 2)
            .await
            .unwrap(),
        None,
        "the session no longer the user's is removed"
    );
}

on_both_backends!(
    a_console_session_reads_back_until_it_expires_and_use_moves_its_end,
    roles_are_stored_with_the_user_and_a_revoked_one_ends_its_sessions,
);
