//! The real `authbridge` binary against an embedded store in a temporary folder, as an operator
//! would run it: what it prints, what it stores, and that no secret ever reaches its output.

mod api_tokens;
mod audit;
mod clients;
mod conventions;
mod keys;
mod providers;
mod secrets;
mod stack;
mod support;
mod tokens;
mod users;
