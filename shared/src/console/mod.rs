//! The admin console's services, below HTTP: who may enter and what they may do.
//!
//! - [`settings`]: the session timeouts;
//! - [`session`]: console sessions (a cookie's value, stored only as its hash), their CSRF token
//!   (derived from the cookie's value, checked in constant time) and their end (idle, absolute,
//!   sign-out, a new password, a disabled user, a revoked role);
//! - [`sign_in`]: sign-in through the login bridge's own service and throttling, then a role;
//! - [`connections`]: the connections a user may see and change, connect, revoke, delete;
//! - [`error`]: why a console request was refused.
//!
//! The pages themselves, cookies and statuses are the `admin-console` function's.

pub mod connections;
pub mod error;
pub mod session;
pub mod settings;
pub mod sign_in;

pub use error::ConsoleError;
pub use session::{ConsoleSessions, CsrfToken, SignedIn};
pub use settings::ConsoleSettings;
pub use sign_in::sign_in;
