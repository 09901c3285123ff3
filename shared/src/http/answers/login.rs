//! A refused or failed login: a bad field is a 400 naming it; a refusal is a bare 401 code (the
//! same for every reason); a throttled or unanswerable login a 429 or 503 with `Retry-After`; a
//! store outage a 503, and any other failure a 500.

use crate::http::error::{ApiError, ResponseError};
use crate::login::LoginError;

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
            LoginError::Store(e) => super::store::failure(e),
            LoginError::Password(_) => ApiError::internal_error(),
        }
    }
}
