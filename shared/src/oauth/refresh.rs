//! Keeping tokens usable: [`Refresher::fresh_token`] returns a usable access token for a tag,
//! refreshing it first when it expires within the refresh margin.
//!
//! RFC 9700 §4.14: reusing a rotated refresh token can make the server revoke the whole grant, so
//! refreshes of one token are serialized. Across processes a caller takes a lease on the record
//! (a version-checked write with an expiry) before it calls the provider, and re-reads after
//! taking it; the others wait for the lease to end and read the result. Inside one process,
//! concurrent callers of one tag queue on one lock, so they share one refresh.
//!
//! Failures: `invalid_grant` marks the record `reauthorization_required` (kept, never retried
//! automatically); a transient failure records the error, keeps the old token and backs off
//! (30 s doubling, capped at an hour); a success clears the error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;

use super::context::OAuthContext;
use super::error::OAuthError;
use super::flow::{auth_method, provider_for, refresh_margin};
use super::grant::{GrantClient, GrantError};
use super::records::{self, field};
use crate::clock::{self, Epoch};
use crate::domain::token::{StoredToken, TokenStatus};
use crate::domain::{ClientId, OAuthClient};
use crate::providers::ResolvedProvider;
use crate::store::StoreError;

/// How long a lease holds when its holder never releases it (longer than a refresh can take).
pub const LEASE: Epoch = 30;
/// First backoff after a transient failure; it doubles with each failure.
pub const BACKOFF_START: Epoch = 30;
/// Longest backoff.
pub const BACKOFF_CAP: Epoch = 3600;
/// How long a caller waits for another's refresh before giving up.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(40);
const POLL: Duration = Duration::from_millis(100);

/// A usable access token.
pub struct FreshToken {
    pub access_token: SecretString,
    pub token_type: String,
    pub expires_at: Option<Epoch>,
    pub scopes: Vec<String>,
}

/// Why no usable token could be given.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("no token record with tag {0:?}")]
    NotFound(String),
    /// The provider refused the refresh token: the user must connect again.
    #[error("the token {tag:?} needs the user to authorize again")]
    ReauthorizationRequired {
        tag: String,
        client_id: ClientId,
        scopes: Vec<String>,
    },
    /// The token expired and the provider cannot be reached now.
    #[error("the provider is unavailable and the token has expired: {0}")]
    Unavailable(String),
    /// Another process holds the refresh for longer than expected.
    #[error("the token is being refreshed elsewhere; try again")]
    Busy,
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

impl From<StoreError> for RefreshError {
    fn from(e: StoreError) -> Self {
        RefreshError::OAuth(e.into())
    }
}

impl From<crate::vault::VaultError> for RefreshError {
    fn from(e: crate::vault::VaultError) -> Self {
        RefreshError::OAuth(e.into())
    }
}

/// What a refresh attempt did, for the sweep's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Refreshed,
    /// Nothing to do: fresh already, refreshed by another caller, or backing off.
    Skipped,
    Failed,
}

/// Why a refresh is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Only when the access token expires within the margin (a caller needs a token).
    IfExpiring,
    /// When the record is due (expiring, or idle for a day): the scheduled sweep.
    IfDue,
    /// Now, whatever the expiry (the admin's `tokens refresh`).
    Always,
}

/// Serializes refreshes and hands out usable tokens. One per process.
pub struct Refresher {
    owner: String,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for Refresher {
    fn default() -> Self {
        Refresher {
            owner: uuid::Uuid::new_v4().to_string(),
            locks: Mutex::new(HashMap::new()),
        }
    }
}

/// The lock of one tag inside this process; dropped from the map when nobody holds it.
struct TagLock<'a> {
    refresher: &'a Refresher,
    tag: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for TagLock<'_> {
    fn drop(&mut self) {
        if let Ok(mut locks) = self.refresher.locks.lock()
            && Arc::strong_count(&self.lock) <= 2
        {
            locks.remove(&self.tag);
        }
    }
}

fn expiring(record: &StoredToken, margin: Epoch, now: Epoch) -> bool {
    record.expires.is_some_and(|e| e - margin <= now) || record.access_token.is_none()
}

fn wanted(record: &StoredToken, want: Want, margin: Epoch, now: Epoch) -> bool {
    match want {
        Want::Always => true,
        Want::IfExpiring => expiring(record, margin, now),
        Want::IfDue => record.due_at.is_some_and(|due| due <= now),
    }
}

fn backoff(attempts: u32) -> Epoch {
    let exp = attempts.saturating_sub(1).min(16);
    (BACKOFF_START << exp).min(BACKOFF_CAP)
}

impl Refresher {
    fn tag_lock(&self, tag: &str) -> TagLock<'_> {
        let lock = self
            .locks
            .lock()
            .map(|mut locks| locks.entry(tag.to_string()).or_default().clone())
            .unwrap_or_default();
        TagLock {
            refresher: self,
            tag: tag.to_string(),
            lock,
        }
    }

    /// A usable access token for `tag`, refreshed first when it expires within the margin.
    pub async fn fresh_token(
        &self,
        ctx: &OAuthContext,
        tag: &str,
    ) -> Result<FreshToken, RefreshError> {
        let (record, _) = self.refresh(ctx, tag, Want::IfExpiring).await?;
        if record.status == TokenStatus::ReauthorizationRequired {
            return Err(reauthorization(&record));
        }
        let now = clock::now();
        if record.expires.is_some_and(|e| e <= now) {
            let why = record
                .error
                .as_ref()
                .and_then(|e| e.get("error"))
                .and_then(|e| e.as_str())
                .unwrap_or("the refresh failed")
                .to_string();
            return Err(RefreshError::Unavailable(why));
        }
        let sealed = record
            .access_token
            .as_ref()
            .ok_or_else(|| RefreshError::Unavailable("no access token is stored".into()))?;
        let vault = ctx.vault().await?;
        Ok(FreshToken {
            access_token: vault.open(&record.tag, field::ACCESS_TOKEN, sealed)?,
            token_type: record.token_type.clone().unwrap_or_else(|| "Bearer".into()),
            expires_at: record.expires,
            scopes: record.scopes.clone(),
        })
    }

    /// Refreshes `tag` when `want` says so, serialized as the module explains. Returns the record
    /// as it stands afterwards and what was done.
    pub async fn refresh(
        &self,
        ctx: &OAuthContext,
        tag: &str,
        want: Want,
    ) -> Result<(StoredToken, Outcome), RefreshError> {
        let tag_lock = self.tag_lock(tag);
        let _held = tag_lock.lock.lock().await;
        let deadline = tokio::time::Instant::now() + WAIT_FOR_OTHERS;
        let mut want = want;
        // The client and its provider, resolved once for all the polls of this call.
        let mut resolved: Option<(OAuthClient, ResolvedProvider)> = None;
        loop {
            let now = clock::now();
            let record = ctx
                .app
                .stores
                .tokens
                .get_token(tag)
                .await?
                .ok_or_else(|| RefreshError::NotFound(tag.to_string()))?;
            if record.status == TokenStatus::ReauthorizationRequired {
                return Ok((record, Outcome::Skipped));
            }
            let (client, provider) = match resolved.take() {
                Some((client, provider)) if client.id == record.client_id => (client, provider),
                _ => {
                    let client = super::flow::active_client(ctx, record.client_id.as_str()).await?;
                    let provider = provider_for(ctx, &client).await?;
                    (client, provider)
                }
            };
            let margin = refresh_margin(&provider);
            if !wanted(&record, want, margin, now) {
                return Ok((record, Outcome::Skipped));
            }
            let leased_by_other = record.lease_until.is_some_and(|until| until > now)
                && record.lease_owner.as_deref() != Some(&self.owner);
            if leased_by_other {
                if tokio::time::Instant::now() >= deadline {
                    return Err(RefreshError::Busy);
                }
                // Another process is refreshing: wait and read its result. A forced refresh
                // is satisfied by theirs.
                if want == Want::Always {
                    want = Want::IfExpiring;
                }
                tokio::time::sleep(POLL).await;
                resolved = Some((client, provider));
                continue;
            }
            if want != Want::Always && record.next_attempt_at.is_some_and(|t| t > now) {
                return Ok((record, Outcome::Skipped));
            }
            // Take the lease: a version-checked write. Losing means someone else changed the
            // record; read again.
            let mut leased = record.clone();
            leased.lease_owner = Some(self.owner.clone());
            leased.lease_until = Some(now + LEASE);
            let leased = match ctx.app.stores.tokens.update_token(&leased).await {
                Ok(leased) => leased,
                Err(StoreError::StaleVersion) => {
                    resolved = Some((client, provider));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let result = self.call_provider(ctx, &client, &provider, &leased).await;
            return self.finish(ctx, leased, result, margin).await;
        }
    }

    /// Runs the refresh (or, for client-credentials records, the grant again).
    async fn call_provider(
        &self,
        ctx: &OAuthContext,
        client: &OAuthClient,
        provider: &ResolvedProvider,
        record: &StoredToken,
    ) -> Result<super::token_response::ProviderTokenResponse, RefreshAttemptError> {
        let secret = ctx
            .app
            .secrets
            .get_secret(&client.secret_name(&ctx.app.config.secret_prefix))
            .await
            .map_err(|e| RefreshAttemptError::Local(e.into()))?
            .ok_or_else(|| {
                RefreshAttemptError::Local(OAuthError::MissingSecret(client.id.to_string()))
            })?;
        let grant = GrantClient::new(
            provider,
            &client.guid,
            Some(&secret),
            None,
            auth_method(provider),
            ctx.http.clone(),
        )
        .map_err(RefreshAttemptError::Grant)?;
        match &record.refresh_token {
            Some(sealed) => {
                let vault = ctx
                    .vault()
                    .await
                    .map_err(|e| RefreshAttemptError::Local(e.into()))?;
                let refresh = vault
                    .open(&record.tag, field::REFRESH_TOKEN, sealed)
                    .map_err(|e| RefreshAttemptError::Local(e.into()))?;
                grant
                    .refresh(&refresh)
                    .await
                    .map_err(RefreshAttemptError::Grant)
            }
            None if record.grant_type == "client_credentials" => grant
                .client_credentials(&record.scopes)
                .await
                .map_err(RefreshAttemptError::Grant),
            None => Err(RefreshAttemptError::Grant(GrantError::Rejected {
                code: "invalid_grant".into(),
                description: Some("no refresh token is stored".into()),
            })),
        }
    }

    /// Writes the outcome and releases the lease.
    async fn finish(
        &self,
        ctx: &OAuthContext,
        mut record: StoredToken,
        result: Result<super::token_response::ProviderTokenResponse, RefreshAttemptError>,
        margin: Epoch,
    ) -> Result<(StoredToken, Outcome), RefreshError> {
        let now = clock::now();
        record.lease_owner = None;
        record.lease_until = None;
        record.modified = now;
        let outcome = match result {
            Ok(response) => {
                let vault = ctx.vault().await?;
                records::apply_response(vault, &mut record, &response, margin, now)?;
                record.attempts = 0;
                record.next_attempt_at = None;
                tracing::info!(tag = %record.tag, "token refreshed");
                Outcome::Refreshed
            }
            Err(RefreshAttemptError::Grant(GrantError::Rejected { code, description }))
                if code == "invalid_grant" =>
            {
                record.status = TokenStatus::ReauthorizationRequired;
                record.error =
                    Some(json!({"error": code, "error_description": description, "time": now}));
                record.due_at = None;
                tracing::warn!(tag = %record.tag, "refresh token refused: reauthorization required");
                Outcome::Failed
            }
            Err(err) => {
                record.attempts = record.attempts.saturating_add(1);
                let wait = backoff(record.attempts);
                record.next_attempt_at = Some(now + wait);
                record.due_at = Some(now + wait);
                let (code, description) = match &err {
                    RefreshAttemptError::Grant(GrantError::Rejected { code, description }) => {
                        (code.clone(), description.clone())
                    }
                    other => (
                        "temporarily_unavailable".to_string(),
                        Some(other.to_string()),
                    ),
                };
                record.error = Some(json!({
                    "error": code,
                    "error_description": description,
                    "time": now,
                    "attempts": record.attempts,
                }));
                tracing::warn!(tag = %record.tag, attempts = record.attempts, error = %err, "token refresh failed; backing off");
                Outcome::Failed
            }
        };
        let saved = ctx.app.stores.tokens.update_token(&record).await?;
        Ok((saved, outcome))
    }
}

/// A failed attempt: the provider's answer, or a local problem (missing secret, vault).
#[derive(Debug, thiserror::Error)]
enum RefreshAttemptError {
    #[error(transparent)]
    Grant(GrantError),
    #[error(transparent)]
    Local(OAuthError),
}

fn reauthorization(record: &StoredToken) -> RefreshError {
    RefreshError::ReauthorizationRequired {
        tag: record.tag.clone(),
        client_id: record.client_id.clone(),
        scopes: record.scopes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_and_is_capped() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 60);
        assert_eq!(backoff(3), 120);
        assert_eq!(backoff(8), 3600);
        assert_eq!(backoff(100), 3600);
    }
}
