//! A grant at a provider's token endpoint that failed: the provider's refusal or garbage is a 502
//! (with the provider's code and description), an unreachable provider a 503 with `Retry-After`;
//! a request that cannot be built is a 500.

use crate::http::error::{ApiError, ResponseError};
use crate::oauth::grant::GrantError;

/// Seconds a caller is asked to wait when the provider cannot be reached.
pub(super) const PROVIDER_RETRY_AFTER: u64 = 30;

impl ResponseError for GrantError {
    fn answer(&self) -> ApiError {
        match self {
            GrantError::Rejected { code, description } => ApiError::new(502, "provider_rejected")
                .with_message("the provider refused the token request")
                .with_field("provider_error", code.as_str())
                .with_field("provider_error_description", description.clone()),
            GrantError::Unavailable(_) => {
                ApiError::unavailable("provider_unavailable", PROVIDER_RETRY_AFTER)
            }
            GrantError::BadResponse(_) => ApiError::new(502, "provider_bad_response")
                .with_message("the provider's answer was not a valid token response"),
            GrantError::Config(_) => ApiError::internal_error(),
        }
    }
}
