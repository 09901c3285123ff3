//! The local-user authenticator: the user the typed name stands for (by e-mail address, or by the
//! WordPress login its link keeps: [`super::lookup`]) and a password that verifies against its
//! stored hash (Argon2id, or a hash imported from WordPress). A hash in a legacy format or below
//! the current Argon2 policy is replaced at this login.
//!
//! Every refusal costs one Argon2id verification, whatever its reason: an unknown user, no usable
//! password or an unusable hash verify the dummy hash; a legacy hash that fails (MD5 takes
//! microseconds, bcrypt longer than Argon2id) verifies the dummy hash too, so timing does not tell
//! migrated, unmigrated and unknown users apart by being faster.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;

use super::chain::{Authenticated, Authenticator, Failure, Outcome, UserChanges};
use super::credentials::Credentials;
use super::error::LoginError;
use crate::passwords::{
    HashFormat, PasswordError, Verification, hash_password_blocking, verify_dummy_blocking,
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

/// A refusal; after a legacy hash, with the dummy Argon2id verification it did not cost yet.
async fn refuse(
    password: &SecretString,
    legacy: bool,
    failure: Failure,
) -> Result<Outcome, LoginError> {
    if legacy {
        verify_dummy_blocking(password).await?;
    }
    Ok(Outcome::Failed(failure))
}

#[async_trait]
impl Authenticator for LocalAuthenticator {
    fn name(&self) -> &'static str {
        "local"
    }

    #[tracing::instrument(name = "local authenticator", skip_all)]
    async fn authenticate(&self, credentials: &Credentials) -> Result<Outcome, LoginError> {
        let password = &credentials.password;
        let user = credentials
            .local_user
            .of(self.users.as_ref(), &credentials.name)
            .await?;
        let Some((user, stored)) = user.and_then(|u| u.password_hash.clone().map(|hash| (u, hash)))
        else {
            return refuse(password, true, Failure::InvalidCredentials).await;
        };
        let legacy = HashFormat::of(&stored) != Some(HashFormat::Argon2);
        let needs_rehash = match verify_password_blocking(password, &stored).await {
            Ok(Verification::Valid { needs_rehash }) => needs_rehash,
            Ok(Verification::Invalid) => {
                return refuse(password, legacy, Failure::InvalidCredentials).await;
            }
            Err(e @ (PasswordError::UnknownFormat | PasswordError::Malformed(_))) => {
                tracing::warn!(user_id = %user.id, error = %e, "stored password hash unusable");
                return refuse(password, true, Failure::InvalidCredentials).await;
            }
            Err(e) => return Err(e.into()),
        };
        if !user.active {
            tracing::info!(user_id = %user.id, "login refused: the account is disabled");
            return refuse(password, legacy, Failure::Inactive).await;
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
                rehash: password_hash,
                ..UserChanges::default()
            },
        })))
    }
}
