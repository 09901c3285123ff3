//! Why a login or a session lookup did not succeed. No variant carries a password, and none says
//! whether an account exists.

use super::name::InvalidField;
use crate::passwords::PasswordError;
use crate::store::StoreError;

/// Seconds a client is asked to wait when WordPress cannot be asked.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 30;

/// A refused or failed login.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The request lacks a field or has a bad one (the error names it).
    #[error("invalid request: {0}")]
    InvalidRequest(#[from] InvalidField),
    /// Wrong name or password, an inactive account, or a refused WordPress link: one answer for
    /// all, so a caller learns nothing about which accounts exist.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed attempts for the account or the address.
    #[error("too many failed login attempts; retry in {retry_after} s")]
    Throttled { retry_after: u64 },
    /// No authenticator accepted the credentials and WordPress could not be asked: the answer is
    /// unknown, not "wrong password".
    #[error("authentication is unavailable; retry in {retry_after} s")]
    Unavailable { retry_after: u64 },
    /// The bearer token is unknown, expired, or its user is gone or inactive.
    #[error("invalid or expired session token")]
    InvalidToken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// Why the login service could not be built.
#[derive(Debug, thiserror::Error)]
#[error("building the WordPress HTTP client: {0}")]
pub struct SetupError(#[from] pub reqwest::Error);
