//! The local stack: every function behind one HTTP endpoint, running the same handler code as in
//! Lambda. Each request is converted to the API Gateway (HTTP API, payload 2.0) event shape and
//! through `lambda_http`'s own conversion, so handlers see exactly what they see in AWS.

pub mod apigw;
pub mod demo;
pub mod demo_setup;
pub mod index;
pub mod json_errors;
pub mod openapi;
pub mod routes;
pub mod stack;
