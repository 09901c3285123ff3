//! A connection's mail access that cannot be given: a provider without mail settings is a 404
//! `no_mail_settings`; a resource owner the template cannot be filled for a 409
//! `mail_user_unknown`; the rest answers what getting the token does.

use crate::http::error::{ApiError, ResponseError};
use crate::oauth::mail::MailError;

impl ResponseError for MailError {
    fn answer(&self) -> ApiError {
        match self {
            MailError::Refresh(e) => e.answer(),
            MailError::NoTemplate { .. } => {
                ApiError::new(404, "no_mail_settings").with_message(self.to_string())
            }
            MailError::Owner { .. } => {
                ApiError::new(409, "mail_user_unknown").with_message(self.to_string())
            }
        }
    }
}
