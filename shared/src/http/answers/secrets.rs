//! The secret store's failures: an outage is worth a retry (503 `store_unavailable`, as for the
//! store); any other failure is a 500.

use crate::http::error::{ApiError, ResponseError};
use crate::secrets::SecretError;

impl ResponseError for SecretError {
    fn answer(&self) -> ApiError {
        match self {
            SecretError::Unavailable { .. } => ApiError::store_unavailable(),
            SecretError::Backend { .. } => ApiError::internal_error(),
        }
    }
}
