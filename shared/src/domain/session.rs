//! A login session: what a bearer token from `POST /auth/login` stands for.

use serde::{Deserialize, Serialize};

use super::UserId;
use crate::clock::Epoch;

/// One signed-in session, keyed by the SHA-256 (hex) of its bearer token: the store never holds
/// the token itself, so a leaked table gives nobody a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Hex SHA-256 of the bearer token.
    pub key: String,
    pub user_id: UserId,
    pub created: Epoch,
    /// From this instant on the session reads as absent.
    pub expires_at: Epoch,
    /// The user's `session_generation` when the session was issued; the session works only while
    /// it is still the user's.
    #[serde(default)]
    pub generation: u64,
}
