//! Everything the authbridge functions have in common: configuration, the domain types (providers,
//! clients, tokens, users, API tokens), the storage and secrets traits with their DynamoDB / Secrets
//! Manager and embedded (SQLite) adapters, and the HTTP helpers that turn errors into responses.
//!
//! Data flows one way: event → function → domain → store. Nothing in this crate knows which
//! function called it.

pub mod api_tokens;
pub mod audit;
pub mod aws;
pub mod clients;
pub mod clock;
pub mod config;
pub mod console;
pub mod context;
pub mod deadline;
pub mod domain;
pub mod events;
pub mod http;
pub mod keys;
pub mod login;
pub mod mail;
pub mod migration_status;
pub mod oauth;
pub mod passwords;
pub mod providers;
pub mod runtime;
pub mod secrets;
pub mod stack_outputs;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod users;
pub mod vault;
pub mod wp_sync;
