//! Each service's errors as HTTP answers: one module per service, each holding the one `match`
//! from that service's error to its status, code and body (built with [`ApiError`]'s
//! constructors). The services below know no status code; a newcomer finds "which status does a
//! stale version give?" here, and "what happens on a stale version?" in the service.
//!
//! A wrapping error answers what the error it wraps answers, so most modules end in another's
//! answer (an [`OAuthError`](crate::oauth::OAuthError) holding a store failure answers as the
//! store does).
//!
//! [`ApiError`]: super::ApiError

mod api_tokens;
mod connection;
mod console;
mod grant;
mod keys;
mod login;
mod mail;
mod oauth;
mod refresh;
mod secrets;
mod store;
mod wp_sync;

pub use api_tokens::not_authorized;

#[cfg(test)]
mod tests;
