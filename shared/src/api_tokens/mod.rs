//! API tokens: administering them ([`create`], [`rotate`], ...) and authorizing a call by one
//! ([`authorize`]). A new token's value has 256 random bits, is shown once, and only its SHA-256
//! is stored ([`token_hash`]), the key a presented token is found by. Names are unique.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::clock;
use crate::domain::{ApiToken, ApiTokenName, Endpoint, IpRestriction, Scope};
use crate::store::{ApiTokenStore, Contention, StoreError, all_pages, retry};

pub mod authorization;
pub mod cache;

pub use authorization::{
    ApiTokenRefusal, AuthorizationError, authorize, check, check_kept, note_use,
};

/// Why an API-token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    #[error("an API token named {0:?} exists already")]
    NameTaken(ApiTokenName),
    #[error("no API token named {0:?}; `authbridge api-tokens list` shows them")]
    NotFound(ApiTokenName),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The API tokens as a function reaches them: the handle through which a call is authorized by
/// its token, so that no function holds the store. Got from
/// [`crate::context::AppContext::api_tokens`].
#[derive(Clone, Copy)]
pub struct ApiTokens<'a> {
    store: &'a dyn ApiTokenStore,
}

impl<'a> ApiTokens<'a> {
    /// The tokens of `store`.
    pub fn new(store: &'a dyn ApiTokenStore) -> Self {
        ApiTokens { store }
    }

    /// Every token, following the pages ([`list_all`]).
    pub async fn list_all(&self) -> Result<Vec<ApiToken>, ApiTokenError> {
        list_all(self.store).await
    }

    /// The token named `name` ([`find`]).
    pub async fn find(&self, name: &ApiTokenName) -> Result<ApiToken, ApiTokenError> {
        find(self.store, name).await
    }

    /// Creates a token and returns it with its value, shown once ([`create`]).
    pub async fn create(
        &self,
        name: &ApiTokenName,
        endpoints: Vec<Endpoint>,
        ip_restriction: IpRestriction,
        scope: Scope,
    ) -> Result<(ApiToken, SecretString), ApiTokenError> {
        create(self.store, name, endpoints, ip_restriction, scope).await
    }

    /// Applies `change` to the token named `name` ([`update`]).
    pub async fn update(
        &self,
        name: &ApiTokenName,
        change: impl Fn(&mut ApiToken),
    ) -> Result<ApiToken, ApiTokenError> {
        update(self.store, name, change).await
    }

    /// Deletes the token named `name` ([`delete`]).
    pub async fn delete(&self, name: &ApiTokenName) -> Result<(), ApiTokenError> {
        delete(self.store, name).await
    }

    /// The stored token that `presented` is, once it is found allowed to call `endpoint` from
    /// `address` ([`authorize`]).
    pub async fn authorize(
        &self,
        presented: Option<&str>,
        address: Option<IpAddr>,
        endpoint: Endpoint,
    ) -> Result<ApiToken, AuthorizationError> {
        authorize(self.store, presented, address, endpoint).await
    }

    /// [`ApiTokens::authorize`] without noting the use ([`check`]): the caller notes it with
    /// [`ApiTokens::note_use`].
    pub async fn check(
        &self,
        presented: Option<&str>,
        address: Option<IpAddr>,
        endpoint: Endpoint,
    ) -> Result<ApiToken, AuthorizationError> {
        check(self.store, presented, address, endpoint).await
    }

    /// [`ApiTokens::check`] by the copy of the token this process keeps, without a store call
    /// ([`check_kept`]): `None` when it keeps none, or the copy refuses.
    pub fn check_kept(
        &self,
        presented: Option<&str>,
        address: Option<IpAddr>,
        endpoint: Endpoint,
    ) -> Option<ApiToken> {
        check_kept(self.store, presented, address, endpoint)
    }

    /// Writes the `last_used` of an allowed `token`, at most once a minute ([`note_use`]).
    pub async fn note_use(&self, token: &ApiToken) {
        note_use(self.store, token).await
    }
}

/// Hex SHA-256 of a token value, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh token value: 256 random bits, URL-safe.
pub fn new_token_value() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}

/// Every token, following the pages.
pub async fn list_all(store: &dyn ApiTokenStore) -> Result<Vec<ApiToken>, ApiTokenError> {
    Ok(all_pages(
        100,
        |page| async move { store.list_api_tokens(&page).await },
    )
    .await?)
}

/// The token named `name`.
pub async fn find(
    store: &dyn ApiTokenStore,
    name: &ApiTokenName,
) -> Result<ApiToken, ApiTokenError> {
    list_all(store)
        .await?
        .into_iter()
        .find(|t| &t.name == name)
        .ok_or_else(|| ApiTokenError::NotFound(name.clone()))
}

/// Creates a token and returns it with its value, which is never shown again.
pub async fn create(
    store: &dyn ApiTokenStore,
    name: &ApiTokenName,
    endpoints: Vec<Endpoint>,
    ip_restriction: IpRestriction,
    scope: Scope,
) -> Result<(ApiToken, SecretString), ApiTokenError> {
    if list_all(store).await?.iter().any(|t| &t.name == name) {
        return Err(ApiTokenError::NameTaken(name.clone()));
    }
    let value = new_token_value();
    let token = ApiToken {
        name: name.clone(),
        token_hash: token_hash(secrecy::ExposeSecret::expose_secret(&value)),
        active: true,
        ip_restriction,
        endpoints,
        scope,
        created: clock::now(),
        last_used: None,
        version: 0,
    };
    store.create_api_token(&token).await?;
    Ok((token, value))
}

/// Applies `change` to the token named `name` (version-checked, retried once on a race with a
/// `last_used` write).
pub async fn update(
    store: &dyn ApiTokenStore,
    name: &ApiTokenName,
    change: impl Fn(&mut ApiToken),
) -> Result<ApiToken, ApiTokenError> {
    let stale = |e: &ApiTokenError| matches!(e, ApiTokenError::Store(StoreError::StaleVersion));
    let change = &change;
    retry(Contention::Low, stale, |_| async move {
        let mut token = find(store, name).await?;
        change(&mut token);
        Ok(store.update_api_token(&token).await?)
    })
    .await
}

/// Gives the token named `name` a new value, keeping its name, endpoints, address
/// restriction and scope; the old value stops working. Returns the token with its new value, which is
/// never shown again.
pub async fn rotate(
    store: &dyn ApiTokenStore,
    name: &ApiTokenName,
) -> Result<(ApiToken, SecretString), ApiTokenError> {
    let old = find(store, name).await?;
    let value = new_token_value();
    let token = ApiToken {
        token_hash: token_hash(secrecy::ExposeSecret::expose_secret(&value)),
        created: clock::now(),
        last_used: None,
        version: 0,
        ..old.clone()
    };
    store.create_api_token(&token).await?;
    store.delete_api_token(&old.token_hash).await?;
    Ok((token, value))
}

/// Deletes the token named `name`.
pub async fn delete(store: &dyn ApiTokenStore, name: &ApiTokenName) -> Result<(), ApiTokenError> {
    let token = find(store, name).await?;
    store.delete_api_token(&token.token_hash).await?;
    Ok(())
}
