//! The WordPress login bridge: password login over local users first and, during a migration
//! period, WordPress as a fallback that creates the local user with the password it validated
//! (lazy migration, like Cognito's user-migration trigger or Auth0's automatic migration).
//!
//! - [`name`]: the name (e-mail or WordPress username) and [`credentials`]: it with the password,
//!   parsed at the boundary; [`lookup`]: the local user a name stands for (by e-mail, or by the
//!   WordPress login its link keeps);
//! - [`chain`]: authenticators by priority; [`local`] and [`wordpress`] are the two;
//! - [`migration`]: what a WordPress-validated login finds, creates or links locally;
//! - [`throttle`]: failed attempts per account and per address, a name of nobody counted under
//!   the spelling WordPress would find it by ([`crate::domain::spelling`]); [`session`]: bearer
//!   sessions;
//! - [`service`]: all of it in order, as `login-authenticate` calls it; [`settings`]: configuration.
//!
//! No password reaches a log line or an error: it is a `SecretString` from the request on, and
//! every instrumented function skips it.

pub mod chain;
pub mod credentials;
pub mod error;
pub mod local;
pub mod lookup;
pub mod migration;
pub mod name;
pub mod service;
pub mod session;
pub mod settings;
pub mod throttle;
pub mod wordpress;

pub use credentials::Credentials;
pub use error::{LoginError, SetupError};
pub use name::{InvalidField, LoginName};
pub use service::{LoginService, LoginSuccess};
pub use settings::{LoginSettings, MigrationOptions, ThrottleLimits, WordpressSettings};
