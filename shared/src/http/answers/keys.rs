//! The keys' failures: the store, the secret store or KMS out for now is worth a retry (503
//! `store_unavailable`, as for the store); anything else (a value that does not open, a key that
//! does not unwrap) is a 500 whose cause is logged, never shown.

use crate::http::error::{ApiError, ResponseError};
use crate::keys::KeyError;

impl ResponseError for KeyError {
    fn answer(&self) -> ApiError {
        match self {
            KeyError::Store(e) => e.answer(),
            KeyError::Secrets(e) => e.answer(),
            e if e.is_transient() => ApiError::store_unavailable(),
            e => ApiError::internal(e),
        }
    }
}
