//! What can keep a caller from a usable token: an unknown tag, a refused refresh token, a provider
//! out of reach, a refused client, or another caller's refresh that did not end in time.

use std::collections::BTreeMap;

use crate::domain::{ClientId, Tag};
use crate::keys::KeyError;
use crate::oauth::error::OAuthError;
use crate::store::StoreError;

/// Why no usable token could be given.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("no token record with tag {0:?}")]
    NotFound(Tag),
    /// The provider refused the refresh token: the user must connect again.
    #[error("the token {tag:?} needs the user to authorize again")]
    ReauthorizationRequired {
        tag: Tag,
        client_id: ClientId,
        scopes: Vec<String>,
        /// The connection parameters to start the new connection with (Shopify's `shop`).
        connection: BTreeMap<String, String>,
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

impl From<KeyError> for RefreshError {
    fn from(e: KeyError) -> Self {
        RefreshError::OAuth(e.into())
    }
}
