//! The WordPress authenticator: asks the site, then hands a validated account to the migration.
//! WordPress trouble is logged as such, apart from wrong credentials, and never answered as one.
//!
//! WordPress is not asked at all when the name stands for a local user whose password authbridge
//! set ([`User::wordpress_may_vouch`](crate::domain::User::wordpress_may_vouch)): from then on only
//! that password opens the account, and a refusal of it is the answer, whatever WordPress
//! would say and whether or not it could say it.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Check, WordpressClient};
use crate::domain::counter::Counter;
use crate::login::chain::{Authenticator, Failure, Outcome};
use crate::login::credentials::Credentials;
use crate::login::error::LoginError;
use crate::login::migration::Migration;
use crate::store::UserStore;

/// Checks credentials against WordPress and migrates the accounts it validates.
pub struct WordpressAuthenticator {
    client: WordpressClient,
    migration: Migration,
    users: Arc<dyn UserStore>,
}

impl WordpressAuthenticator {
    /// Asks WordPress with `client`, migrates with `migration`; `users` tells which names stand
    /// for a local user whose password WordPress no longer vouches for.
    pub fn new(client: WordpressClient, migration: Migration, users: Arc<dyn UserStore>) -> Self {
        WordpressAuthenticator {
            client,
            migration,
            users,
        }
    }
}

#[async_trait]
impl Authenticator for WordpressAuthenticator {
    fn name(&self) -> &'static str {
        "wordpress"
    }

    #[tracing::instrument(name = "wordpress authenticator", skip_all)]
    async fn authenticate(&self, credentials: &Credentials) -> Result<Outcome, LoginError> {
        // The login's own lookup (the throttle made it already): no extra store round trip.
        let local = credentials
            .local_user
            .of(self.users.as_ref(), &credentials.name)
            .await?;
        if let Some(found) = local.filter(|found| !found.wordpress_may_vouch()) {
            tracing::info!(
                user_id = %found.user_id(),
                "WordPress not asked: the account's password was set in authbridge"
            );
            return Ok(Outcome::Failed(Failure::InvalidCredentials));
        }
        match self
            .client
            .check(&credentials.name, &credentials.password)
            .await
        {
            Ok(Check::Valid(account)) => {
                let outcome = self
                    .migration
                    .sign_in(&account, &credentials.password)
                    .await?;
                if matches!(outcome, Outcome::Authenticated(_)) {
                    let meter = self.migration.meter();
                    meter.count(Counter::FallbackLogins, 1).await;
                }
                Ok(outcome)
            }
            Ok(refusal @ (Check::UnknownUser | Check::WrongPassword)) => {
                let reason = match refusal {
                    Check::UnknownUser => "no such WordPress user",
                    _ => "wrong password",
                };
                tracing::info!(reason, "WordPress refused the credentials");
                Ok(Outcome::Failed(Failure::InvalidCredentials))
            }
            Err(trouble) => {
                let meter = self.migration.meter();
                meter.count(Counter::WordpressErrors, 1).await;
                tracing::error!(
                    wordpress_trouble = true,
                    error = %trouble,
                    "WordPress could not check the credentials; the login is answered as unavailable"
                );
                Ok(Outcome::Failed(Failure::Unavailable))
            }
        }
    }
}
