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
use secrecy::SecretString;

use super::chain::{Authenticated, Authenticator, Failure, Outcome, UserChanges};
use super::credentials::Credentials;
use super::error::LoginError;
use super::lookup::Found;
use crate::domain::UserId;
use crate::domain::user::PasswordHash;
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

/// What checking a password against a stored hash came to.
enum Checked {
    /// It verified; whether the hash is due for an upgrade, and what the check cost.
    Valid { needs_rehash: bool, cost: Cost },
    /// It did not (`Some`: the cost of the check run; `None`: the hash could not be run).
    Refused(Option<Cost>),
}

/// Checks `password` against `stored`, the hash of the user `user`.
async fn check(
    password: &SecretString,
    stored: &PasswordHash,
    user: &UserId,
) -> Result<Checked, LoginError> {
    let verified = match Cost::of(stored) {
        Ok(cost) => verify_password_blocking(password, stored)
            .await
            .map(|v| (v, cost)),
        Err(e) => Err(e),
    };
    match verified {
        Ok((Verification::Valid { needs_rehash }, cost)) => {
            Ok(Checked::Valid { needs_rehash, cost })
        }
        Ok((Verification::Invalid, cost)) => Ok(Checked::Refused(Some(cost))),
        Err(
            e @ (PasswordError::UnknownFormat
            | PasswordError::Malformed(_)
            | PasswordError::CostBeyondBounds(_)),
        ) => {
            tracing::warn!(user_id = %user, error = %e, "stored password hash unusable");
            Ok(Checked::Refused(None))
        }
        Err(e) => Err(e.into()),
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
        let found = credentials
            .local_user
            .of(self.users.as_ref(), &credentials.name)
            .await?;
        let Some((found, stored)) =
            found.and_then(|found| found.password_hash().cloned().map(|hash| (found, hash)))
        else {
            return Ok(refuse(credentials, None, Failure::InvalidCredentials));
        };
        let (mut needs_rehash, cost) = match check(password, &stored, found.user_id()).await? {
            Checked::Valid { needs_rehash, cost } => (needs_rehash, cost),
            Checked::Refused(checked) => {
                return Ok(refuse(credentials, checked, Failure::InvalidCredentials));
            }
        };
        if !found.active() {
            tracing::info!(user_id = %found.user_id(), "login refused: the account is disabled");
            return Ok(refuse(credentials, Some(cost), Failure::Inactive));
        }
        let user = match found {
            Found::User(user) => *user,
            // Verified against the name's login record: now the user itself, which the sign-in
            // writes. A hash changed since the record was read is checked again.
            Found::Record(record) => {
                let Some(user) = self.users.get_user(&record.user_id).await? else {
                    return Ok(refuse(credentials, Some(cost), Failure::InvalidCredentials));
                };
                if user.password_hash.as_ref() != Some(&stored) {
                    let Some(fresh) = &user.password_hash else {
                        return Ok(refuse(credentials, Some(cost), Failure::InvalidCredentials));
                    };
                    match check(password, fresh, &user.id).await? {
                        Checked::Valid {
                            needs_rehash: again,
                            ..
                        } => needs_rehash = again,
                        Checked::Refused(_) => {
                            tracing::info!(user_id = %user.id, "login refused: the password changed while it was checked");
                            return Ok(refuse(
                                credentials,
                                Some(cost),
                                Failure::InvalidCredentials,
                            ));
                        }
                    }
                }
                if !user.active {
                    tracing::info!(user_id = %user.id, "login refused: the account is disabled");
                    return Ok(refuse(credentials, Some(cost), Failure::Inactive));
                }
                user
            }
        };
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
