//! The HTTP edge, shared by the functions: the route table, reading requests as API Gateway
//! delivers them, JSON responses and pages, and each service's errors as answers ([`answers`]).
//! The only part of the crate that knows status codes; no module below imports it.

pub mod access_log;
pub mod answers;
pub mod api_auth;
pub mod cookie;
pub mod error;
pub mod page;
pub mod request;
pub mod response;
pub mod routes;
pub mod serve;

pub use error::ApiError;
