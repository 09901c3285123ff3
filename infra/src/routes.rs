//! The local stack's routing: the HTTP API's one route table (`authbridge::http::routes`) decides
//! which function serves a request ([`crate::stack::LocalStack::call`] then calls it), and the
//! answer to a body the stack will not read.

use authbridge::http::ApiError;
pub use authbridge::http::routes::{allowed_methods, match_path, unrouted};

/// 413: the body is over the local stack's limit.
pub fn payload_too_large() -> ApiError {
    ApiError::new(413, "payload_too_large")
        .with_message("the body is over 1 MiB or could not be read")
}
