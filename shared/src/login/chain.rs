//! The authenticator chain: authenticators ordered by priority, highest first. The first success
//! wins; a refusal that settles the question (an inactive account, a link conflict) ends the
//! chain; when nothing succeeded, the answer is "invalid credentials", unless an authenticator
//! could not give an answer at all, which makes it "unavailable".

use async_trait::async_trait;

use super::credentials::Credentials;
use super::error::{LoginError, UNAVAILABLE_RETRY_AFTER};
use crate::domain::user::PasswordHash;
use crate::domain::{PasswordOrigin, User};

/// One way of checking credentials.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// A short name for logs (`local`, `wordpress`).
    fn name(&self) -> &'static str;
    /// Checks the credentials. `Err` is reserved for failures of authbridge itself (store,
    /// hashing); every answer about the credentials is an [`Outcome`].
    async fn authenticate(&self, credentials: &Credentials) -> Result<Outcome, LoginError>;
}

/// What an authenticator concluded.
#[derive(Debug)]
pub enum Outcome {
    Authenticated(Box<Authenticated>),
    Failed(Failure),
}

/// Why an authenticator did not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Wrong name or password, for this authenticator: the next one may still accept them.
    InvalidCredentials,
    /// The password is right but the local account is disabled: final.
    Inactive,
    /// The account is linked to another WordPress account: final (and logged as a conflict).
    Conflict,
    /// The authenticator could not check (WordPress down, slow, broken): the answer is unknown.
    Unavailable,
}

impl Failure {
    /// Whether no later authenticator may overturn this failure.
    fn is_final(self) -> bool {
        matches!(self, Failure::Inactive | Failure::Conflict)
    }
}

/// A successful check: the user, and what the login must change on it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub changes: UserChanges,
}

/// Changes a login makes to its user, written together with the sign-in time; re-applied to a
/// fresh copy when a concurrent write got there first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChanges {
    /// A stronger hash of the same password (an upgrade): sessions stay.
    pub rehash: Option<PasswordHash>,
    /// A hash of another password (WordPress's, just validated, so WordPress keeps its say over
    /// it): every other session ends.
    pub new_password: Option<PasswordHash>,
    pub ext_id: Option<String>,
    pub wordpress_id: Option<u64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl UserChanges {
    /// Applies the changes to `user`; names only fill empty ones.
    pub fn apply(&self, user: &mut User) {
        if let Some(hash) = &self.rehash {
            user.password_hash = Some(hash.clone());
        }
        if let Some(hash) = &self.new_password {
            user.set_password(hash.clone(), PasswordOrigin::Wordpress);
        }
        if let Some(ext_id) = &self.ext_id {
            user.ext_id = Some(ext_id.clone());
        }
        if let Some(id) = self.wordpress_id {
            user.wordpress_id = Some(id);
        }
        if user.first_name.is_none() {
            user.first_name.clone_from(&self.first_name);
        }
        if user.last_name.is_none() {
            user.last_name.clone_from(&self.last_name);
        }
    }

    /// The changes still to make after a concurrent write changed the user from `read` to
    /// `fresh`: a password (upgrade or new one) only while the hash this login saw is still
    /// stored, an `ext_id` or name only while it is empty, the WordPress ID only while it differs.
    /// Concurrent logins of one account make the same changes, so after the first wins the others
    /// have none left.
    pub fn still_needed(&self, read: &User, fresh: &User) -> UserChanges {
        let same_hash = fresh.password_hash == read.password_hash;
        let empty = |field: &Option<String>, value: &Option<String>| {
            if field.is_none() { value.clone() } else { None }
        };
        UserChanges {
            rehash: self.rehash.clone().filter(|_| same_hash),
            new_password: self.new_password.clone().filter(|_| same_hash),
            ext_id: empty(&fresh.ext_id, &self.ext_id),
            wordpress_id: self
                .wordpress_id
                .filter(|id| fresh.wordpress_id != Some(*id)),
            first_name: empty(&fresh.first_name, &self.first_name),
            last_name: empty(&fresh.last_name, &self.last_name),
        }
    }

    /// Whether the login must not succeed without these changes written: a new password, an
    /// `ext_id` or a WordPress ID. A hash upgrade and names are bookkeeping, like the sign-in
    /// time: a later login or sync makes them again.
    pub fn is_essential(&self) -> bool {
        self.new_password.is_some() || self.ext_id.is_some() || self.wordpress_id.is_some()
    }
}

/// The authenticators, highest priority first.
pub struct Chain {
    members: Vec<(i32, Box<dyn Authenticator>)>,
}

impl Chain {
    /// Orders `members` by priority, higher first; equal priorities keep the given order.
    pub fn new(mut members: Vec<(i32, Box<dyn Authenticator>)>) -> Self {
        members.sort_by_key(|(priority, _)| std::cmp::Reverse(*priority));
        Chain { members }
    }

    /// The authenticators' names in the order they run.
    pub fn order(&self) -> Vec<&'static str> {
        self.members.iter().map(|(_, a)| a.name()).collect()
    }

    /// Runs the chain.
    pub async fn authenticate(
        &self,
        credentials: &Credentials,
    ) -> Result<Authenticated, LoginError> {
        let mut unavailable = false;
        for (_, authenticator) in &self.members {
            match authenticator.authenticate(credentials).await? {
                Outcome::Authenticated(found) => {
                    tracing::info!(
                        authenticator = authenticator.name(),
                        user_id = %found.user.id,
                        "login accepted"
                    );
                    return Ok(*found);
                }
                Outcome::Failed(failure) if failure.is_final() => {
                    return Err(LoginError::InvalidCredentials);
                }
                Outcome::Failed(Failure::Unavailable) => unavailable = true,
                Outcome::Failed(_) => {}
            }
        }
        Err(if unavailable {
            LoginError::Unavailable {
                retry_after: UNAVAILABLE_RETRY_AFTER,
            }
        } else {
            LoginError::InvalidCredentials
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use secrecy::SecretString;

    use super::*;
    use crate::domain::UserSource;
    use crate::login::name::LoginName;

    fn user() -> User {
        User::new(
            crate::domain::Email::parse("ada@example.org").unwrap(),
            UserSource::Local,
            0,
        )
    }

    /// Answers a fixed outcome and counts its calls.
    struct Fixed {
        name: &'static str,
        answer: Option<Failure>,
        calls: Arc<AtomicUsize>,
    }

    #[async_trait]
    impl Authenticator for Fixed {
        fn name(&self) -> &'static str {
            self.name
        }
        async fn authenticate(&self, _: &Credentials) -> Result<Outcome, LoginError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(match self.answer {
                None => Outcome::Authenticated(Box::new(Authenticated {
                    user: User {
                        email: crate::domain::Email::parse(&format!("{}@example.org", self.name))
                            .unwrap(),
                        ..user()
                    },
                    changes: UserChanges::default(),
                })),
                Some(failure) => Outcome::Failed(failure),
            })
        }
    }

    fn member(
        priority: i32,
        name: &'static str,
        answer: Option<Failure>,
    ) -> ((i32, Box<dyn Authenticator>), Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let a = Fixed {
            name,
            answer,
            calls: calls.clone(),
        };
        ((priority, Box::new(a)), calls)
    }

    fn credentials() -> Credentials {
        Credentials::new(
            LoginName::from_username("ada@example.org").unwrap(),
            SecretString::from("pw"),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn higher_priority_runs_first_and_the_first_success_wins() {
        let (low, low_calls) = member(100, "wordpress", None);
        let (high, _) = member(500, "local", None);
        let chain = Chain::new(vec![low, high]);
        assert_eq!(chain.order(), ["local", "wordpress"]);
        let found = chain.authenticate(&credentials()).await.unwrap();
        assert_eq!(found.user.email, "local@example.org");
        assert_eq!(low_calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_failure_falls_through_to_the_next_authenticator() {
        let (high, _) = member(500, "local", Some(Failure::InvalidCredentials));
        let (low, _) = member(100, "wordpress", None);
        let found = Chain::new(vec![high, low])
            .authenticate(&credentials())
            .await
            .unwrap();
        assert_eq!(found.user.email, "wordpress@example.org");
    }

    #[tokio::test]
    async fn an_inactive_account_ends_the_chain() {
        let (high, _) = member(500, "local", Some(Failure::Inactive));
        let (low, low_calls) = member(100, "wordpress", None);
        let err = Chain::new(vec![high, low])
            .authenticate(&credentials())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
        assert_eq!(low_calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_unanswered_check_is_unavailable_never_a_wrong_password() {
        let (high, _) = member(500, "local", Some(Failure::InvalidCredentials));
        let (low, _) = member(100, "wordpress", Some(Failure::Unavailable));
        let err = Chain::new(vec![high, low])
            .authenticate(&credentials())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::Unavailable { .. }), "{err:?}");

        let (high, _) = member(500, "local", Some(Failure::InvalidCredentials));
        let (low, _) = member(100, "wordpress", Some(Failure::InvalidCredentials));
        let err = Chain::new(vec![high, low])
            .authenticate(&credentials())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }

    #[test]
    fn changes_fill_names_but_never_overwrite_them() {
        let mut u = User {
            first_name: Some("Ada".into()),
            ..user()
        };
        UserChanges {
            first_name: Some("Example".into()),
            last_name: Some("Admin".into()),
            wordpress_id: Some(123),
            ext_id: Some("123".into()),
            rehash: None,
            new_password: Some(PasswordHash("$argon2id$x".into())),
        }
        .apply(&mut u);
        assert_eq!(u.first_name.as_deref(), Some("Ada"));
        assert_eq!(u.last_name.as_deref(), Some("Admin"));
        assert_eq!(u.wordpress_id, Some(123));
        assert_eq!(u.ext_id.as_deref(), Some("123"));
        assert!(u.password_hash.is_some());
        assert_eq!(u.password_origin, Some(PasswordOrigin::Wordpress));
        assert_eq!(u.session_generation, 1, "a new password ends the sessions");
    }
}
