//! The tests that read what reaches the logs. A process has one log subscriber, so they share one
//! binary of their own, one capture ([`authbridge_tests::logs::Captured::shared`]) and run one at
//! a time.

mod login_logs;
mod oauth_logs;
mod token_client_rejected;
