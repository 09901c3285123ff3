//! Lazy migration of an account WordPress has just validated: find the local user by its
//! WordPress link, else by `ext_id`, else by e-mail; create it when absent, with the validated
//! password hashed, the link and the names. Options as the reference's: `passwordReset` replaces an
//! existing user's password, `extIdReferencing` writes the WordPress ID to `ext_id`.
//!
//! An inactive local user stays refused. A local user linked (by link or `ext_id`) to another
//! WordPress account is refused and logged as a conflict.

use std::sync::Arc;

use secrecy::SecretString;

use super::chain::{Authenticated, Failure, Outcome, UserChanges};
use super::error::LoginError;
use super::settings::MigrationOptions;
use super::wordpress::WordpressUser;
use crate::clock::{self, Epoch};
use crate::domain::{User, UserId, UserSource, WordpressLink};
use crate::passwords::hash_password_blocking;
use crate::store::{StoreError, UserStore};

/// How often a migration starts over after a concurrent login of the same account changed what it
/// had read.
const MAX_RACES: usize = 3;

/// How the local user was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FoundBy {
    Link,
    ExtId,
    Email,
}

/// Migrates WordPress-validated accounts into the local users.
pub struct Migration {
    users: Arc<dyn UserStore>,
    options: MigrationOptions,
}

/// The link row for a WordPress account.
pub fn link_for(account: &WordpressUser, user: &UserId, now: Epoch) -> WordpressLink {
    WordpressLink {
        wordpress_id: account.id,
        user_id: user.clone(),
        email: account.email.clone(),
        login: account.login.clone(),
        registered_at: account.registered_at(now),
        nicename: account.nicename.clone(),
        url: account.url.clone(),
        display_name: account.display_name.clone(),
        first_name: account.first_name.clone(),
        last_name: account.last_name.clone(),
        version: 0,
    }
}

impl Migration {
    pub fn new(users: Arc<dyn UserStore>, options: MigrationOptions) -> Self {
        Migration { users, options }
    }

    /// The local user for `account`, found or created, with the changes the login makes.
    #[tracing::instrument(name = "wordpress migration", skip_all, fields(wordpress_id = account.id))]
    pub async fn sign_in(
        &self,
        account: &WordpressUser,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(account, password).await {
                // A concurrent login created or changed the user or link: look again.
                Err(LoginError::Store(StoreError::StaleVersion | StoreError::AlreadyExists(_)))
                    if attempt < MAX_RACES => {}
                other => return other,
            }
        }
    }

    async fn attempt(
        &self,
        account: &WordpressUser,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        match self.find(account).await? {
            Some((user, found_by)) => self.adopt(user, found_by, account, password).await,
            None => self.create(account, password).await,
        }
    }

    async fn find(&self, account: &WordpressUser) -> Result<Option<(User, FoundBy)>, LoginError> {
        if let Some(link) = self.users.get_wordpress_link(account.id).await? {
            if let Some(user) = self.users.get_user(&link.user_id).await? {
                return Ok(Some((user, FoundBy::Link)));
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
        account: &WordpressUser,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        let wordpress_id = account.id.to_string();
        let linked_elsewhere = user.wordpress_id.filter(|id| *id != account.id);
        let ext_id_elsewhere = user
            .ext_id
            .as_ref()
            .filter(|ext| self.options.ext_id_referencing && **ext != wordpress_id);
        if linked_elsewhere.is_some() || ext_id_elsewhere.is_some() {
            tracing::warn!(
                conflict = true,
                user_id = %user.id,
                linked_wordpress_id = ?linked_elsewhere,
                ext_id = ?ext_id_elsewhere,
                "login refused: the local user is linked to another WordPress account"
            );
            return Ok(Outcome::Failed(Failure::Conflict));
        }
        if !user.active {
            tracing::info!(user_id = %user.id, "login refused: the account is disabled");
            return Ok(Outcome::Failed(Failure::Inactive));
        }
        if found_by != FoundBy::Link {
            // Fails with AlreadyExists when a concurrent login linked it first: the caller looks again.
            self.users
                .save_wordpress_link(&link_for(account, &user.id, clock::now()))
                .await?;
            tracing::info!(user_id = %user.id, ?found_by, "linked the local user to its WordPress account");
        }
        let password_hash = if self.options.password_reset || user.password_hash.is_none() {
            Some(hash_password_blocking(password).await?)
        } else {
            None
        };
        let changes = UserChanges {
            password_hash,
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

    async fn create(
        &self,
        account: &WordpressUser,
        password: &SecretString,
    ) -> Result<Outcome, LoginError> {
        let now = clock::now();
        let user = User {
            id: UserId::generate(),
            email: account.email.clone(),
            password_hash: Some(hash_password_blocking(password).await?),
            first_name: account.first_name.clone(),
            last_name: account.last_name.clone(),
            ext_id: self
                .options
                .ext_id_referencing
                .then(|| account.id.to_string()),
            active: true,
            source: UserSource::Wordpress,
            wordpress_id: Some(account.id),
            created: now,
            modified: now,
            current_sign_in_at: None,
            current_sign_in_ip: None,
            last_sign_in_at: None,
            last_sign_in_ip: None,
            version: 0,
        };
        self.users
            .create_user(&user, Some(&link_for(account, &user.id, now)))
            .await?;
        tracing::info!(user_id = %user.id, "created the local user of a WordPress account");
        Ok(Outcome::Authenticated(Box::new(Authenticated {
            user,
            changes: UserChanges::default(),
        })))
    }
}
