//! Administering local users (the admin CLI's `users` commands): create, find, enable or disable,
//! set a password, and import users exported from WordPress with their hashes ([`import`]).
//!
//! Passwords arrive as `SecretString`s and leave only as Argon2id hashes; no error carries one.

pub mod import;

use secrecy::{ExposeSecret, SecretString};

use crate::clock;
use crate::domain::email::{Email, InvalidEmail};
use crate::domain::{InvalidId, PasswordOrigin, Role, User, UserId, UserSource};
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
    #[error("no user {:?}; `authbridge users list` shows them", .0.to_string())]
    NotFound(UserRef),
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

/// A user as an administrator names one: by id, or by e-mail address (a name holding an `@`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Id(UserId),
    Email(Email),
}

/// Why a text names no user: neither an e-mail address nor an id. Never repeats the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUserRef {
    #[error("{0}")]
    Email(InvalidEmail),
    #[error("{0}")]
    Id(InvalidId),
}

impl std::str::FromStr for UserRef {
    type Err = InvalidUserRef;

    /// An e-mail address when `raw` holds an `@` (parsed by the one rule), else an id.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.contains('@') {
            Email::parse(raw)
                .map(UserRef::Email)
                .map_err(InvalidUserRef::Email)
        } else {
            UserId::parse(raw)
                .map(UserRef::Id)
                .map_err(InvalidUserRef::Id)
        }
    }
}

impl std::fmt::Display for UserRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserRef::Id(id) => id.fmt(f),
            UserRef::Email(email) => email.fmt(f),
        }
    }
}

/// What a person types to find a user: an e-mail address (a text holding an `@`, parsed by the
/// one rule), else a name looked up as a WordPress login and then as a user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSearch {
    Email(Email),
    Name(String),
}

impl std::str::FromStr for UserSearch {
    type Err = InvalidEmail;

    /// Trims `raw`; an e-mail address when it holds an `@` (refused when it is not a valid one).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if raw.contains('@') {
            Email::parse(raw).map(UserSearch::Email)
        } else {
            Ok(UserSearch::Name(raw.to_string()))
        }
    }
}

/// A user to create.
pub struct NewUser {
    pub email: Email,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub ext_id: Option<String>,
    pub password: SecretString,
}

/// User administration over a user store.
pub struct UserAdmin<'a> {
    pub users: &'a dyn UserStore,
}

impl<'a> UserAdmin<'a> {
    /// The users of `app`'s stores, as the CLI and the console administer them.
    pub fn of(app: &'a crate::context::AppContext) -> Self {
        UserAdmin {
            users: app.stores.users.as_ref(),
        }
    }
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
        check_password(&new.password)?;
        let user = User {
            password_hash: Some(hash_password_blocking(&new.password).await?),
            password_origin: Some(PasswordOrigin::Authbridge),
            first_name: new.first_name,
            last_name: new.last_name,
            ext_id: new.ext_id,
            ..User::new(new.email, UserSource::Local, clock::now())
        };
        self.users.create_user(&user, None).await?;
        Ok(user)
    }

    /// The user `user` names.
    pub async fn find(&self, user: &UserRef) -> Result<User, UserAdminError> {
        let found = match user {
            UserRef::Email(email) => self.users.find_user_by_email(email).await?,
            UserRef::Id(id) => self.users.get_user(id).await?,
        };
        found.ok_or_else(|| UserAdminError::NotFound(user.clone()))
    }

    /// The user a person searches for (see [`UserSearch`]); through unique keys, never a scan.
    /// `None` when nobody matches.
    pub async fn search(&self, query: &UserSearch) -> Result<Option<User>, UserAdminError> {
        match query {
            UserSearch::Email(email) => Ok(self.users.find_user_by_email(email).await?),
            UserSearch::Name(name) => {
                if let Some(user) = self.users.find_user_by_wordpress_login(name).await? {
                    return Ok(Some(user));
                }
                match UserId::parse(name) {
                    Ok(id) => Ok(self.users.get_user(&id).await?),
                    Err(_) => Ok(None),
                }
            }
        }
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
    pub async fn set_active(&self, user: &UserRef, active: bool) -> Result<User, UserAdminError> {
        self.change(user, |user| user.set_active(active)).await
    }

    /// Replaces the user's password; every session of the user ends, and WordPress has no more say
    /// over the account (its password no longer logs in, even during the transition).
    pub async fn set_password(
        &self,
        user: &UserRef,
        password: &SecretString,
    ) -> Result<User, UserAdminError> {
        check_password(password)?;
        let hash = hash_password_blocking(password).await?;
        self.change(user, |user| {
            user.set_password(hash.clone(), PasswordOrigin::Authbridge)
        })
        .await
    }

    /// Gives the user a console role (nothing changes when it holds it already).
    pub async fn grant_role(&self, user: &UserRef, role: Role) -> Result<User, UserAdminError> {
        self.change(user, |user| {
            user.grant_role(role);
        })
        .await
    }

    /// Takes a console role from the user: every console session opened with it ends (nothing
    /// changes when the user did not hold it).
    pub async fn revoke_role(&self, user: &UserRef, role: Role) -> Result<User, UserAdminError> {
        self.change(user, |user| {
            user.revoke_role(role);
        })
        .await
    }

    /// Applies `edit` to a fresh copy of the user until the write is not stale.
    async fn change(
        &self,
        user: &UserRef,
        edit: impl Fn(&mut User),
    ) -> Result<User, UserAdminError> {
        let stale =
            |e: &UserAdminError| matches!(e, UserAdminError::Store(StoreError::StaleVersion));
        let edit = &edit;
        retry(Contention::Low, stale, |_| async move {
            let mut found = self.find(user).await?;
            edit(&mut found);
            found.modified = clock::now();
            Ok(self.users.update_user(&found).await?)
        })
        .await
    }
}
