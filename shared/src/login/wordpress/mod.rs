//! The WordPress fallback: the client of the credential check that WordPress sites serve through
//! the REMP plugin (`POST {WP_URL}/api/v1/remp/auth`), and the authenticator that migrates the
//! accounts it validates.
//!
//! The request is a form with `email` when the name is an e-mail address and `login` otherwise,
//! plus `password`, and `Authorization: Bearer <token>` with the token from the secret store. The
//! plugin looks `email` up as an address only, so when it answers 404 to an e-mail address the
//! name is asked once more as `login` (some WordPress usernames look like addresses). The total
//! timeout bounds the whole check, both requests together; redirects are not followed.

mod answer;
mod authenticator;
mod user;

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

pub use crate::domain::wordpress::{parse_wordpress_time, rfc3339};
pub use answer::{Check, interpret};
pub use authenticator::WordpressAuthenticator;

use super::name::LoginName;
use super::settings::WordpressSettings;
use crate::oauth::outbound::OutboundHttp;
use crate::secrets::{SecretError, SecretStore, rotation};

/// Largest answer read from WordPress; the plugin's are a few hundred bytes.
const MAX_ANSWER: usize = 64 * 1024;

/// Why WordPress could not tell whether the credentials are valid. Never carries the password.
#[derive(Debug, thiserror::Error)]
pub enum WordpressError {
    #[error("the WordPress token secret {0:?} does not exist (AUTHBRIDGE_WP_TOKEN_SECRET)")]
    MissingToken(String),
    #[error("reading the WordPress token: {0}")]
    Secrets(#[from] SecretError),
    #[error("WordPress did not answer within the timeout")]
    Timeout,
    #[error("WordPress is unreachable: {0}")]
    Unreachable(String),
    #[error(
        "WordPress refused authbridge's bearer token (401 Invalid authorization token provided): the token secret does not match the plugin's"
    )]
    TokenRefused,
    #[error("WordPress refused the request as malformed (400): {0}")]
    RequestRefused(String),
    #[error("WordPress answered HTTP {0}")]
    Status(u16),
    #[error("WordPress's answer is not the credential check's: {0}")]
    BadAnswer(String),
}

/// A client of one WordPress site's credential check.
pub struct WordpressClient {
    endpoint: Url,
    token_secret: String,
    secrets: Arc<dyn SecretStore>,
    http: OutboundHttp,
    /// Bound of one whole check (`AUTHBRIDGE_WP_TIMEOUT`).
    total: Duration,
}

impl WordpressClient {
    /// A client with the timeouts of `settings`; follows no redirects.
    pub fn new(
        settings: &WordpressSettings,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, reqwest::Error> {
        Ok(WordpressClient {
            endpoint: settings.endpoint(),
            token_secret: settings.token_secret.clone(),
            secrets,
            http: OutboundHttp::new(settings.timeouts)?,
            total: settings.timeouts.total,
        })
    }

    /// Asks WordPress whether `password` is the password of `name`, within the total timeout.
    #[tracing::instrument(name = "wordpress credential check", skip_all)]
    pub async fn check(
        &self,
        name: &LoginName,
        password: &SecretString,
    ) -> Result<Check, WordpressError> {
        tokio::time::timeout(self.total, self.check_untimed(name, password))
            .await
            .map_err(|_| WordpressError::Timeout)?
    }

    async fn check_untimed(
        &self,
        name: &LoginName,
        password: &SecretString,
    ) -> Result<Check, WordpressError> {
        // The current token, and the previous one while its rotation is pending.
        let token = rotation::versions(self.secrets.as_ref(), &self.token_secret)
            .await?
            .ok_or_else(|| WordpressError::MissingToken(self.token_secret.clone()))?;
        match name {
            LoginName::Email(email) => {
                match self.ask(&token, "email", email.as_str(), password).await? {
                    Check::UnknownUser => {
                        tracing::debug!(
                            "no WordPress user has this address; asking for it as a username"
                        );
                        self.ask(&token, "login", email.as_str(), password).await
                    }
                    answer => Ok(answer),
                }
            }
            LoginName::Username(login) => self.ask(&token, "login", login, password).await,
        }
    }

    /// One request to the credential check, with the name as `field`: with the current token,
    /// and when WordPress refuses it while its rotation is pending (the plugin still has the
    /// previous one), again with the previous token.
    async fn ask(
        &self,
        token: &rotation::Versions,
        field: &str,
        name: &str,
        password: &SecretString,
    ) -> Result<Check, WordpressError> {
        match self.ask_with(&token.current, field, name, password).await {
            Err(WordpressError::TokenRefused) if token.previous.is_some() => {
                tracing::warn!(
                    "WordPress refused the new bearer token; used the previous one (its rotation is pending)"
                );
                let previous = token
                    .previous
                    .as_ref()
                    .ok_or(WordpressError::TokenRefused)?;
                self.ask_with(previous, field, name, password).await
            }
            other => other,
        }
    }

    /// One request to the credential check with `token`.
    async fn ask_with(
        &self,
        token: &SecretString,
        field: &str,
        name: &str,
        password: &SecretString,
    ) -> Result<Check, WordpressError> {
        let form = [(field, name), ("password", password.expose_secret())];
        let response = self
            .http
            .client()
            .post(self.endpoint.clone())
            .bearer_auth(token.expose_secret())
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = read_limited(response).await?;
        interpret(status, &body)
    }
}

/// A transport failure, told apart from a timeout. reqwest's message names the URL, never the body.
fn transport(err: reqwest::Error) -> WordpressError {
    if err.is_timeout() {
        return WordpressError::Timeout;
    }
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    WordpressError::Unreachable(message)
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, WordpressError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(WordpressError::BadAnswer(format!(
                "an answer over {MAX_ANSWER} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
