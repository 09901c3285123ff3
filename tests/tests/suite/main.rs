//! Every test that crosses functions and implementations, in one test binary (one link of the
//! workspace instead of one per file). Each module is one area; its doc comment says what it
//! holds and which real servers it talks to. Run one area with
//! `cargo test -p authbridge-tests --test suite <module>::`.
//!
//! The tests that install the process's log subscriber are in the `logs` binary
//! (`tests/tests/logs/`), since a process has one subscriber.

mod api_token_scopes;
mod api_tokens;
mod connection_ending;
mod connection_rule;
mod connection_search;
mod console_store;
mod events;
mod handlers;
mod journal;
mod keys_rotation;
mod keys_under_load;
mod login_bursts;
mod login_faults;
mod login_local;
mod login_races;
mod login_wordpress;
mod mail_xoauth2;
mod migration_status;
mod oauth_flow;
mod oidc_server;
mod provider_quirks;
mod round_trips;
mod secret_rotation;
mod store_contract;
mod store_faults;
mod token_endpoint_failures;
mod token_lifecycle;
mod token_lifetimes;
mod token_refresh_api;
mod token_sweep;
mod user_import;
mod wordpress_e2e;
mod wordpress_plugin;
mod wordpress_sync;
mod wp_sync;
