//! Errors of the OAuth flows, and the short code of each (a JSON body's `error`, a landing URL's).

use super::grant::GrantError;
use super::landing::LandingError;
use crate::keys::KeyError;
use crate::providers::{ConnectionError, ProviderError};
use crate::secrets::SecretError;
use crate::store::StoreError;

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
    /// The one-time link was already opened (by this browser or another).
    #[error("this sign-in link was already used; start the connection again")]
    LinkAlreadyUsed,
    /// The browser that came back is not the one that opened the link, or it lost the cookie.
    #[error(
        "this sign-in was finished in another browser than the one that started it, or it has expired; start the connection again"
    )]
    OtherBrowser,
    /// The tag already holds a connection and the start did not say `replace`.
    #[error("a connection with tag {0:?} exists; ask again with replace: true to replace it")]
    ConnectionExists(crate::domain::Tag),
    /// The caller's API token may not touch this connection; the message names its scope.
    #[error("{0}")]
    OutOfScope(crate::domain::OutOfScope),
    /// The provider sent an error to the return URL (e.g. `access_denied` when the user refused).
    #[error("the provider said: {code}")]
    Refused {
        code: String,
        description: Option<String>,
    },
    /// The authorization response's `iss` is not the provider's issuer (RFC 9207 mix-up defence).
    #[error("the authorization response came from an unexpected issuer")]
    IssuerMismatch,
    /// The client has no secret in the secret store.
    #[error("client {0:?} has no secret in the secret store")]
    MissingSecret(String),
    /// A connection's values do not fit its provider: a start's parameter unknown, missing or
    /// not matching its pattern, or a value the provider sent back not fitting its rule.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// An owner that breaks the rules is a malformed request.
impl From<crate::domain::OwnerError> for OAuthError {
    fn from(e: crate::domain::OwnerError) -> Self {
        OAuthError::InvalidRequest(e.to_string())
    }
}

/// A tag that breaks the rules is a malformed request.
impl From<crate::domain::TagError> for OAuthError {
    fn from(e: crate::domain::TagError) -> Self {
        OAuthError::InvalidRequest(e.to_string())
    }
}

impl OAuthError {
    /// A short, stable code for this failure: the `error` of a JSON body and of a landing URL.
    /// A provider's refusal keeps the provider's own code (`access_denied`, `invalid_grant`, ...).
    pub fn code(&self) -> &str {
        use super::grant::GrantError as G;
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::UnknownClient(_) => "unknown_client",
            OAuthError::ClientDisabled(_) => "client_disabled",
            OAuthError::Landing(_) => "invalid_landing_url",
            OAuthError::UnknownState | OAuthError::ExpiredState | OAuthError::LinkAlreadyUsed => {
                "invalid_state"
            }
            OAuthError::OtherBrowser => "browser_mismatch",
            OAuthError::Connection(_) => "invalid_connection",
            OAuthError::ConnectionExists(_) => "connection_exists",
            OAuthError::OutOfScope(_) => "out_of_scope",
            OAuthError::Refused { code, .. } => code,
            OAuthError::IssuerMismatch => "issuer_mismatch",
            OAuthError::Grant(G::Rejected { code, .. }) => code,
            OAuthError::Grant(G::Unavailable(_)) => "provider_unavailable",
            OAuthError::Grant(G::BadResponse(_)) => "provider_bad_response",
            OAuthError::Grant(G::Config(_))
            | OAuthError::MissingSecret(_)
            | OAuthError::Provider(_)
            | OAuthError::Store(_)
            | OAuthError::Secrets(_)
            | OAuthError::Keys(_) => "server_error",
        }
    }

    /// The provider's own `error_description`, when it sent one.
    pub fn provider_description(&self) -> Option<&str> {
        use super::grant::GrantError as G;
        match self {
            OAuthError::Refused { description, .. }
            | OAuthError::Grant(G::Rejected { description, .. }) => description.as_deref(),
            _ => None,
        }
    }
}
