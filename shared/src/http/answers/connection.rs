//! A connection's values that do not fit its provider ([`ConnectionError`]): 400
//! `invalid_connection`, the message and the `parameter` naming the value at fault (never the
//! value, which may be a captured secret). A provider URL that needs a value the connection
//! cannot have is the provider file's fault: 500.

use crate::http::error::{ApiError, ResponseError};
use crate::providers::ConnectionError;

impl ResponseError for ConnectionError {
    fn answer(&self) -> ApiError {
        let parameter = match self {
            ConnectionError::UnknownParameter { name }
            | ConnectionError::MissingParameter { name, .. }
            | ConnectionError::PerClient { name }
            | ConnectionError::Mismatch { name, .. }
            | ConnectionError::Misplaced { name, .. } => name,
            ConnectionError::MissingCapture { key, .. } => key,
            ConnectionError::Unfilled { .. } => return ApiError::internal_error(),
        };
        ApiError::new(400, "invalid_connection")
            .with_message(self.to_string())
            .with_field("parameter", parameter.clone())
    }
}
