//! The local-user authenticator: the user the typed name stands for (by e-mail address, or by the
//! WordPress login its link keeps: [`super::lookup`]) and a password that verifies against its
//! stored hash (Argon2id, or a hash imported from WordPress). A hash in a legacy format or below
//! the current Argon2 policy is replaced at this login.
//!
//! Every refusal costs the same, whatever its reason: one Argon2id and one bcrypt verification
//! (the stored hash's own, and dummies for the rest: [`crate::passwords::refusal`]), so timing does
//! not tell migrated, unmigrated and unknown users apart. This check records the cost of the hash
//! it ran (`Credentials::checked`); the login service spends the rest once the whole chain has
//! refused, so a login that WordPress goes on to accept spends nothing for this check's failure. A
//! stored hash that cannot be run (an unknown format, malformed, or a cost beyond the bounds) is
//! never run: its refusal spends the dummies alone, as an unknown name's does.

use std::sync::Arc;

use async_trait::async_trait;

use super::chain::{Authenticated, Authenticator, Failure, Outcome, UserChanges};
use super::credentials::Credentials;
use super::error::LoginError;
use crate::passwords::{
    Cost, PasswordError, Verification, hash_password_blocking, verify_password_blocking,
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

/// A refusal, after the check of a stored hash of cost `checked` (`None`: none was run), which
/// the login's refusal counts as spent.
fn refuse(credentials: &Credentials, checked: Option<Cost>, failure: Failure) -> Outcome {
    if let Some(cost) = checked {
        let _ = credentials.checked.set(cost);
    }
    Outcome::Failed(failure)
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
            return Ok(refuse(credentials, None, Failure::InvalidCredentials));
        };
        let verified = match Cost::of(&stored) {
            Ok(cost) => verify_password_blocking(password, &stored)
                .await
                .map(|v| (v, cost)),
            Err(e) => Err(e),
        };
        let (needs_rehash, cost) = match verified {
            Ok((Verification::Valid { needs_rehash }, cost)) => (needs_rehash, cost),
            Ok((Verification::Invalid, cost)) => {
                return Ok(refuse(credentials, Some(cost), Failure::InvalidCredentials));
            }
            Err(
                e @ (PasswordError::UnknownFormat
                | PasswordError::Malformed(_)
                | PasswordError::CostBeyondBounds(_)),
            ) => {
                tracing::warn!(user_id = %user.id, error = %e, "stored password hash unusable");
                return Ok(refuse(credentials, None, Failure::InvalidCredentials));
            }
            Err(e) => return Err(e.into()),
        };
        if !user.active {
            tracing::info!(user_id = %user.id, "login refused: the account is disabled");
            return Ok(refuse(credentials, Some(cost), Failure::Inactive));
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
