//! The local-user authenticator: the user with the typed e-mail address and a password that
//! verifies against its stored hash (Argon2id, or a hash imported from WordPress). A hash in a
//! legacy format or below the current Argon2 policy is replaced at this login.
//!
//! An unknown user costs as much as a wrong password: the dummy hash is verified instead.

use std::sync::Arc;

use async_trait::async_trait;

use super::chain::{Authenticated, Authenticator, Failure, Outcome, UserChanges};
use super::credentials::{Credentials, LoginName};
use super::error::LoginError;
use crate::passwords::{
    PasswordError, Verification, hash_password_blocking, verify_dummy_blocking,
    verify_password_blocking,
};
use crate::store::UserStore;

/// Checks credentials against the local users.
pub struct LocalAuthenticator {
    users: Arc<dyn UserStore>,
}

impl LocalAuthenticator {
    pub fn new(users: Arc<dyn UserStore>) -> Self {
        LocalAuthenticator { users }
    }
}

#[async_trait]
impl Authenticator for LocalAuthenticator {
    fn name(&self) -> &'static str {
        "local"
    }

    #[tracing::instrument(name = "local authenticator", skip_all)]
    async fn authenticate(&self, credentials: &Credentials) -> Result<Outcome, LoginError> {
        let password = &credentials.password;
        // Local users sign in with their e-mail address; a username is WordPress's alone.
        let user = match &credentials.name {
            LoginName::Email(email) => self.users.find_user_by_email(email).await?,
            LoginName::Username(_) => None,
        };
        let Some((user, stored)) = user.and_then(|u| u.password_hash.clone().map(|hash| (u, hash)))
        else {
            verify_dummy_blocking(password).await?;
            return Ok(Outcome::Failed(Failure::InvalidCredentials));
        };
        let needs_rehash = match verify_password_blocking(password, &stored).await {
            Ok(Verification::Valid { needs_rehash }) => needs_rehash,
            Ok(Verification::Invalid) => return Ok(Outcome::Failed(Failure::InvalidCredentials)),
            Err(e @ (PasswordError::UnknownFormat | PasswordError::Malformed(_))) => {
                tracing::warn!(user_id = %user.id, error = %e, "stored password hash unusable");
                verify_dummy_blocking(password).await?;
                return Ok(Outcome::Failed(Failure::InvalidCredentials));
            }
            Err(e) => return Err(e.into()),
        };
        if !user.active {
            tracing::info!(user_id = %user.id, "login refused: the account is disabled");
            return Ok(Outcome::Failed(Failure::Inactive));
        }
        let password_hash = if needs_rehash {
            tracing::info!(user_id = %user.id, "upgrading the stored password hash");
            Some(hash_password_blocking(password).await?)
        } else {
            None
        };
        Ok(Outcome::Authenticated(Box::new(Authenticated {
            user,
            changes: UserChanges {
                password_hash,
                ..UserChanges::default()
            },
        })))
    }
}
