//! HTTP helpers shared by the functions: JSON responses, the one mapping from errors to responses,
//! and reading requests as API Gateway delivers them.

pub mod access_log;
pub mod api_auth;
pub mod cookie;
pub mod error;
pub mod page;
pub mod request;
pub mod response;
pub mod routes;
pub mod serve;

pub use error::ApiError;
