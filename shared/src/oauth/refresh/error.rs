//! Why no usable token could be given, and its answer.

use serde_json::json;

use crate::domain::ClientId;
use crate::http::error::{ApiError, ResponseError};
use crate::oauth::error::OAuthError;
use crate::oauth::grant::PROVIDER_RETRY_AFTER;
use crate::store::StoreError;
use crate::vault::VaultError;

/// Seconds a caller is asked to wait when another caller's refresh did not end in time.
pub const BUSY_RETRY_AFTER: u64 = 2;

/// Why no usable token could be given.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("no token record with tag {0:?}")]
    NotFound(String),
    /// The provider refused the refresh token: the user must connect again.
    #[error("the token {tag:?} needs the user to authorize again")]
    ReauthorizationRequired {
        tag: String,
        client_id: ClientId,
        scopes: Vec<String>,
    },
    /// The token expired (or was rejected) and the provider cannot be reached now.
    #[error("the provider is unavailable and the token has expired: {0}")]
    Unavailable(String),
    /// The provider refuses the client's own credentials: an operator must fix the client.
    #[error(
        "the provider refused client {client_id} itself ({code}); check its secret and registration"
    )]
    ClientRejected { client_id: ClientId, code: String },
    /// Another caller's refresh did not end within the time this caller has.
    #[error("the token is being refreshed by another caller; try again")]
    Busy,
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

impl From<StoreError> for RefreshError {
    fn from(e: StoreError) -> Self {
        RefreshError::OAuth(e.into())
    }
}

impl From<VaultError> for RefreshError {
    fn from(e: VaultError) -> Self {
        RefreshError::OAuth(e.into())
    }
}

/// An unknown tag is a 404; a token the provider refused to refresh is the one 409
/// `reauthorization_required`, which says how to make the new connection; no usable token now is
/// a 503 with `Retry-After`; a client the provider refuses is a 502 naming the client.
impl ResponseError for RefreshError {
    fn answer(&self) -> ApiError {
        let message = self.to_string();
        match self {
            RefreshError::NotFound(_) => ApiError::new(404, "not_found").with_message(message),
            RefreshError::ReauthorizationRequired {
                tag,
                client_id,
                scopes,
            } => ApiError::new(409, "reauthorization_required")
                .with_message(message)
                .with_field("tag", tag.as_str())
                // How to make the new connection: a start by a caller with authority (an API
                // token allowed `oauth-start`), whose link the user then opens.
                .with_field(
                    "reauthorize",
                    json!({
                        "method": "POST",
                        "path": "/oauth/start",
                        "body": {"client": client_id, "tag": tag, "scopes": scopes, "replace": true},
                    }),
                ),
            RefreshError::Unavailable(_) => ApiError::new(503, "provider_unavailable")
                .with_message(message)
                .with_retry_after(PROVIDER_RETRY_AFTER),
            RefreshError::ClientRejected { client_id, code } => {
                ApiError::new(502, "client_rejected")
                    .with_message(message)
                    .with_field("client", client_id.as_str())
                    .with_field("provider_error", code.as_str())
            }
            RefreshError::Busy => ApiError::new(503, "refresh_in_progress")
                .with_message(message)
                .with_retry_after(BUSY_RETRY_AFTER),
            RefreshError::OAuth(e) => e.answer(),
        }
    }
}
