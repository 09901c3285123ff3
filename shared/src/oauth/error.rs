//! Errors of the OAuth flows. They become HTTP responses in `crate::http::error`.

use super::grant::GrantError;
use super::landing::LandingError;
use crate::providers::ProviderError;
use crate::secrets::SecretError;
use crate::store::StoreError;
use crate::vault::VaultError;

/// Why an OAuth operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The request is malformed; the message names the parameter.
    #[error("{0}")]
    InvalidRequest(String),
    #[error("unknown client {0:?}")]
    UnknownClient(String),
    #[error("client {0:?} is disabled")]
    ClientDisabled(String),
    #[error(transparent)]
    Landing(#[from] LandingError),
    /// No flow with this state exists: never started, or already completed (a replay).
    #[error("this sign-in link is unknown or was already used")]
    UnknownState,
    /// The flow took longer than its state's lifetime.
    #[error("this sign-in link has expired; start again")]
    ExpiredState,
    /// The authorization response's `iss` is not the provider's issuer (RFC 9207 mix-up defence).
    #[error("the authorization response came from an unexpected issuer")]
    IssuerMismatch,
    /// The client has no secret in the secret store.
    #[error("client {0:?} has no secret in the secret store")]
    MissingSecret(String),
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}
