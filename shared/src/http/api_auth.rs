//! Bearer API tokens on server-to-server endpoints (`/oauth/token`, `/tokens/{tag}`, sync-user).
//!
//! The checks run in the reference's order, each refusal a 403 with `no_authorization` and the
//! reason: a missing or malformed `Authorization: Bearer` header, an unknown token, an inactive
//! token, an address not allowed, an endpoint not allowed. The presented token is hashed and the
//! stored record found by its hash; the caller's address is API Gateway's `sourceIp`, never a header.

use std::net::IpAddr;

use lambda_http::Request;
use subtle::ConstantTimeEq;

use super::ApiError;
use super::request::{bearer_token, source_ip};
use crate::api_tokens::{ApiTokens, token_hash};
use crate::clock;
use crate::domain::{ApiToken, Endpoint};

/// How often `last_used` is written at most (a write per call would double the cost of each).
const LAST_USED_RESOLUTION: i64 = 60;

/// The refusal of the reference API: 403 with `no_authorization` and a reason.
pub fn not_authorized(reason: &str) -> ApiError {
    ApiError::wordpress(403, format!("Not authorized: {reason}")).with_code("no_authorization")
}

/// Checks the request's bearer token for `endpoint` and returns the token's record.
pub async fn authorize(
    tokens: ApiTokens<'_>,
    req: &Request,
    endpoint: Endpoint,
) -> Result<ApiToken, ApiError> {
    let store = tokens.store();
    let presented = bearer_token(req)
        .ok_or_else(|| not_authorized("missing or malformed Authorization: Bearer header"))?;
    let hash = token_hash(presented);
    let token = store
        .get_api_token(&hash)
        .await?
        .filter(|t| bool::from(t.token_hash.as_bytes().ct_eq(hash.as_bytes())))
        .ok_or_else(|| not_authorized("unknown token"))?;
    if !token.active {
        return Err(not_authorized("inactive token"));
    }
    let address = source_ip(req).and_then(|ip| ip.parse::<IpAddr>().ok());
    if !token.ip_restriction.allows(address) {
        return Err(not_authorized("address not allowed"));
    }
    if !token.endpoints.contains(&endpoint) {
        return Err(not_authorized("no access to this endpoint"));
    }
    let now = clock::now();
    if token
        .last_used
        .is_none_or(|t| now - t >= LAST_USED_RESOLUTION)
    {
        let mut touched = token.clone();
        touched.last_used = Some(now);
        // A concurrent call may have written it first; either write is as good.
        if let Err(e) = store.update_api_token(&touched).await {
            tracing::debug!(error = %e, name = %token.name, "last_used not written");
        }
    }
    Ok(token)
}
