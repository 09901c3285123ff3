//! Lazy migration of an account WordPress has just validated: find the local user by its
//! WordPress link, else by `ext_id`, else by e-mail; create it when absent, with the validated
//! password hashed, the link (which keeps the WordPress login, so the next login by username is
//! local) and the names. Options as the reference's: `passwordReset` replaces an existing user's
//! password, `extIdReferencing` writes the WordPress ID to `ext_id`.
//!
//! Refused, and logged, without changing anything:
//! - an inactive local user;
//! - a local user linked (by link or `ext_id`) to another WordPress account: a conflict;
//! - a local user whose password authbridge set (`users create`, `users set-password`, an imported
//!   Argon2 hash: [`User::wordpress_may_vouch`]), however it was found: WordPress has no say over
//!   that password, so its own password opens nothing. A user found by e-mail alone with such a
//!   password is logged as a conflict: whoever holds a WordPress account with someone's e-mail
//!   address would otherwise get into that person's account.

use std::sync::Arc;

use secrecy::SecretString;

use super::chain::{Authenticated, Failure, Outcome, UserChanges};
use super::error::LoginError;
use super::settings::MigrationOptions;
use crate::clock;
use crate::domain::counter::Counter;
use crate::domain::{User, WordpressAccount, WordpressLink};
use crate::events::{Event, EventKind, Events};
use crate::migration_status::Meter;
use crate::passwords::hash_password_blocking;
use crate::store::{Contention, StoreError, Unique, UserStore, retry};

/// How the local user was found.
#[derive(Debug, Clone, PartialEq)]
enum FoundBy {
    Link(Box<WordpressLink>),
    ExtId,
    Email,
}

impl FoundBy {
    fn name(&self) -> &'static str {
        match self {
            FoundBy::Link(_) => "link",
            FoundBy::ExtId => "ext_id",
            FoundBy::Email => "e-mail",
        }
    }
}

/// Migrates WordPress-validated accounts into the local users.
pub struct Migration {
    users: Arc<dyn UserStore>,
    options: MigrationOptions,
    events: Events,
    meter: Meter,
}

impl Migration {
    pub fn new(users: Arc<dyn UserStore>, options: MigrationOptions) -> Self {
        Migration {
            users,
            options,
            events: Events::default(),
            meter: Meter::default(),
        }
    }

    /// Counts each user a login creates (and, through the WordPress authenticator, each login
    /// WordPress validates and each WordPress failure) on `meter`, for the migration panel.
    pub fn with_meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    /// Where the migration's counts go.
    pub(crate) fn meter(&self) -> &Meter {
        &self.meter
    }

    /// Announces each migrated user (`user.migrated`) to `events`.
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }

    /// The local user for `account`, found or created, with the changes the login makes.
    #[tracing::instrument(name = "wordpress migration", skip_all, fields(wordpress_id = account.id))]
    pub async fn sign_in(
        &self,
        account: &WordpressAccount,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        // A concurrent login created or changed the user or link: look again.
        let lost = |e: &LoginError| match e {
            LoginError::Store(StoreError::AlreadyExists(what)) => *what != Unique::WordpressLogin,
            LoginError::Store(StoreError::StaleVersion) => true,
            _ => false,
        };
        let signed_in = retry(Contention::Low, lost, |_| async move {
            self.attempt(account, password).await
        })
        .await;
        match signed_in {
            Err(LoginError::Store(StoreError::AlreadyExists(Unique::WordpressLogin))) => {
                tracing::warn!(
                    conflict = true,
                    "login refused: another WordPress account's link holds this account's login (a rename not yet synced?)"
                );
                Ok(Outcome::Failed(Failure::Conflict))
            }
            other => other,
        }
    }

    async fn attempt(
        &self,
        account: &WordpressAccount,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        match self.find(account).await? {
            Some((user, found_by)) => self.adopt(user, found_by, account, password).await,
            None => self.create(account, password).await,
        }
    }

    async fn find(
        &self,
        account: &WordpressAccount,
    ) -> Result<Option<(User, FoundBy)>, LoginError> {
        if let Some(link) = self.users.get_wordpress_link(account.id).await? {
            if let Some(user) = self.users.get_user(&link.user_id).await? {
                return Ok(Some((user, FoundBy::Link(Box::new(link)))));
            }
            tracing::warn!(user_id = %link.user_id, "the WordPress link points to no user");
        }
        if let Some(user) = self
            .users
            .find_user_by_ext_id(&account.id.to_string())
            .await?
        {
            return Ok(Some((user, FoundBy::ExtId)));
        }
        Ok(self
            .users
            .find_user_by_email(&account.email)
            .await?
            .map(|user| (user, FoundBy::Email)))
    }

    async fn adopt(
        &self,
        user: User,
        found_by: FoundBy,
        account: &WordpressAccount,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        let wordpress_id = account.id.to_string();
        let linked_elsewhere = user.wordpress_id.filter(|id| *id != account.id);
        let ext_id_elsewhere = user
            .ext_id
            .as_deref()
            .filter(|ext| self.options.ext_id_referencing && *ext != wordpress_id);
        if linked_elsewhere.is_some() || ext_id_elsewhere.is_some() {
            tracing::warn!(
                conflict = true,
                user_id = %user.id,
                linked_wordpress_id = linked_elsewhere,
                ext_id = ext_id_elsewhere,
                "login refused: the local user is linked to another WordPress account"
            );
            return Ok(Outcome::Failed(Failure::Conflict));
        }
        if !user.wordpress_may_vouch() {
            if found_by == FoundBy::Email {
                tracing::warn!(
                    conflict = true,
                    user_id = %user.id,
                    wordpress_id = account.id,
                    "login refused: a local user whose password was set in authbridge has the WordPress account's e-mail address"
                );
            } else {
                tracing::info!(
                    user_id = %user.id,
                    found_by = found_by.name(),
                    "login refused: WordPress validated its own password, but the account's password was set in authbridge"
                );
            }
            // Not final: an authenticator after this one may still accept authbridge's password.
            return Ok(Outcome::Failed(Failure::InvalidCredentials));
        }
        if !user.active {
            tracing::info!(user_id = %user.id, "login refused: the account is disabled");
            return Ok(Outcome::Failed(Failure::Inactive));
        }
        let now = clock::now();
        match &found_by {
            // Keeps the link's login (and names) as WordPress has them now; also gives a link
            // written before logins were kept its lookup key. A link that already says all that
            // is left alone, so concurrent logins of the account do not race to rewrite it.
            FoundBy::Link(link) => {
                let mut link = WordpressLink::clone(link);
                let changed = account.update_link(&mut link, now);
                if changed || !self.login_finds(&link.login, &user).await? {
                    self.users.save_wordpress_link(&link).await?;
                }
            }
            // Fails with AlreadyExists when a concurrent login linked it first: the caller looks again.
            FoundBy::ExtId | FoundBy::Email => {
                self.users
                    .save_wordpress_link(&account.link(&user.id, now))
                    .await?;
                tracing::info!(user_id = %user.id, found_by = found_by.name(), "linked the local user to its WordPress account");
            }
        }
        let new_password = if self.options.password_reset || user.password_hash.is_none() {
            Some(hash_password_blocking(password).await?)
        } else {
            None
        };
        let changes = UserChanges {
            rehash: None,
            new_password,
            ext_id: (self.options.ext_id_referencing && user.ext_id.is_none())
                .then_some(wordpress_id),
            wordpress_id: (user.wordpress_id != Some(account.id)).then_some(account.id),
            first_name: account.first_name.clone(),
            last_name: account.last_name.clone(),
        };
        Ok(Outcome::Authenticated(Box::new(Authenticated {
            user,
            changes,
        })))
    }

    /// Whether the WordPress login `login` already finds `user` (the link's lookup key exists).
    async fn login_finds(&self, login: &str, user: &User) -> Result<bool, LoginError> {
        let found = self.users.find_user_by_wordpress_login(login).await?;
        Ok(found.is_some_and(|found| found.id == user.id))
    }

    async fn create(
        &self,
        account: &WordpressAccount,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        let now = clock::now();
        let hash = hash_password_blocking(password).await?;
        let user = account.new_user(Some(hash), self.options.ext_id_referencing, now);
        self.users
            .create_user(&user, Some(&account.link(&user.id, now)))
            .await?;
        tracing::info!(user_id = %user.id, "created the local user of a WordPress account");
        self.meter.count(Counter::CreatedAtLogin, 1).await;
        self.events
            .publish(Event::user(EventKind::UserMigrated, &user.id, now))
            .await;
        Ok(Outcome::Authenticated(Box::new(Authenticated {
            user,
            changes: UserChanges::default(),
        })))
    }
}
