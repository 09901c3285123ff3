//! The admin console's refusals and failures. The console answers them as pages (the
//! `admin-console` function renders each with its message); the status and code are here: not
//! signed in 401 (the function sends the browser to the sign-in page instead), no role or a missing
//! permission 403 naming it, a form without the session's token or from another site 403, a bad
//! field 400, a client that still holds connections 409, a client secret whose rotation is pending
//! (or, to confirm, a client without a secret) 409; a flow's refusal answers what the API
//! answers it; an API token's or user's name taken 409, unknown 404, unacceptable 400.

use crate::api_tokens::ApiTokenError;
use crate::clients::ClientAdminError;
use crate::console::ConsoleError;
use crate::http::error::{ApiError, ResponseError};
use crate::oauth::connections::DeleteClientError;
use crate::users::UserAdminError;

impl ResponseError for ConsoleError {
    fn answer(&self) -> ApiError {
        let message = self.to_string();
        match self {
            ConsoleError::NotSignedIn => ApiError::new(401, "not_signed_in").with_message(message),
            ConsoleError::NoRole => ApiError::new(403, "no_console_role").with_message(message),
            ConsoleError::Forbidden(permission) => ApiError::new(403, "permission_missing")
                .with_message(message)
                .with_field("permission", permission.name()),
            ConsoleError::Csrf => ApiError::new(403, "csrf_token_invalid").with_message(message),
            ConsoleError::CrossSite => ApiError::new(403, "cross_site").with_message(message),
            ConsoleError::InvalidField { field, .. } => {
                ApiError::bad_request("invalid_request", message).with_field("field", *field)
            }
            ConsoleError::NotFound(what) => ApiError::not_found(what),
            ConsoleError::Login(e) => e.answer(),
            ConsoleError::Clients(e) => client_answer(e),
            ConsoleError::DeleteClient(DeleteClientError::HasTokens { .. }) => {
                ApiError::new(409, "client_has_connections")
                    .with_message("the client still holds connections: delete or revoke them first")
            }
            ConsoleError::DeleteClient(DeleteClientError::Clients(e)) => client_answer(e),
            ConsoleError::DeleteClient(DeleteClientError::Store(e)) | ConsoleError::Store(e) => {
                e.answer()
            }
            ConsoleError::OAuth(e) => e.answer(),
            ConsoleError::ApiTokens(e) => match e {
                ApiTokenError::NameTaken(_) => {
                    ApiError::new(409, "name_taken").with_message(e.to_string())
                }
                ApiTokenError::NotFound(_) => ApiError::not_found("API token"),
                ApiTokenError::Store(e) => e.answer(),
            },
            ConsoleError::Users(e) => match e {
                UserAdminError::NotFound(_) => ApiError::not_found("user"),
                UserAdminError::UnacceptablePassword => {
                    ApiError::bad_request("invalid_request", e.to_string())
                }
                UserAdminError::Taken(_) => ApiError::new(409, "taken").with_message(e.to_string()),
                UserAdminError::Store(e) => e.answer(),
                UserAdminError::Password(_) => ApiError::internal_error(),
            },
        }
    }
}

/// A client administration's refusal: the caller's to fix (400, 404) but for a store's, secret
/// store's or provider's failure.
fn client_answer(error: &ClientAdminError) -> ApiError {
    match error {
        ClientAdminError::UnknownProvider(_)
        | ClientAdminError::InvalidOption { .. }
        | ClientAdminError::Empty(_) => ApiError::bad_request("invalid_request", error.to_string()),
        ClientAdminError::NotFound(_) => ApiError::not_found("client"),
        ClientAdminError::RotationPending { .. } => {
            ApiError::new(409, "rotation_pending").with_message(error.to_string())
        }
        ClientAdminError::NoSecret(_) => {
            ApiError::new(409, "no_secret").with_message(error.to_string())
        }
        ClientAdminError::Store(e) => e.answer(),
        ClientAdminError::Secrets(e) => e.answer(),
        ClientAdminError::Provider(_) => ApiError::internal_error(),
    }
}
