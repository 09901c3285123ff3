//! Bearer API tokens on server-to-server endpoints (`/oauth/token`, `/tokens/{tag}`, sync-user):
//! the request's side of [`ApiTokens::authorize`]. The token is read from the
//! `Authorization: Bearer` header and the caller's address from API Gateway's `sourceIp`, never
//! from a header; a refusal answers the reference's 403 `no_authorization` with the reason.

use std::future::Future;
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

/// The request's token when the copy this process keeps of it allows `endpoint`, without a store
/// call and without noting the use (the caller notes it, [`ApiTokens::note_use`]); `None` when
/// the process keeps no copy, or the copy refuses: then [`authorize`] or [`authorize_alongside`]
/// answers, as for any request.
pub fn kept(tokens: ApiTokens<'_>, req: &Request, endpoint: Endpoint) -> Option<ApiToken> {
    let address = source_ip(req).and_then(|ip| ip.parse::<IpAddr>().ok());
    tokens.check_kept(bearer_token(req), address, endpoint)
}

/// [`authorize`], with a read the call makes whatever the token allows, in two waves: the token's
/// check together with `read`, then the token's `last_used` write (when due) together with `then`
/// of what was read. Whatever `read` read is handed on only with an allowed token: on a refusal
/// it is dropped, finished or not, `then` never runs, and the answer is the refusal alone, as it
/// would be without the read. The check is polled first, so a token this process keeps answers
/// before `read` starts, and a refusal by it reads nothing. `read` and `then` must only read.
pub async fn authorize_alongside<T, U, F>(
    tokens: ApiTokens<'_>,
    req: &Request,
    endpoint: Endpoint,
    read: impl Future<Output = T>,
    then: impl FnOnce(T) -> F,
) -> Result<(ApiToken, U), ApiError>
where
    F: Future<Output = U>,
{
    let presented = bearer_token(req);
    let address = source_ip(req).and_then(|ip| ip.parse::<IpAddr>().ok());
    let mut check = std::pin::pin!(tokens.check(presented, address, endpoint));
    let mut read = std::pin::pin!(read);
    let (token, read) = tokio::select! {
        biased;
        token = &mut check => (token?, read.await),
        read = &mut read => (check.await?, read),
    };
    let ((), read) = tokio::join!(tokens.note_use(&token), then(read));
    Ok((token, read))
}
