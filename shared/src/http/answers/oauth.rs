//! The OAuth flows' errors: a refusal answers its [`code`](OAuthError::code) and its message (a
//! provider's refusal also its `error_description`); a grant, store or secret failure answers
//! what that error answers; a configuration fault is a 500.

use crate::http::error::{ApiError, ResponseError};
use crate::oauth::OAuthError;

impl ResponseError for OAuthError {
    fn answer(&self) -> ApiError {
        let status = match self {
            OAuthError::InvalidRequest(_)
            | OAuthError::Landing(_)
            | OAuthError::UnknownState
            | OAuthError::ExpiredState
            | OAuthError::LinkAlreadyUsed
            | OAuthError::OtherBrowser
            | OAuthError::Refused { .. }
            | OAuthError::IssuerMismatch => 400,
            OAuthError::UnknownClient(_) => 404,
            OAuthError::OutOfScope(_) => 403,
            OAuthError::ClientDisabled(_) | OAuthError::ConnectionExists(_) => 409,
            OAuthError::Connection(e) => return e.answer(),
            OAuthError::Grant(e) => return e.answer(),
            OAuthError::Store(e) => return e.answer(),
            OAuthError::Secrets(e) => return e.answer(),
            OAuthError::Keys(e) => return e.answer(),
            OAuthError::MissingSecret(_) | OAuthError::Provider(_) => {
                return ApiError::internal_error();
            }
        };
        let answer = ApiError::new(status, self.code()).with_message(self.to_string());
        match self {
            OAuthError::Refused { description, .. } => {
                answer.with_field("error_description", description.clone())
            }
            _ => answer,
        }
    }
}
