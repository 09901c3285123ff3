//! A console session: what the admin console's session cookie stands for. Separate from the API's
//! bearer sessions ([`super::Session`]): it lives in a browser cookie, ends after a while without
//! use (idle) as well as at a fixed time (absolute), and remembers the roles it was opened with.

use serde::{Deserialize, Serialize};

use super::UserId;
use super::role::Role;
use crate::clock::Epoch;

/// One signed-in console session, keyed by the SHA-256 (hex) of its cookie's value: the store
/// never holds the cookie itself, so a leaked table gives nobody a session (nor its CSRF token,
/// which is derived from the cookie's value too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    /// Hex SHA-256 of the cookie's value.
    pub key: String,
    pub user_id: UserId,
    /// The roles the user held at sign-in: the session works only while the user still holds
    /// every one of them, and allows no more than they carry.
    pub roles: Vec<Role>,
    /// The user's `session_generation` at sign-in: a new password or a disabling ends the session.
    pub generation: u64,
    pub created: Epoch,
    /// The last request seen (written at most about once a minute).
    pub last_seen: Epoch,
    /// The absolute end, `created` plus the session lifetime; no use extends it.
    pub ends_at: Epoch,
    /// From this instant on the session reads as absent: the idle end (`last_seen` plus the idle
    /// timeout) or `ends_at`, whichever is earlier.
    pub expires_at: Epoch,
}
