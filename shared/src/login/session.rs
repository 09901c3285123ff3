//! Sessions: a bearer token of 256 random bits, given to the client once and stored only as its
//! SHA-256, with an expiry.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::error::LoginError;
use crate::clock::Epoch;
use crate::domain::{Session, User, UserId};
use crate::store::SessionStore;

/// Random bytes in a session token.
pub const TOKEN_BYTES: usize = 32;

/// A session's bearer token. Never printed; only its [`key`](SessionToken::key) is stored.
pub struct SessionToken(SecretString);

impl SessionToken {
    /// A fresh token: 256 bits from the operating system's CSPRNG (through `rand`'s thread RNG),
    /// URL-safe base64 without padding (43 characters).
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        SessionToken(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The token, to hand to the client.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The store key of this token.
    pub fn key(&self) -> String {
        key_of(self.expose())
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// The store key of a presented token: its SHA-256 in hex.
pub fn key_of(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues and resolves sessions.
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    ttl: Duration,
}

impl Sessions {
    pub fn new(store: Arc<dyn SessionStore>, ttl: Duration) -> Self {
        Sessions { store, ttl }
    }

    /// The lifetime of a new session, in seconds.
    pub fn ttl_seconds(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// Starts a session for `user`, under its current session generation.
    pub async fn issue(&self, user: &User, now: Epoch) -> Result<SessionToken, LoginError> {
        self.issue_under(&user.id, user.session_generation, now)
            .await
    }

    /// Starts a session for the user `user_id` under session generation `generation` (a login
    /// writes it together with the sign-in, under the generation it read).
    pub async fn issue_under(
        &self,
        user_id: &UserId,
        generation: u64,
        now: Epoch,
    ) -> Result<SessionToken, LoginError> {
        let token = SessionToken::generate();
        let session = Session {
            key: token.key(),
            user_id: user_id.clone(),
            created: now,
            expires_at: now.saturating_add(Epoch::try_from(self.ttl_seconds()).unwrap_or(0)),
            generation,
        };
        self.store.put_session(&session).await?;
        Ok(token)
    }

    /// The live session of a presented token.
    pub async fn resolve(&self, token: &str, now: Epoch) -> Result<Option<Session>, LoginError> {
        Ok(self.store.get_session(&key_of(token), now).await?)
    }

    /// Ends the session of a presented token; `false` when there was none.
    pub async fn end(&self, token: &str) -> Result<bool, LoginError> {
        Ok(self.store.delete_session(&key_of(token)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_are_stored_as_their_hash() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a.expose(), b.expose());
        let decoded = URL_SAFE_NO_PAD.decode(a.expose()).unwrap();
        assert_eq!(decoded.len(), 32);
        assert_eq!(a.key().len(), 64);
        assert!(!a.key().contains(a.expose()));
        assert_eq!(a.key(), key_of(a.expose()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
