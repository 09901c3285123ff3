//! The WordPress authenticator: asks the site, then hands a validated account to the migration.
//! WordPress trouble is logged as such, apart from wrong credentials, and never answered as one.

use async_trait::async_trait;

use super::{Check, WordpressClient};
use crate::login::chain::{Authenticator, Failure, Outcome};
use crate::login::credentials::Credentials;
use crate::login::error::LoginError;
use crate::login::migration::Migration;

/// Checks credentials against WordPress and migrates the accounts it validates.
pub struct WordpressAuthenticator {
    client: WordpressClient,
    migration: Migration,
}

impl WordpressAuthenticator {
    pub fn new(client: WordpressClient, migration: Migration) -> Self {
        WordpressAuthenticator { client, migration }
    }
}

#[async_trait]
impl Authenticator for WordpressAuthenticator {
    fn name(&self) -> &'static str {
        "wordpress"
    }

    #[tracing::instrument(name = "wordpress authenticator", skip_all)]
    async fn authenticate(&self, credentials: &Credentials) -> Result<Outcome, LoginError> {
        match self
            .client
            .check(&credentials.name, &credentials.password)
            .await
        {
            Ok(Check::Valid(account)) => {
                self.migration
                    .sign_in(&account, &credentials.password)
                    .await
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
