//! A call its API token does not authorize, in the reference's shape: each refusal a 403 with
//! `no_authorization` and the reason (`Not authorized: inactive token`); a store failure answers
//! what the store's does.

use crate::api_tokens::{ApiTokenRefusal, AuthorizationError};
use crate::http::error::{ApiError, ResponseError};

impl ResponseError for AuthorizationError {
    fn answer(&self) -> ApiError {
        match self {
            AuthorizationError::Refused(refusal) => not_authorized(reason(*refusal)),
            AuthorizationError::Store(e) => e.answer(),
        }
    }
}

/// The reason as the reference words it: a token is presented in the `Authorization` header.
fn reason(refusal: ApiTokenRefusal) -> &'static str {
    match refusal {
        ApiTokenRefusal::Missing => "missing or malformed Authorization: Bearer header",
        ApiTokenRefusal::Unknown => "unknown token",
        ApiTokenRefusal::Inactive => "inactive token",
        ApiTokenRefusal::Address => "address not allowed",
        ApiTokenRefusal::Endpoint => "no access to this endpoint",
    }
}

/// The refusal of the reference API: 403 with `no_authorization` and a reason.
pub fn not_authorized(reason: &str) -> ApiError {
    ApiError::wordpress(403, format!("Not authorized: {reason}")).with_code("no_authorization")
}
