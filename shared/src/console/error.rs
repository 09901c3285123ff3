//! Why a console request was refused or failed. No variant carries a password, a secret or a
//! session's cookie.

use crate::api_tokens::ApiTokenError;
use crate::clients::ClientAdminError;
use crate::domain::Permission;
use crate::login::LoginError;
use crate::oauth::OAuthError;
use crate::oauth::connections::DeleteClientError;
use crate::store::StoreError;
use crate::users::UserAdminError;

/// A console request that did not go through.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live console session: none given, expired (idle or absolute), ended, or no longer the
    /// user's (new password, disabled, a role revoked).
    #[error("you are not signed in to the console, or your session has ended")]
    NotSignedIn,
    /// The password verified, but the user holds no console role.
    #[error("this account has no console role; an administrator grants one")]
    NoRole,
    /// The session's roles do not carry the permission the action needs.
    #[error("your role does not carry the permission {0}")]
    Forbidden(Permission),
    /// A form was posted without the session's CSRF token, or with another one.
    #[error("the form did not carry this session's token; reload the page and try again")]
    Csrf,
    /// A form was posted from another site.
    #[error("the form was posted from another site")]
    CrossSite,
    /// A form field is missing or unacceptable.
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// No such page or record.
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error(transparent)]
    Clients(#[from] ClientAdminError),
    #[error(transparent)]
    DeleteClient(#[from] DeleteClientError),
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    ApiTokens(#[from] ApiTokenError),
    #[error(transparent)]
    Users(#[from] UserAdminError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConsoleError {
    /// A missing or unacceptable form field.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ConsoleError::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}
