//! Why a login or a session lookup did not succeed, and the HTTP answer of each. No variant
//! carries a password, and none says whether an account exists.

use super::credentials::InvalidField;
use crate::http::error::{ApiError, ResponseError};
use crate::passwords::PasswordError;
use crate::store::StoreError;

/// Seconds a client is asked to wait when WordPress cannot be asked.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 30;

/// A refused or failed login.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The request lacks a field or has a bad one (400 naming it).
    #[error("invalid request: {0}")]
    InvalidRequest(#[from] InvalidField),
    /// Wrong name or password, an inactive account, or a refused WordPress link: one answer for
    /// all, so a caller learns nothing about which accounts exist (401).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed attempts for the account or the address (429).
    #[error("too many failed login attempts; retry in {retry_after} s")]
    Throttled { retry_after: u64 },
    /// No authenticator accepted the credentials and WordPress could not be asked: the answer is
    /// unknown, not "wrong password" (503).
    #[error("authentication is unavailable; retry in {retry_after} s")]
    Unavailable { retry_after: u64 },
    /// The bearer token is unknown, expired, or its user is gone or inactive (401).
    #[error("invalid or expired session token")]
    InvalidToken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// A bad field is a 400 naming it; a refusal is a bare 401 code (the same for every reason); a
/// throttled or unanswerable login a 429 or 503 with `Retry-After`; a store outage a 503, and any
/// other failure a 500.
impl ResponseError for LoginError {
    fn answer(&self) -> ApiError {
        match self {
            LoginError::InvalidRequest(invalid) => ApiError::new(400, "invalid_request")
                .with_message(invalid.to_string())
                .with_field("field", invalid.field),
            LoginError::InvalidCredentials => ApiError::new(401, "invalid_credentials"),
            LoginError::InvalidToken => ApiError::new(401, "invalid_token"),
            LoginError::Throttled { retry_after } => {
                ApiError::new(429, "too_many_attempts").with_retry_after(*retry_after)
            }
            LoginError::Unavailable { retry_after } => {
                ApiError::unavailable("authentication_unavailable", *retry_after)
            }
            LoginError::Store(e) => e.failure_answer(),
            LoginError::Password(_) => ApiError::internal_error(),
        }
    }
}

/// Why the login service could not be built.
#[derive(Debug, thiserror::Error)]
#[error("building the WordPress HTTP client: {0}")]
pub struct SetupError(#[from] pub reqwest::Error);
