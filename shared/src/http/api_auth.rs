//! Bearer API tokens on server-to-server endpoints (`/oauth/token`, `/tokens/{tag}`, sync-user):
//! the request's side of [`ApiTokens::authorize`]. The token is read from the
//! `Authorization: Bearer` header and the caller's address from API Gateway's `sourceIp`, never
//! from a header; a refusal answers the reference's 403 `no_authorization` with the reason.

use std::net::IpAddr;

use lambda_http::Request;

use super::ApiError;
use super::request::{bearer_token, source_ip};
use crate::api_tokens::ApiTokens;
use crate::domain::{ApiToken, Endpoint};

/// Checks the request's bearer token for `endpoint` and returns the token's record.
pub async fn authorize(
    tokens: ApiTokens<'_>,
    req: &Request,
    endpoint: Endpoint,
) -> Result<ApiToken, ApiError> {
    let presented = bearer_token(req);
    let address = source_ip(req).and_then(|ip| ip.parse::<IpAddr>().ok());
    Ok(tokens.authorize(presented, address, endpoint).await?)
}
