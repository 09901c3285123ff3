//! Authorizing a call by its API token, in the reference's order: a token must be presented, be
//! known (found by its hash), be active, allow the caller's address and allow the endpoint. The
//! first check that fails is the refusal. A token that passes has its `last_used` written, at most
//! once a minute.
//!
//! The caller's address is the one the platform saw (API Gateway's `sourceIp`), never one a
//! request says of itself; the entrypoint hands it over.

use std::net::IpAddr;

use subtle::ConstantTimeEq;

use super::token_hash;
use crate::clock::{self, Epoch};
use crate::domain::{ApiToken, Endpoint};
use crate::store::{ApiTokenStore, StoreError};

/// How often `last_used` is written at most (a write per call would double the cost of each).
pub const LAST_USED_RESOLUTION: Epoch = 60;

/// Why a presented API token does not authorize a call, one variant per check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiTokenRefusal {
    /// No token was presented.
    #[error("no token presented")]
    Missing,
    /// No stored token has the presented one's hash.
    #[error("unknown token")]
    Unknown,
    /// The token was switched off.
    #[error("inactive token")]
    Inactive,
    /// The token's address restriction does not take the caller's address.
    #[error("address not allowed")]
    Address,
    /// The token may not call this endpoint.
    #[error("no access to this endpoint")]
    Endpoint,
}

/// Why a call could not be authorized: refused, or the token could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizationError {
    #[error("not authorized: {0}")]
    Refused(#[from] ApiTokenRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored token that `presented` is, once it is found allowed to call `endpoint` from
/// `address` (`None` when the caller's address is unknown: only an unrestricted token allows it),
/// with its use noted ([`check`], then [`note_use`]).
pub async fn authorize(
    store: &dyn ApiTokenStore,
    presented: Option<&str>,
    address: Option<IpAddr>,
    endpoint: Endpoint,
) -> Result<ApiToken, AuthorizationError> {
    let token = check(store, presented, address, endpoint).await?;
    note_use(store, &token).await;
    Ok(token)
}

/// [`authorize`] without noting the use: for a caller that notes it ([`note_use`]) together with
/// other work.
pub async fn check(
    store: &dyn ApiTokenStore,
    presented: Option<&str>,
    address: Option<IpAddr>,
    endpoint: Endpoint,
) -> Result<ApiToken, AuthorizationError> {
    let presented = presented.ok_or(ApiTokenRefusal::Missing)?;
    let hash = token_hash(presented);
    let token = store
        .get_api_token(&hash)
        .await?
        .filter(|t| bool::from(t.token_hash.as_bytes().ct_eq(hash.as_bytes())))
        .ok_or(ApiTokenRefusal::Unknown)?;
    allowed(&token, address, endpoint)?;
    Ok(token)
}

/// [`check`] answered by the copy this process keeps of the token ([`crate::api_tokens::cache`]),
/// without a store call: the token when its copy allows the call; `None` when no copy is kept or
/// the copy refuses (then [`check`] answers, as it always does).
pub fn check_kept(
    store: &dyn ApiTokenStore,
    presented: Option<&str>,
    address: Option<IpAddr>,
    endpoint: Endpoint,
) -> Option<ApiToken> {
    let hash = token_hash(presented?);
    let token = store
        .kept_api_token(&hash)
        .filter(|t| bool::from(t.token_hash.as_bytes().ct_eq(hash.as_bytes())))?;
    allowed(&token, address, endpoint).ok()?;
    Some(token)
}

/// The checks of a known token, in order: active, the caller's address, the endpoint.
fn allowed(
    token: &ApiToken,
    address: Option<IpAddr>,
    endpoint: Endpoint,
) -> Result<(), ApiTokenRefusal> {
    if !token.active {
        return Err(ApiTokenRefusal::Inactive);
    }
    if !token.ip_restriction.allows(address) {
        return Err(ApiTokenRefusal::Address);
    }
    if !token.endpoints.contains(&endpoint) {
        return Err(ApiTokenRefusal::Endpoint);
    }
    Ok(())
}

/// Writes `last_used` when the one stored is older than [`LAST_USED_RESOLUTION`]. A concurrent
/// call may have written it first; either write is as good, so a failed write is only logged.
pub async fn note_use(store: &dyn ApiTokenStore, token: &ApiToken) {
    let now = clock::now();
    if token
        .last_used
        .is_some_and(|t| now - t < LAST_USED_RESOLUTION)
    {
        return;
    }
    let mut touched = token.clone();
    touched.last_used = Some(now);
    if let Err(e) = store.update_api_token(&touched).await {
        tracing::debug!(error = %e, name = %token.name, "last_used not written");
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::api_tokens::{create, find, update};
    use crate::domain::{ApiTokenName, IpRestriction, Scope};
    use crate::store::sqlite::SqliteStore;

    async fn token(
        store: &SqliteStore,
        name: &str,
        endpoints: Vec<Endpoint>,
        restriction: &str,
    ) -> String {
        let (_, value) = create(
            store,
            &ApiTokenName::parse(name).unwrap(),
            endpoints,
            IpRestriction::parse(restriction).unwrap(),
            Scope::everything(),
        )
        .await
        .unwrap();
        value.expose_secret().to_string()
    }

    /// The refusal of a call to the token endpoints, which must be one.
    async fn refusal(
        store: &SqliteStore,
        presented: Option<&str>,
        address: Option<IpAddr>,
        endpoint: Endpoint,
    ) -> ApiTokenRefusal {
        match authorize(store, presented, address, endpoint).await {
            Err(AuthorizationError::Refused(refusal)) => refusal,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_first_check_that_fails_is_the_refusal() {
        let store = SqliteStore::in_memory().unwrap();
        let near: IpAddr = "10.1.2.3".parse().unwrap();
        let far: IpAddr = "192.0.2.1".parse().unwrap();
        let off = token(&store, "off", vec![Endpoint::Tokens], "192.0.2.0/24").await;
        update(&store, &ApiTokenName::parse("off").unwrap(), |t| {
            t.active = false
        })
        .await
        .unwrap();
        let local = token(&store, "local", vec![Endpoint::Tokens], "10.0.0.0/8").await;
        let sync = token(&store, "sync", vec![Endpoint::SyncUser], "*").await;
        let tokens = Endpoint::Tokens;

        let refused = refusal(&store, None, Some(near), tokens).await;
        assert_eq!(refused, ApiTokenRefusal::Missing);
        let refused = refusal(&store, Some("not-a-token"), Some(near), tokens).await;
        assert_eq!(refused, ApiTokenRefusal::Unknown);
        // Inactive comes before the address it would also refuse.
        let refused = refusal(&store, Some(&off), Some(near), tokens).await;
        assert_eq!(refused, ApiTokenRefusal::Inactive);
        let refused = refusal(&store, Some(&local), Some(far), tokens).await;
        assert_eq!(refused, ApiTokenRefusal::Address);
        let refused = refusal(&store, Some(&local), None, tokens).await;
        assert_eq!(
            refused,
            ApiTokenRefusal::Address,
            "an unknown address passes no restriction"
        );
        let refused = refusal(&store, Some(&sync), Some(near), tokens).await;
        assert_eq!(refused, ApiTokenRefusal::Endpoint);
        let allowed = authorize(&store, Some(&local), Some(near), tokens).await;
        assert_eq!(allowed.unwrap().name, "local");
    }

    #[tokio::test]
    async fn an_allowed_call_notes_its_use_and_a_refused_one_does_not() {
        let store = SqliteStore::in_memory().unwrap();
        let value = token(&store, "t", vec![Endpoint::Connections], "*").await;
        refusal(&store, Some(&value), None, Endpoint::Tokens).await;
        assert_eq!(
            find(&store, &ApiTokenName::parse("t").unwrap())
                .await
                .unwrap()
                .last_used,
            None
        );
        authorize(&store, Some(&value), None, Endpoint::Connections)
            .await
            .unwrap();
        let used = find(&store, &ApiTokenName::parse("t").unwrap())
            .await
            .unwrap()
            .last_used;
        assert!(used.is_some(), "last use is recorded");
    }
}
