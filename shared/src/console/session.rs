//! Console sessions: a cookie's value of 256 random bits, given to the browser once and stored
//! only as its SHA-256; a CSRF token derived from the same value under another label (so the
//! store holds neither); an idle end that each use moves on, and an absolute end that none does.
//!
//! A session stands only while its user is active, has the password and generation it had at
//! sign-in, and still holds every role the session was opened with; its permissions are those
//! roles' permissions.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ConsoleError;
use super::settings::ConsoleSettings;
use crate::clock::Epoch;
use crate::context::AppContext;
use crate::domain::role::allowed;
use crate::domain::{ConsoleSession, Permission, Role, User};
use crate::login::session::{SessionToken, key_of};
use crate::store::{ConsoleSessionStore, UserStore};

/// The label under which a session's CSRF token is derived from its cookie's value.
const CSRF_LABEL: &[u8] = b"authbridge console csrf v1\0";

/// A session's CSRF token, put in every form of the session's pages (synchronizer token). Not a
/// secret on its own (it opens nothing without the cookie), but never logged all the same.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The token of the session whose cookie holds `cookie`.
    pub fn of(cookie: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(CSRF_LABEL);
        hash.update(cookie.as_bytes());
        CsrfToken(URL_SAFE_NO_PAD.encode(hash.finalize()))
    }

    /// The value to put in a form.
    pub fn value(&self) -> &str {
        &self.0
    }

    /// Whether `presented` (a form's field) is this token, compared in constant time.
    pub fn matches(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(self.0.as_bytes())))
    }
}

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfToken([redacted])")
    }
}

/// A request's signed-in user: the session, its user as stored now, and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session: ConsoleSession,
    pub csrf: CsrfToken,
}

impl SignedIn {
    /// The roles the session acts under.
    pub fn roles(&self) -> &[Role] {
        &self.session.roles
    }

    /// Whether the session's roles carry `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        allowed(&self.session.roles, permission)
    }

    /// `Forbidden(permission)` unless the session's roles carry it.
    pub fn require(&self, permission: Permission) -> Result<(), ConsoleError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(permission))
        }
    }

    /// `Csrf` unless `presented` is the session's token.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), ConsoleError> {
        if self.csrf.matches(presented) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
}

/// A new session: the cookie's value to give the browser (once) and its CSRF token.
pub struct Opened {
    pub cookie: SessionToken,
    pub session: ConsoleSession,
}

/// Opens, resolves and ends console sessions.
pub struct ConsoleSessions {
    sessions: Arc<dyn ConsoleSessionStore>,
    users: Arc<dyn UserStore>,
    settings: ConsoleSettings,
}

fn seconds(d: std::time::Duration) -> Epoch {
    Epoch::try_from(d.as_secs()).unwrap_or(Epoch::MAX)
}

impl ConsoleSessions {
    pub fn new(
        sessions: Arc<dyn ConsoleSessionStore>,
        users: Arc<dyn UserStore>,
        settings: ConsoleSettings,
    ) -> Self {
        ConsoleSessions {
            sessions,
            users,
            settings,
        }
    }

    /// The sessions of `app`'s stores.
    pub fn of(app: &AppContext, settings: ConsoleSettings) -> Self {
        Self::new(
            app.stores.console_sessions.clone(),
            app.stores.users.clone(),
            settings,
        )
    }

    /// The settings sessions follow.
    pub fn settings(&self) -> ConsoleSettings {
        self.settings
    }

    /// Opens a session for `user` at `now`, under its roles and session generation. `NoRole`
    /// when the user holds none.
    pub async fn open(&self, user: &User, now: Epoch) -> Result<Opened, ConsoleError> {
        if user.roles.is_empty() {
            return Err(ConsoleError::NoRole);
        }
        let cookie = SessionToken::generate();
        let ends_at = now.saturating_add(seconds(self.settings.lifetime));
        let session = ConsoleSession {
            key: cookie.key(),
            user_id: user.id.clone(),
            roles: user.roles.clone(),
            generation: user.session_generation,
            created: now,
            last_seen: now,
            ends_at,
            expires_at: self.idle_end(now).min(ends_at),
        };
        self.sessions.put_console_session(&session).await?;
        Ok(Opened { cookie, session })
    }

    fn idle_end(&self, from: Epoch) -> Epoch {
        from.saturating_add(seconds(self.settings.idle))
    }

    /// The signed-in user of the cookie's value `cookie` at `now`, recording the use (which moves
    /// the idle end on). `NotSignedIn` when the session has ended or is no longer the user's; a
    /// session found no longer the user's is removed.
    pub async fn resolve(&self, cookie: &str, now: Epoch) -> Result<SignedIn, ConsoleError> {
        let key = key_of(cookie);
        let mut session = self
            .sessions
            .get_console_session(&key, now)
            .await?
            .ok_or(ConsoleError::NotSignedIn)?;
        let user = self.users.get_user(&session.user_id).await?;
        let Some(user) = user.filter(|u| stands(&session, u)) else {
            self.sessions.delete_console_session(&key).await?;
            return Err(ConsoleError::NotSignedIn);
        };
        // Written at most about once a minute (more often only with a shorter idle timeout).
        let interval = seconds(self.settings.idle).div_euclid(4).clamp(0, 60);
        if now - session.last_seen >= interval.max(1) || interval == 0 {
            let expires_at = self.idle_end(now).min(session.ends_at);
            if !self
                .sessions
                .touch_console_session(&key, now, expires_at, now)
                .await?
            {
                return Err(ConsoleError::NotSignedIn);
            }
            session.last_seen = now;
            session.expires_at = expires_at;
        }
        Ok(SignedIn {
            user,
            session,
            csrf: CsrfToken::of(cookie),
        })
    }

    /// Ends the session of `cookie` (sign-out); `false` when it was not a session.
    pub async fn end(&self, cookie: &str) -> Result<bool, ConsoleError> {
        Ok(self
            .sessions
            .delete_console_session(&key_of(cookie))
            .await?)
    }
}

/// Whether `session` still stands for `user`: active, same password and generation, and every
/// role the session was opened with still held.
fn stands(session: &ConsoleSession, user: &User) -> bool {
    user.accepts_session(session.generation)
        && !session.roles.is_empty()
        && session.roles.iter().all(|r| user.roles.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserSource;
    use crate::store::sqlite::SqliteStore;
    use std::time::Duration;

    const START: Epoch = 1_700_000_000;

    fn settings() -> ConsoleSettings {
        ConsoleSettings {
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 60 * 60),
        }
    }

    async fn with_user(roles: &[Role]) -> (ConsoleSessions, Arc<SqliteStore>, User) {
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        let mut user = User::new(
            crate::domain::Email::parse("ada@example.org").unwrap(),
            UserSource::Local,
            START,
        );
        for role in roles {
            user.grant_role(*role);
        }
        store.create_user(&user, None).await.unwrap();
        let sessions = ConsoleSessions::new(store.clone(), store.clone(), settings());
        (sessions, store, user)
    }

    #[tokio::test]
    async fn a_session_ends_after_thirty_idle_minutes_and_use_moves_that_on() {
        let (sessions, _, user) = with_user(&[Role::Operator]).await;
        let opened = sessions.open(&user, START).await.unwrap();
        let cookie = opened.cookie.expose();
        assert_eq!(opened.session.expires_at, START + 30 * 60);
        // Used after 20 minutes: the idle end moves to 50 minutes.
        let at_20 = START + 20 * 60;
        let signed = sessions.resolve(cookie, at_20).await.unwrap();
        assert_eq!(signed.session.expires_at, at_20 + 30 * 60);
        assert!(sessions.resolve(cookie, START + 49 * 60).await.is_ok());
        // Then left alone for 30 minutes: over.
        let err = sessions.resolve(cookie, START + 79 * 60).await.unwrap_err();
        assert!(matches!(err, ConsoleError::NotSignedIn), "{err:?}");
    }

    #[tokio::test]
    async fn no_use_keeps_a_session_past_twelve_hours() {
        let (sessions, _, user) = with_user(&[Role::Admin]).await;
        let opened = sessions.open(&user, START).await.unwrap();
        let cookie = opened.cookie.expose();
        let mut now = START;
        while now < START + 12 * 3600 - 600 {
            now += 600;
            sessions.resolve(cookie, now).await.unwrap();
        }
        let end = START + 12 * 3600;
        let err = sessions.resolve(cookie, end).await.unwrap_err();
        assert!(matches!(err, ConsoleError::NotSignedIn), "{err:?}");
    }

    #[tokio::test]
    async fn a_revoked_role_a_new_password_or_a_disabling_ends_the_session() {
        use crate::domain::PasswordOrigin;
        use crate::domain::user::PasswordHash;
        let edits: [fn(&mut User); 3] = [
            |u| {
                u.revoke_role(Role::Operator);
            },
            |u| {
                u.set_password(
                    PasswordHash("$argon2id$new".into()),
                    PasswordOrigin::Authbridge,
                )
            },
            |u| u.set_active(false),
        ];
        for (i, edit) in edits.into_iter().enumerate() {
            let (sessions, store, user) = with_user(&[Role::Admin, Role::Operator]).await;
            let opened = sessions.open(&user, START).await.unwrap();
            let cookie = opened.cookie.expose();
            assert!(sessions.resolve(cookie, START + 1).await.is_ok());
            let mut changed = store.get_user(&user.id).await.unwrap().unwrap();
            edit(&mut changed);
            store.update_user(&changed).await.unwrap();
            let err = sessions.resolve(cookie, START + 2).await.unwrap_err();
            assert!(
                matches!(err, ConsoleError::NotSignedIn),
                "edit {i}: {err:?}"
            );
        }
        // Granting another role keeps the session, which acts under the roles it was opened with.
        let (sessions, store, user) = with_user(&[Role::Operator]).await;
        let opened = sessions.open(&user, START).await.unwrap();
        let mut changed = store.get_user(&user.id).await.unwrap().unwrap();
        changed.grant_role(Role::Admin);
        store.update_user(&changed).await.unwrap();
        let signed = sessions
            .resolve(opened.cookie.expose(), START + 1)
            .await
            .unwrap();
        assert!(!signed.may(Permission::Users));
    }

    #[tokio::test]
    async fn nobody_without_a_role_gets_a_session_and_signing_out_ends_one() {
        let (sessions, _, user) = with_user(&[]).await;
        assert!(matches!(
            sessions.open(&user, START).await,
            Err(ConsoleError::NoRole)
        ));
        let (sessions, _, user) = with_user(&[Role::Operator]).await;
        let opened = sessions.open(&user, START).await.unwrap();
        let cookie = opened.cookie.expose();
        assert!(
            !opened.session.key.contains(cookie),
            "only the hash is stored"
        );
        assert!(sessions.end(cookie).await.unwrap());
        assert!(matches!(
            sessions.resolve(cookie, START + 1).await,
            Err(ConsoleError::NotSignedIn)
        ));
    }

    #[tokio::test]
    async fn only_the_sessions_own_csrf_token_passes() {
        let (sessions, _, user) = with_user(&[Role::Operator]).await;
        let one = sessions.open(&user, START).await.unwrap();
        let other = sessions.open(&user, START).await.unwrap();
        let signed = sessions.resolve(one.cookie.expose(), START).await.unwrap();
        let own = CsrfToken::of(one.cookie.expose());
        let others = CsrfToken::of(other.cookie.expose());
        assert!(signed.check_csrf(Some(own.value())).is_ok());
        assert!(matches!(
            signed.check_csrf(Some(others.value())),
            Err(ConsoleError::Csrf)
        ));
        assert!(matches!(signed.check_csrf(None), Err(ConsoleError::Csrf)));
        assert!(matches!(
            signed.check_csrf(Some("")),
            Err(ConsoleError::Csrf)
        ));
        assert_ne!(own.value(), one.session.key, "the store key is no token");
        assert!(!format!("{own:?}").contains(own.value()));
        assert!(signed.require(Permission::Clients).is_err());
    }
}
