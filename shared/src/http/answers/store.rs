//! The store's failures: a conflict or a missing record is the caller's to fix (409, 404); an
//! outage is worth a retry (503 `store_unavailable` with `Retry-After`); a backend failure is a
//! 500.

use crate::http::error::{ApiError, ResponseError};
use crate::store::StoreError;

impl ResponseError for StoreError {
    fn answer(&self) -> ApiError {
        match self {
            StoreError::AlreadyExists(_) => {
                ApiError::new(409, "conflict").with_message(self.to_string())
            }
            StoreError::StaleVersion => ApiError::new(409, "conflict")
                .with_message("the record was changed concurrently; retry"),
            StoreError::NotFound => ApiError::not_found("record"),
            StoreError::Unavailable { .. } => ApiError::store_unavailable(),
            StoreError::Backend { .. } => ApiError::internal_error(),
        }
    }
}

/// The answer on a path where only an outage is expected of the store (a login's reads and
/// writes): 503 for an outage, else 500.
pub(super) fn failure(error: &StoreError) -> ApiError {
    match error {
        StoreError::Unavailable { .. } => ApiError::store_unavailable(),
        _ => ApiError::internal_error(),
    }
}
