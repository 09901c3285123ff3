//! The demo provider's memory: consent pages awaiting an answer, authorization codes, access tokens
//! and refresh tokens. Everything expires. Spent codes and rotated refresh tokens are remembered for
//! a while, so a replay revokes every token of its grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use tokio::time::Instant;

use super::scope;

/// How long a consent page can be answered.
pub(super) const CONSENT_TTL: Duration = Duration::from_secs(600);
/// How long an authorization code can be exchanged.
pub(super) const CODE_TTL: Duration = Duration::from_secs(60);
/// How long an access token is accepted (`expires_in`).
pub(super) const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// How long an unused refresh token can be exchanged.
pub(super) const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a spent code is remembered, to recognise a replay.
const SPENT_CODE_MEMORY: Duration = Duration::from_secs(600);

/// A validated authorization request, waiting for the user's answer on the consent page.
#[derive(Debug, Clone)]
pub(super) struct AuthorizationRequest {
    /// The registered client that asked.
    pub client_id: String,
    /// The registered redirect URI, as the request sent it.
    pub redirect_uri: String,
    /// The scopes asked for, space-separated (RFC 6749 §3.3).
    pub scope: String,
    /// The client's `state`, sent back unchanged.
    pub state: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
}

/// What the user approved: one client, one set of scopes. Every token issued for it shares its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Grant {
    id: u64,
    /// The client the grant belongs to.
    pub client_id: String,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// An authorization code after its one exchange: the grant and what the code was bound to.
#[derive(Debug, Clone)]
pub(super) struct RedeemedCode {
    /// The grant the code stands for.
    pub grant: Grant,
    /// The redirect URI of the authorization request (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// The PKCE challenge of the authorization request (RFC 7636 §4.6).
    pub code_challenge: String,
}

/// The tokens of one token response (no `Debug`: they are secrets).
pub(super) struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// The scopes of the access token.
    pub scope: String,
}

/// Why a code or refresh token was refused; every one is `invalid_grant` (RFC 6749 §5.2).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum GrantError {
    #[error("the authorization code is unknown or expired")]
    UnknownCode,
    #[error("the authorization code was already used; the tokens issued for it are revoked")]
    ReusedCode,
    #[error("the refresh token is unknown, expired or revoked")]
    UnknownRefreshToken,
    #[error("the refresh token was already used (refresh tokens rotate); its grant is revoked")]
    ReusedRefreshToken,
    #[error("the grant was issued to another client")]
    OtherClient,
    #[error("the requested scope is wider than the scope granted")]
    ScopeBeyondGrant,
}

/// A value and the moment it stops counting.
struct Expiring<T> {
    value: T,
    expires: Instant,
}

impl<T> Expiring<T> {
    fn new(value: T, ttl: Duration) -> Self {
        Self {
            value,
            expires: Instant::now() + ttl,
        }
    }
}

/// What an authorization code was issued for.
struct CodeBinding {
    grant: Grant,
    redirect_uri: String,
    code_challenge: String,
}

/// Every map is keyed by the secret value (nonce, code or token) it describes.
#[derive(Default)]
struct Memory {
    next_grant: u64,
    consents: HashMap<String, Expiring<AuthorizationRequest>>,
    codes: HashMap<String, Expiring<CodeBinding>>,
    spent_codes: HashMap<String, Expiring<u64>>,
    access_tokens: HashMap<String, Expiring<Grant>>,
    refresh_tokens: HashMap<String, Expiring<Grant>>,
    spent_refresh_tokens: HashMap<String, Expiring<u64>>,
}

impl Memory {
    fn forget_expired(&mut self) {
        let now = Instant::now();
        self.consents.retain(|_, e| e.expires > now);
        self.codes.retain(|_, e| e.expires > now);
        self.spent_codes.retain(|_, e| e.expires > now);
        self.access_tokens.retain(|_, e| e.expires > now);
        self.refresh_tokens.retain(|_, e| e.expires > now);
        self.spent_refresh_tokens.retain(|_, e| e.expires > now);
    }

    /// Revokes every code and token of grant `id`.
    fn revoke(&mut self, id: u64) {
        self.codes.retain(|_, e| e.value.grant.id != id);
        self.access_tokens.retain(|_, e| e.value.id != id);
        self.refresh_tokens.retain(|_, e| e.value.id != id);
    }
}

/// The in-memory state of the demo provider, safe to share between requests.
#[derive(Default)]
pub(super) struct Grants {
    memory: Mutex<Memory>,
}

/// Shows no codes or tokens: they are secrets.
impl fmt::Debug for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grants").finish_non_exhaustive()
    }
}

impl Grants {
    /// The memory, with everything expired already forgotten.
    fn memory(&self) -> MutexGuard<'_, Memory> {
        let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        memory.forget_expired();
        memory
    }

    /// Keeps `request` until the user answers; returns the one-time nonce the consent form carries.
    pub fn await_consent(&self, request: AuthorizationRequest) -> String {
        let nonce = random_token();
        self.memory()
            .consents
            .insert(nonce.clone(), Expiring::new(request, CONSENT_TTL));
        nonce
    }

    /// The request a consent form answers, once: `None` when unknown, answered or expired.
    pub fn take_consent(&self, nonce: &str) -> Option<AuthorizationRequest> {
        self.memory().consents.remove(nonce).map(|e| e.value)
    }

    /// A new one-time authorization code for an approved `request`, valid for [`CODE_TTL`].
    pub fn issue_code(&self, request: &AuthorizationRequest) -> String {
        let code = random_token();
        let mut memory = self.memory();
        memory.next_grant += 1;
        let binding = CodeBinding {
            grant: Grant {
                id: memory.next_grant,
                client_id: request.client_id.clone(),
                scope: request.scope.clone(),
            },
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
        };
        memory
            .codes
            .insert(code.clone(), Expiring::new(binding, CODE_TTL));
        code
    }

    /// Spends `code` for `client_id`. A code is spent by its first exchange whatever the outcome
    /// of the later checks; a second exchange fails and revokes the tokens of the first.
    pub fn redeem_code(&self, code: &str, client_id: &str) -> Result<RedeemedCode, GrantError> {
        let mut memory = self.memory();
        if let Some(spent) = memory.spent_codes.get(code) {
            let grant = spent.value;
            memory.revoke(grant);
            return Err(GrantError::ReusedCode);
        }
        match memory.codes.get(code) {
            None => return Err(GrantError::UnknownCode),
            Some(e) if e.value.grant.client_id != client_id => return Err(GrantError::OtherClient),
            Some(_) => {}
        }
        let binding = memory
            .codes
            .remove(code)
            .ok_or(GrantError::UnknownCode)?
            .value;
        memory.spent_codes.insert(
            code.to_string(),
            Expiring::new(binding.grant.id, SPENT_CODE_MEMORY),
        );
        Ok(RedeemedCode {
            grant: binding.grant,
            redirect_uri: binding.redirect_uri,
            code_challenge: binding.code_challenge,
        })
    }

    /// A new access token (with `access_scope`, a subset of the grant's) and a new refresh token
    /// (with the grant's full scope, RFC 6749 §6) for `grant`.
    pub fn issue_tokens(&self, grant: &Grant, access_scope: &str) -> IssuedTokens {
        let access_token = random_token();
        let refresh_token = random_token();
        let mut memory = self.memory();
        let access_grant = Grant {
            scope: access_scope.to_string(),
            ..grant.clone()
        };
        memory.access_tokens.insert(
            access_token.clone(),
            Expiring::new(access_grant, ACCESS_TOKEN_TTL),
        );
        memory.refresh_tokens.insert(
            refresh_token.clone(),
            Expiring::new(grant.clone(), REFRESH_TOKEN_TTL),
        );
        IssuedTokens {
            access_token,
            refresh_token,
            expires_in: ACCESS_TOKEN_TTL.as_secs(),
            scope: access_scope.to_string(),
        }
    }

    /// Spends refresh token `token` of `client_id` and returns its grant, for new tokens; a
    /// `requested_scope` (normalised) must be within the grant's, else the token stays unspent.
    /// Refresh tokens rotate: a spent one presented again revokes every token of its grant.
    pub fn spend_refresh_token(
        &self,
        token: &str,
        client_id: &str,
        requested_scope: Option<&str>,
    ) -> Result<Grant, GrantError> {
        let mut memory = self.memory();
        if let Some(spent) = memory.spent_refresh_tokens.get(token) {
            let grant = spent.value;
            memory.revoke(grant);
            return Err(GrantError::ReusedRefreshToken);
        }
        match memory.refresh_tokens.get(token) {
            None => return Err(GrantError::UnknownRefreshToken),
            Some(e) if e.value.client_id != client_id => return Err(GrantError::OtherClient),
            Some(e) if requested_scope.is_some_and(|s| !scope::is_within(s, &e.value.scope)) => {
                return Err(GrantError::ScopeBeyondGrant);
            }
            Some(_) => {}
        }
        let entry = memory
            .refresh_tokens
            .remove(token)
            .ok_or(GrantError::UnknownRefreshToken)?;
        memory.spent_refresh_tokens.insert(
            token.to_string(),
            Expiring {
                value: entry.value.id,
                expires: entry.expires,
            },
        );
        Ok(entry.value)
    }

    /// The grant of a live access token.
    pub fn access_token(&self, token: &str) -> Option<Grant> {
        self.memory()
            .access_tokens
            .get(token)
            .map(|e| e.value.clone())
    }
}

/// A new random value of 256 bits, URL-safe base64 without padding (43 characters).
pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
