//! Administering local users (the admin CLI's `users` commands): create, find, enable or disable,
//! set a password, and import users exported from WordPress with their hashes ([`import`]).
//!
//! Passwords arrive as `SecretString`s and leave only as Argon2id hashes; no error carries one.

pub mod import;

use secrecy::{ExposeSecret, SecretString};

use crate::clock;
use crate::domain::Email;
use crate::domain::{PasswordOrigin, Role, User, UserId, UserSource};
use crate::login::credentials::MAX_PASSWORD_LEN;
use crate::passwords::{PasswordError, hash_password_blocking};
use crate::store::{
    Contention, Page, PageRequest, StoreError, Unique, UserStore, all_pages, retry,
};

/// Shortest password an administrator may set (NIST SP 800-63B's minimum).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Why a user operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UserAdminError {
    #[error("no user {0:?}; `authbridge users list` shows them")]
    NotFound(String),
    #[error("{0:?} is not an e-mail address")]
    InvalidEmail(String),
    #[error("the password must have at least 8 characters and at most 4096 bytes")]
    UnacceptablePassword,
    #[error("another user already has this {0}")]
    Taken(Unique),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl From<StoreError> for UserAdminError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::AlreadyExists(what) => UserAdminError::Taken(what),
            other => UserAdminError::Store(other),
        }
    }
}

/// A user to create.
pub struct NewUser {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub ext_id: Option<String>,
    pub password: SecretString,
}

/// User administration over a user store.
pub struct UserAdmin<'a> {
    pub users: &'a dyn UserStore,
}

fn check_password(password: &SecretString) -> Result<(), UserAdminError> {
    let text = password.expose_secret();
    if text.chars().count() < MIN_PASSWORD_CHARS || text.len() > MAX_PASSWORD_LEN {
        return Err(UserAdminError::UnacceptablePassword);
    }
    Ok(())
}

impl UserAdmin<'_> {
    /// Creates a local user with an Argon2id hash of its password.
    pub async fn create(&self, new: NewUser) -> Result<User, UserAdminError> {
        let email = Email::parse(&new.email)
            .map_err(|_| UserAdminError::InvalidEmail(new.email.trim().to_string()))?;
        check_password(&new.password)?;
        let user = User {
            password_hash: Some(hash_password_blocking(&new.password).await?),
            password_origin: Some(PasswordOrigin::Authbridge),
            first_name: new.first_name,
            last_name: new.last_name,
            ext_id: new.ext_id,
            ..User::new(email.to_string(), UserSource::Local, clock::now())
        };
        self.users.create_user(&user, None).await?;
        Ok(user)
    }

    /// The user with this id, or with this e-mail address when it holds an `@`.
    pub async fn find(&self, id_or_email: &str) -> Result<User, UserAdminError> {
        let found = if id_or_email.contains('@') {
            self.users.find_user_by_email(id_or_email).await?
        } else {
            self.users.get_user(&UserId::new(id_or_email)).await?
        };
        found.ok_or_else(|| UserAdminError::NotFound(id_or_email.to_string()))
    }

    /// The user a person searches for: by e-mail address (with an `@`), else by WordPress login
    /// name, else by id; through unique keys, never a scan. `None` when nobody matches.
    pub async fn search(&self, query: &str) -> Result<Option<User>, UserAdminError> {
        let query = query.trim();
        if query.contains('@') {
            return Ok(self.users.find_user_by_email(query).await?);
        }
        if let Some(user) = self.users.find_user_by_wordpress_login(query).await? {
            return Ok(Some(user));
        }
        Ok(self.users.get_user(&UserId::new(query)).await?)
    }

    /// One page of the users, in id order.
    pub async fn page(&self, page: &PageRequest) -> Result<Page<User>, UserAdminError> {
        Ok(self.users.list_users(page).await?)
    }

    /// Every user, in id order.
    pub async fn list_all(&self) -> Result<Vec<User>, UserAdminError> {
        let users = &self.users;
        Ok(all_pages(1000, |page| async move { users.list_users(&page).await }).await?)
    }

    /// Lets the user log in again, or stops it: disabling ends its sessions, and enabling it again
    /// does not bring them back.
    pub async fn set_active(
        &self,
        id_or_email: &str,
        active: bool,
    ) -> Result<User, UserAdminError> {
        self.change(id_or_email, |user| user.set_active(active))
            .await
    }

    /// Replaces the user's password; every session of the user ends, and WordPress has no more say
    /// over the account (its password no longer logs in, even during the transition).
    pub async fn set_password(
        &self,
        id_or_email: &str,
        password: &SecretString,
    ) -> Result<User, UserAdminError> {
        check_password(password)?;
        let hash = hash_password_blocking(password).await?;
        self.change(id_or_email, |user| {
            user.set_password(hash.clone(), PasswordOrigin::Authbridge)
        })
        .await
    }

    /// Gives the user a console role (nothing changes when it holds it already).
    pub async fn grant_role(&self, id_or_email: &str, role: Role) -> Result<User, UserAdminError> {
        self.change(id_or_email, |user| {
            user.grant_role(role);
        })
        .await
    }

    /// Takes a console role from the user: every console session opened with it ends (nothing
    /// changes when the user did not hold it).
    pub async fn revoke_role(&self, id_or_email: &str, role: Role) -> Result<User, UserAdminError> {
        self.change(id_or_email, |user| {
            user.revoke_role(role);
        })
        .await
    }

    /// Applies `edit` to a fresh copy of the user until the write is not stale.
    async fn change(
        &self,
        id_or_email: &str,
        edit: impl Fn(&mut User),
    ) -> Result<User, UserAdminError> {
        let stale =
            |e: &UserAdminError| matches!(e, UserAdminError::Store(StoreError::StaleVersion));
        let edit = &edit;
        retry(Contention::Low, stale, |_| async move {
            let mut user = self.find(id_or_email).await?;
            edit(&mut user);
            user.modified = clock::now();
            Ok(self.users.update_user(&user).await?)
        })
        .await
    }
}
