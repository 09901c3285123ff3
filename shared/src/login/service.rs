//! The login service: throttling, the authenticator chain, the sign-in record and the session,
//! in that order; and the user behind a session token.

use std::sync::Arc;

use secrecy::SecretString;

use super::chain::{Authenticated, Authenticator, Chain, UserChanges};
use super::credentials::Credentials;
use super::error::{LoginError, SetupError};
use super::local::LocalAuthenticator;
use super::lookup::{Found, local_login};
use super::migration::Migration;
use super::session::{SessionToken, Sessions};
use super::settings::LoginSettings;
use super::throttle::{Counters, Throttle, account_key, address_key, spelling_key};
use super::wordpress::{WordpressAuthenticator, WordpressClient};
use crate::clock::{self, Epoch};
use crate::context::AppContext;
use crate::domain::counter::Counter;
use crate::domain::{NameLookup, User, UserSource};
use crate::migration_status::Meter;
use crate::passwords::{PasswordError, Work, counting, finish_refusal, verify_password_blocking};
use crate::store::{Contention, StoreError, UserStore};

/// A successful login.
#[derive(Debug)]
pub struct LoginSuccess {
    /// The user, with this sign-in recorded.
    pub user: User,
    /// The session's bearer token.
    pub token: SessionToken,
    /// Seconds until the session expires.
    pub expires_in: u64,
}

/// Logs users in and resolves their sessions.
pub struct LoginService {
    chain: Chain,
    users: Arc<dyn UserStore>,
    sessions: Sessions,
    throttle: Throttle,
    /// Counts WordPress users' first sign-ins, for the migration panel.
    meter: Meter,
    /// The password verifications of the last refused login (see [`LoginService::last_refusal`]).
    last_refusal: std::sync::Mutex<Option<Work>>,
}

impl LoginService {
    /// The service over the context's stores and secrets: local users, and WordPress when the
    /// settings switch it on. Fails only when the HTTP client cannot be built.
    pub fn new(app: &AppContext, settings: &LoginSettings) -> Result<Self, SetupError> {
        let users = app.stores.users.clone();
        let mut members: Vec<(i32, Box<dyn Authenticator>)> = vec![(
            settings.local_priority,
            Box::new(LocalAuthenticator::new(users.clone())),
        )];
        if let Some(wordpress) = &settings.wordpress {
            let client = WordpressClient::new(wordpress, app.secrets.clone())?;
            let migration = Migration::new(users.clone(), settings.migration)
                .with_events(app.events.clone())
                .with_meter(Meter::new(app.stores.counters.clone()));
            members.push((
                wordpress.priority,
                Box::new(WordpressAuthenticator::new(
                    client,
                    migration,
                    users.clone(),
                )),
            ));
        }
        Ok(LoginService {
            chain: Chain::new(members),
            users,
            sessions: Sessions::new(app.stores.sessions.clone(), settings.session_ttl),
            throttle: Throttle::new(app.stores.attempts.clone(), settings.throttle),
            meter: Meter::new(app.stores.counters.clone()),
            last_refusal: std::sync::Mutex::new(None),
        })
    }

    /// The authenticators in the order they run.
    pub fn order(&self) -> Vec<&'static str> {
        self.chain.order()
    }

    /// Logs in with `credentials` from the client `address` (as API Gateway saw it).
    #[tracing::instrument(name = "login", skip_all)]
    pub async fn login(
        &self,
        credentials: &Credentials,
        address: Option<&str>,
    ) -> Result<LoginSuccess, LoginError> {
        let now = clock::now();
        let (user, token) = self.check(credentials, address, now, true).await?;
        let token = match token {
            Some(token) => token,
            None => self.sessions.issue(&user, now).await?,
        };
        Ok(LoginSuccess {
            user,
            token,
            expires_in: self.sessions.ttl_seconds(),
        })
    }

    /// Checks `credentials` from `address` as [`LoginService::login`] does (throttling, the
    /// authenticator chain, the sign-in record) without issuing a bearer session: the user whose
    /// password verified. The admin console signs in through it and opens its own session.
    pub async fn authenticate(
        &self,
        credentials: &Credentials,
        address: Option<&str>,
        now: Epoch,
    ) -> Result<User, LoginError> {
        Ok(self.check(credentials, address, now, false).await?.0)
    }

    /// [`LoginService::authenticate`], and with `session` a bearer session issued in the same
    /// wave of writes as the sign-in.
    async fn check(
        &self,
        credentials: &Credentials,
        address: Option<&str>,
        now: Epoch,
        session: bool,
    ) -> Result<(User, Option<SessionToken>), LoginError> {
        // One wave: what the name stands for (both spellings: on DynamoDB the guard items alone,
        // which keep the user's login record), the address's counter and the counter of the name's
        // own spelling (the account's: a failure counts under every spelling of it). A name whose
        // guard keeps no record yet (written before records were kept) names its user alone:
        // then the user and its own counter are read together after.
        let name_key = account_key(&credentials.name, None);
        let address_key = address.map(address_key);
        let (found, by_name, by_address) = tokio::join!(
            local_login(self.users.as_ref(), &credentials.name),
            self.throttle.attempts(&name_key, now),
            async {
                match &address_key {
                    Some(key) => self.throttle.attempts(key, now).await,
                    None => Ok(None),
                }
            }
        );
        let (found, by_name, by_address) = (found?, by_name?, by_address?);
        let account = match found {
            Some(NameLookup::Record(record)) => {
                // The other spellings' counters move with the one typed: its window is theirs.
                let user_key = account_key(&credentials.name, Some(&record.user_id));
                let mut keys = vec![(name_key, by_name), (user_key, by_name)];
                for spelling in &record.spellings {
                    let key = spelling_key(spelling);
                    if keys.iter().all(|(listed, _)| *listed != key) {
                        keys.push((key, by_name));
                    }
                }
                credentials.local_user.found(Some(Found::Record(record)));
                keys
            }
            Some(NameLookup::User(id)) => {
                let key = account_key(&credentials.name, Some(&id));
                let (user, attempts) =
                    tokio::join!(self.users.get_user(&id), self.throttle.attempts(&key, now));
                credentials
                    .local_user
                    .found(user?.map(|user| Found::User(Box::new(user))));
                vec![(key, attempts?), (name_key, by_name)]
            }
            None => {
                credentials.local_user.found(None);
                vec![(name_key, by_name)]
            }
        };
        let counters = self.throttle.check(account, address, by_address, now)?;
        let (outcome, work) = counting(async {
            let outcome = self.chain.authenticate(credentials).await;
            if let Err(LoginError::InvalidCredentials | LoginError::Unavailable { .. }) = outcome {
                // Whatever was refused, the refusal spends the same (`passwords::refusal`).
                let checked = credentials.checked.get().copied();
                finish_refusal(&credentials.password, checked).await?;
            }
            outcome
        })
        .await;
        let found = match outcome {
            Ok(found) => found,
            Err(LoginError::InvalidCredentials) => {
                tracing::info!(
                    client_address = address.unwrap_or("-"),
                    argon2_verifications = work.argon2,
                    bcrypt_verifications = work.bcrypt,
                    legacy_verifications = work.legacy,
                    "login refused: invalid credentials"
                );
                if let Ok(mut last) = self.last_refusal.lock() {
                    *last = Some(work);
                }
                return Err(self.refused(&counters, now).await);
            }
            // WordPress could not be asked, or the store failed: no failure to count.
            Err(e) => return Err(e),
        };
        // A WordPress user's first sign-in through authbridge (by the fallback, or with an
        // imported hash): migrated.
        let migrated =
            found.user.source == UserSource::Wordpress && found.user.current_sign_in_at.is_none();
        // One wave of writes: the sign-in, the session when one is asked for (under the
        // generation this login read) and the account's fresh start. The session's token is
        // handed out only once the sign-in is written; a sign-in refused after all ends the
        // session, and one written under a newer generation (the password changed and still
        // verified) gets a session under that one.
        let (user_id, generation) = (found.user.id.clone(), found.user.session_generation);
        let (signed_in, issued, ()) = tokio::join!(
            self.record_sign_in(found, &credentials.password, address, now),
            async {
                match session {
                    true => Some(self.sessions.issue_under(&user_id, generation, now).await),
                    false => None,
                }
            },
            self.throttle.succeeded(&counters),
        );
        let user = match signed_in {
            Ok(user) => user,
            Err(e) => {
                self.end_unused(issued).await;
                return Err(match e {
                    LoginError::InvalidCredentials => self.refused(&counters, now).await,
                    other => other,
                });
            }
        };
        let token = match issued {
            Some(issued) if user.session_generation == generation => Some(issued?),
            // None asked for, or under an older generation (then `login` issues one afresh).
            other => {
                self.end_unused(other).await;
                None
            }
        };
        if migrated {
            self.meter.count(Counter::Migrated, 1).await;
        }
        Ok((user, token))
    }

    /// Ends a session issued alongside a sign-in that did not go through as issued; it was never
    /// handed out, so a failure to end it only leaves an unusable item until it expires.
    async fn end_unused(&self, issued: Option<Result<SessionToken, LoginError>>) {
        if let Some(Ok(token)) = issued
            && let Err(e) = self.sessions.end(token.expose()).await
        {
            tracing::warn!(error = %e, "an unused session could not be ended; it expires unused");
        }
    }

    /// Counts a refusal as a failure: `InvalidCredentials`, or the store's error when the failure
    /// could not be counted (a guess is answered only when it counts).
    async fn refused(&self, counters: &Counters, now: Epoch) -> LoginError {
        match self.throttle.failed(counters, now).await {
            Ok(()) => LoginError::InvalidCredentials,
            Err(e) => e,
        }
    }

    /// The password verifications the last refused login of this service performed: one Argon2id
    /// and one bcrypt verification whatever the reason (unknown name, wrong password against any
    /// hash, disabled account), so a refusal's cost tells nothing. For tests and diagnostics.
    pub fn last_refusal(&self) -> Option<Work> {
        self.last_refusal.lock().ok().and_then(|last| *last)
    }

    /// The active user behind a session token: the session must be live and issued under the
    /// user's current session generation (no password change or disabling since).
    pub async fn current_user(&self, token: &str) -> Result<User, LoginError> {
        let session = self
            .sessions
            .resolve(token, clock::now())
            .await?
            .ok_or(LoginError::InvalidToken)?;
        match self.users.get_user(&session.user_id).await? {
            Some(user) if user.accepts_session(session.generation) => Ok(user),
            _ => Err(LoginError::InvalidToken),
        }
    }

    /// Ends the session of `token` (`POST /auth/logout`); `false` when it was not a live session.
    pub async fn logout(&self, token: &str) -> Result<bool, LoginError> {
        let ended = self.sessions.end(token).await?;
        if ended {
            tracing::info!("session ended by logout");
        }
        Ok(ended)
    }

    /// Writes the sign-in (current and last time and address) together with the login's changes,
    /// and gives the user the session is issued under.
    ///
    /// The write is conditioned on the version the login read, so nothing changed the user between
    /// the check and the write. When something did (the write is stale), the user is read afresh:
    /// a user whose session generation moved on had its password changed (or was disabled) since
    /// the check, so `password` is checked again against the fresh hash, and the login is refused
    /// unless it still verifies (a concurrent login that took over the same WordPress password).
    /// A session is thus only ever issued under the password this login verified, and a password
    /// reset racing the login ends it either way: before the write, by the refusal; after it, by
    /// the generation the session carries.
    ///
    /// Bookkeeping never fails a login that verified: when concurrent logins of the account keep
    /// winning the race, or the store fails, and nothing essential is left to write (see
    /// [`UserChanges::is_essential`]), the login goes on with the user as last read (and checked).
    async fn record_sign_in(
        &self,
        found: Authenticated,
        password: &SecretString,
        address: Option<&str>,
        now: Epoch,
    ) -> Result<User, LoginError> {
        let Authenticated {
            mut user,
            mut changes,
        } = found;
        // Each attempt carries the fresh user it read to the next, so this loop is written out
        // (`store::retry` reruns an operation from scratch); its limit is the same policy's.
        for _ in 0..Contention::Low.attempts() {
            let next = signed_in(&user, &changes, address, now);
            let failure = match self.users.update_user(&next).await {
                Ok(saved) => return Ok(saved),
                Err(StoreError::AlreadyExists(what)) => {
                    tracing::warn!(conflict = true, user_id = %user.id, %what, "login refused: {what} belongs to another user");
                    return Err(LoginError::InvalidCredentials);
                }
                Err(StoreError::StaleVersion) => match self.users.get_user(&user.id).await {
                    Ok(Some(fresh)) if fresh.active => {
                        if fresh.session_generation != user.session_generation
                            && !still_verifies(password, &fresh).await?
                        {
                            tracing::info!(user_id = %user.id, "login refused: the password changed while it was checked");
                            return Err(LoginError::InvalidCredentials);
                        }
                        changes = changes.still_needed(&user, &fresh);
                        user = fresh;
                        continue;
                    }
                    Ok(_) => return Err(LoginError::InvalidCredentials),
                    Err(e) => e,
                },
                Err(e) => e,
            };
            return sign_in_unrecorded(user, &changes, failure);
        }
        sign_in_unrecorded(user, &changes, StoreError::StaleVersion)
    }
}

/// Whether `password` verifies against `user`'s stored hash (re-read after it changed).
async fn still_verifies(password: &SecretString, user: &User) -> Result<bool, LoginError> {
    let Some(stored) = &user.password_hash else {
        return Ok(false);
    };
    match verify_password_blocking(password, stored).await {
        Ok(verification) => Ok(verification.is_valid()),
        Err(
            PasswordError::UnknownFormat
            | PasswordError::Malformed(_)
            | PasswordError::CostBeyondBounds(_),
        ) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// After the sign-in could not be written (`failure`): the user as last read, unless
/// something essential was left unwritten.
fn sign_in_unrecorded(
    user: User,
    changes: &UserChanges,
    failure: StoreError,
) -> Result<User, LoginError> {
    if changes.is_essential() {
        return Err(failure.into());
    }
    tracing::warn!(user_id = %user.id, error = %failure, "sign-in not recorded; the login goes on");
    Ok(user)
}

/// `user` with `changes` applied and the sign-in at `now` from `address` recorded.
fn signed_in(user: &User, changes: &UserChanges, address: Option<&str>, now: Epoch) -> User {
    let mut next = user.clone();
    changes.apply(&mut next);
    if next != *user {
        next.modified = now;
    }
    next.last_sign_in_at = next.current_sign_in_at.take();
    next.last_sign_in_ip = next.current_sign_in_ip.take();
    next.current_sign_in_at = Some(now);
    next.current_sign_in_ip = address.map(str::to_string);
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserSource;

    #[test]
    fn a_sign_in_moves_the_current_one_to_last() {
        let user = User {
            current_sign_in_at: Some(100),
            current_sign_in_ip: Some("192.0.2.1".into()),
            last_sign_in_at: Some(50),
            version: 3,
            ..User::new(
                crate::domain::Email::parse("ada@example.org").unwrap(),
                UserSource::Local,
                1,
            )
        };
        let next = signed_in(&user, &UserChanges::default(), Some("198.51.100.7"), 200);
        assert_eq!(next.current_sign_in_at, Some(200));
        assert_eq!(next.current_sign_in_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(next.last_sign_in_at, Some(100));
        assert_eq!(next.last_sign_in_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(next.modified, 1, "a sign-in alone is no modification");
        assert_eq!(next.version, 3);
    }

    #[test]
    fn after_a_race_only_the_changes_nobody_made_are_left() {
        use crate::domain::user::PasswordHash;
        let read = User {
            password_hash: Some(PasswordHash("md5".into())),
            ..User::new(
                crate::domain::Email::parse("ada@example.org").unwrap(),
                UserSource::Wordpress,
                1,
            )
        };
        let changes = UserChanges {
            rehash: Some(PasswordHash("argon2-a".into())),
            wordpress_id: Some(7),
            first_name: Some("Ada".into()),
            ..UserChanges::default()
        };
        assert!(changes.is_essential());
        // Another login of the account upgraded the hash and linked it first.
        let fresh = User {
            password_hash: Some(PasswordHash("argon2-b".into())),
            wordpress_id: Some(7),
            first_name: Some("Ada".into()),
            version: 1,
            ..read.clone()
        };
        let left = changes.still_needed(&read, &fresh);
        assert_eq!(left, UserChanges::default());
        assert!(!left.is_essential());
        // A write that changed nothing of these leaves them all.
        let touched = User {
            version: 1,
            ..read.clone()
        };
        assert_eq!(changes.still_needed(&read, &touched), changes);
    }
}
