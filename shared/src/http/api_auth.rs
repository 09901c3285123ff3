//! Bearer API tokens for server-to-server calls (`/oauth/token`, `/tokens/{tag}`).
//!
//! Until API tokens live in the store, the allowed tokens come from configuration as SHA-256
//! hashes (`AUTHBRIDGE_API_TOKEN_HASHES`, hex, comma-separated), so no token is ever in clear in
//! the configuration. A presented token is hashed and compared in constant time.

use lambda_http::Request;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ApiError;
use super::request::bearer_token;
use crate::config::{ConfigError, Env};

/// The API tokens allowed by configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredApiTokens {
    hashes: Vec<[u8; 32]>,
}

/// The refusal of the reference API: 403 with `no_authorization` and a reason.
pub fn not_authorized(reason: &str) -> ApiError {
    ApiError::new(
        403,
        json!({
            "status": "error",
            "message": format!("Not authorized: {reason}"),
            "error": "no_authorization",
        }),
    )
}

/// The SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl ConfiguredApiTokens {
    /// Reads `AUTHBRIDGE_API_TOKEN_HASHES`.
    pub fn from(env: &Env<'_>) -> Result<Self, ConfigError> {
        let Some(raw) = env.get("AUTHBRIDGE_API_TOKEN_HASHES") else {
            return Ok(Self::default());
        };
        let hashes = raw
            .split([',', ' ', '\n'])
            .filter(|s| !s.is_empty())
            .map(|entry| {
                hex::decode(entry)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| ConfigError::Invalid {
                        name: "AUTHBRIDGE_API_TOKEN_HASHES",
                        reason: "each entry must be a SHA-256 in hex (64 characters)".into(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ConfiguredApiTokens { hashes })
    }

    /// Allows the tokens whose plain values are given (tests, the local stack).
    pub fn allowing(tokens: &[&str]) -> Self {
        ConfiguredApiTokens {
            hashes: tokens.iter().map(|t| token_hash(t)).collect(),
        }
    }

    /// Checks the request's bearer token.
    pub fn authorize(&self, req: &Request) -> Result<(), ApiError> {
        let token = bearer_token(req)
            .ok_or_else(|| not_authorized("missing or malformed Authorization: Bearer header"))?;
        let presented = token_hash(token);
        let mut found = subtle::Choice::from(0);
        for allowed in &self.hashes {
            found |= allowed.ct_eq(&presented);
        }
        if bool::from(found) {
            Ok(())
        } else {
            Err(not_authorized("unknown token"))
        }
    }
}
