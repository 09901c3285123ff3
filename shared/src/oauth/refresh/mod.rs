//! Keeping tokens usable: [`Refresher::fresh_token`] returns a usable access token for a tag,
//! refreshing it first when it is within its refresh margin (the rule is in
//! [`crate::domain::token_lifecycle`]); [`Refresher::replace_token`] serves a caller whose token
//! was rejected by the resource server.
//!
//! One refresh per expiry. RFC 9700 §4.14: spending a rotated refresh token twice can make the
//! server revoke the whole grant, so refreshes of one token are serialized. A caller that finds the
//! token wanting a refresh notes which token it saw ([`TokenVersion`]), then queues: inside one
//! process on a lock per tag, across processes on the record's lease (a version-checked write with
//! an expiry, read back before the provider is called). Whenever the stored token is no longer the one it saw, another caller refreshed it:
//! it takes that token and never starts a second refresh. Only the lease holder calls the provider.
//!
//! Waiting is bounded: a caller waits, or starts a refresh, only until its `start_by` instant
//! ([`start_by`]), chosen so that a refresh started then still ends within the outbound HTTP
//! timeout before the caller must answer; past it the answer is [`RefreshError::Busy`]. A refresh
//! in flight is never abandoned: the provider may already have rotated the refresh token.
//!
//! The outcome is written as one of the record's transitions: refreshed, failed transiently
//! (backed off; a refusal of the client itself is logged as a misconfiguration), or needs
//! reauthorization (`invalid_grant`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use tokio::time::Instant;

use super::context::OAuthContext;
use super::credentials::grant_client;
use super::error::OAuthError;
use super::flow::{active_client, provider_for, refresh_margin};
use super::grant::{GrantError, PROVIDER_RETRY_AFTER};
use super::records::{self, field};
use super::token_response::ProviderTokenResponse;
use crate::clock::{self, Epoch};
use crate::domain::token::{FailureKind, StoredToken, TokenStatus, TokenVersion};
use crate::domain::{ClientId, OAuthClient, Scope};
use crate::events::{Event, EventKind};
use crate::http::error::{ApiError, ResponseError};
use crate::providers::ResolvedProvider;
use crate::store::StoreError;

pub use crate::domain::token_lifecycle::{BACKOFF_CAP, BACKOFF_START};

/// How long a lease holds when its holder never releases it (longer than a refresh can take).
pub const LEASE: Epoch = 30;
/// Kept back from a caller's deadline to write its answer.
pub const ANSWER_RESERVE: Duration = Duration::from_secs(1);
/// How often a caller waiting for another process's refresh reads the record again.
const POLL: Duration = Duration::from_millis(100);
/// The RFC 6749 §5.2 codes by which a provider refuses the client itself, not the grant.
const CLIENT_REFUSALS: [&str; 2] = ["invalid_client", "unauthorized_client"];

/// Until when a caller that must answer by `answer_by` may wait for another's refresh or start
/// its own: a refresh started then ends (outbound HTTP timeout) with [`ANSWER_RESERVE`] to spare.
pub fn start_by(ctx: &OAuthContext, answer_by: Instant) -> Instant {
    let keep = ctx.settings.timeouts.total + ANSWER_RESERVE;
    answer_by.checked_sub(keep).unwrap_or_else(Instant::now)
}

/// A usable access token.
pub struct FreshToken {
    pub access_token: SecretString,
    pub token_type: String,
    pub expires_at: Option<Epoch>,
    pub scopes: Vec<String>,
    /// Which token this is: the `ETag` of `GET /tokens/{tag}`.
    pub version: TokenVersion,
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
    /// The token expired (or was rejected) and the provider cannot be reached now.
    #[error("the provider is unavailable and the token has expired: {0}")]
    Unavailable(String),
    /// The provider refuses the client's own credentials: an operator must fix the client.
    #[error(
        "the provider refused client {client_id} itself ({code}); check its secret and registration"
    )]
    ClientRejected { client_id: ClientId, code: String },
    /// Another caller's refresh did not end within the time this caller has.
    #[error("the token is being refreshed by another caller; try again")]
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

/// Seconds a caller is asked to wait when another caller's refresh did not end in time.
pub const BUSY_RETRY_AFTER: u64 = 2;

/// An unknown tag is a 404; a token the provider refused to refresh is the one 409
/// `reauthorization_required`, which says how to make the new connection; no usable token now is
/// a 503 with `Retry-After`; a client the provider refuses is a 502 naming the client.
impl ResponseError for RefreshError {
    fn answer(&self) -> ApiError {
        let message = self.to_string();
        match self {
            RefreshError::NotFound(_) => ApiError::new(404, "not_found").with_message(message),
            RefreshError::ReauthorizationRequired {
                tag,
                client_id,
                scopes,
            } => ApiError::new(409, "reauthorization_required")
                .with_message(message)
                .with_field("tag", tag.as_str())
                // How to make the new connection: a start by a caller with authority (an API
                // token allowed `oauth-start`), whose link the user then opens.
                .with_field(
                    "reauthorize",
                    json!({
                        "method": "POST",
                        "path": "/oauth/start",
                        "body": {"client": client_id, "tag": tag, "scopes": scopes, "replace": true},
                    }),
                ),
            RefreshError::Unavailable(_) => ApiError::new(503, "provider_unavailable")
                .with_message(message)
                .with_retry_after(PROVIDER_RETRY_AFTER),
            RefreshError::ClientRejected { client_id, code } => {
                ApiError::new(502, "client_rejected")
                    .with_message(message)
                    .with_field("client", client_id.as_str())
                    .with_field("provider_error", code.as_str())
            }
            RefreshError::Busy => ApiError::new(503, "refresh_in_progress")
                .with_message(message)
                .with_retry_after(BUSY_RETRY_AFTER),
            RefreshError::OAuth(e) => e.answer(),
        }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// Only when the access token is within its margin (a caller needs a token).
    IfExpiring,
    /// When the record is due (see `StoredToken::due_at`): the scheduled sweep. It leaves a
    /// token another process is refreshing to that process.
    IfDue,
    /// Only while the stored token is still this one (a caller reports it rejected).
    IfStill(TokenVersion),
    /// Now, whatever the expiry or backoff (the admin's `tokens refresh`).
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

/// The client and provider of a record, resolved once per call.
struct Target {
    client: OAuthClient,
    provider: ResolvedProvider,
    /// The provider's configured margin (before the lifetime cap).
    margin: Epoch,
}

impl Target {
    async fn resolve(ctx: &OAuthContext, record: &StoredToken) -> Result<Self, RefreshError> {
        let client = active_client(ctx, record.client_id.as_str()).await?;
        let provider = provider_for(ctx, &client).await?;
        let margin = refresh_margin(&provider);
        Ok(Target {
            client,
            provider,
            margin,
        })
    }

    fn wanted(&self, record: &StoredToken, want: &Want, now: Epoch) -> bool {
        match want {
            Want::Always => true,
            Want::IfExpiring => record.expiring(self.margin, now),
            Want::IfDue => record.due_at.is_some_and(|due| due <= now),
            Want::IfStill(seen) => record.token_version().as_ref() == Some(seen),
        }
    }
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

    /// A usable access token for `tag`, refreshed first when it is within its margin. A record
    /// outside `scope` is answered as no record at all.
    pub async fn fresh_token(
        &self,
        ctx: &OAuthContext,
        tag: &str,
        scope: &Scope,
        start_by: Instant,
    ) -> Result<FreshToken, RefreshError> {
        let (record, _) = self
            .refresh(ctx, tag, scope, Want::IfExpiring, start_by)
            .await?;
        usable(ctx, &record, None).await
    }

    /// For a caller whose access token `seen` was rejected: a refresh when the stored token is
    /// still `seen`, else the newer token that replaced it (no refresh).
    pub async fn replace_token(
        &self,
        ctx: &OAuthContext,
        tag: &str,
        scope: &Scope,
        seen: TokenVersion,
        start_by: Instant,
    ) -> Result<FreshToken, RefreshError> {
        let (record, _) = self
            .refresh(ctx, tag, scope, Want::IfStill(seen.clone()), start_by)
            .await?;
        usable(ctx, &record, Some(&seen)).await
    }

    /// Refreshes `tag` when `want` says so, serialized as the module explains. Returns the record
    /// as it stands afterwards and what was done. Every read sees only records within `scope`
    /// (others are `NotFound`, as an unknown tag is), so nothing outside it is ever refreshed.
    pub async fn refresh(
        &self,
        ctx: &OAuthContext,
        tag: &str,
        scope: &Scope,
        want: Want,
        start_by: Instant,
    ) -> Result<(StoredToken, Outcome), RefreshError> {
        let record = read(ctx, tag, scope).await?;
        if record.status == TokenStatus::ReauthorizationRequired {
            return Ok((record, Outcome::Skipped));
        }
        let mut target = Target::resolve(ctx, &record).await?;
        if !target.wanted(&record, &want, clock::now()) {
            return Ok((record, Outcome::Skipped));
        }
        // The token this caller wants replaced: once another one is stored, it is done.
        let seen = record.token_version();
        let tag_lock = self.tag_lock(tag);
        let Ok(_held) = tokio::time::timeout_at(start_by, tag_lock.lock.lock()).await else {
            return Err(RefreshError::Busy);
        };
        loop {
            let now = clock::now();
            let record = read(ctx, tag, scope).await?;
            if record.status == TokenStatus::ReauthorizationRequired
                || record.token_version() != seen
            {
                return Ok((record, Outcome::Skipped));
            }
            if record.client_id != target.client.id {
                target = Target::resolve(ctx, &record).await?;
            }
            if !target.wanted(&record, &want, now) {
                return Ok((record, Outcome::Skipped));
            }
            if record.leased_by_other(&self.owner, now) {
                if want == Want::IfDue {
                    return Ok((record, Outcome::Skipped));
                }
                if Instant::now() >= start_by {
                    return Err(RefreshError::Busy);
                }
                tokio::time::sleep(POLL).await;
                continue;
            }
            if want != Want::Always && record.backing_off(now) {
                return Ok((record, Outcome::Skipped));
            }
            if Instant::now() >= start_by {
                return Err(RefreshError::Busy);
            }
            // Take the lease: a version-checked write. Losing means someone else changed the
            // record; read again.
            let leased = match ctx
                .app
                .stores
                .tokens
                .update_token(&record.leased(&self.owner, LEASE, now))
                .await
            {
                Ok(leased) => leased,
                Err(StoreError::StaleVersion) => continue,
                Err(e) => return Err(e.into()),
            };
            // Read it back: the lease is ours only while the record shows it. A store whose
            // conditional writes are not atomic (the DynamoDB emulator) can let two writers
            // through; the last one holds the lease and the others wait for it.
            let current = read(ctx, tag, scope).await?;
            if current.version != leased.version
                || current.lease_owner.as_deref() != Some(self.owner.as_str())
            {
                continue;
            }
            let result = call_provider(ctx, &target, &leased).await;
            return finish(ctx, &target, leased, result).await;
        }
    }
}

/// The record under `tag` when there is one within `scope`.
async fn read(ctx: &OAuthContext, tag: &str, scope: &Scope) -> Result<StoredToken, RefreshError> {
    ctx.app
        .stores
        .tokens
        .get_token(tag)
        .await?
        .filter(|r| scope.allows(&r.tag, r.owner.as_deref(), &r.client_id))
        .ok_or_else(|| RefreshError::NotFound(tag.to_string()))
}

/// The record's access token when it can be used: not expired, and not the one a caller reported
/// `rejected`; else why not.
async fn usable(
    ctx: &OAuthContext,
    record: &StoredToken,
    rejected: Option<&TokenVersion>,
) -> Result<FreshToken, RefreshError> {
    if record.status == TokenStatus::ReauthorizationRequired {
        return Err(RefreshError::ReauthorizationRequired {
            tag: record.tag.clone(),
            client_id: record.client_id.clone(),
            scopes: record.scopes.clone(),
        });
    }
    let version = record.token_version();
    let (Some(sealed), Some(version)) = (&record.access_token, version) else {
        return Err(RefreshError::Unavailable(
            "no access token is stored".into(),
        ));
    };
    if record.expired(clock::now()) || rejected == Some(&version) {
        return Err(match &record.error {
            Some(failure) if failure.kind == FailureKind::ClientRejected => {
                RefreshError::ClientRejected {
                    client_id: record.client_id.clone(),
                    code: failure.error.clone(),
                }
            }
            Some(failure) => RefreshError::Unavailable(failure.error.clone()),
            None => RefreshError::Unavailable("the refresh failed".into()),
        });
    }
    let vault = ctx.vault().await?;
    Ok(FreshToken {
        access_token: vault.open(&record.tag, field::ACCESS_TOKEN, sealed)?,
        token_type: record.token_type.clone().unwrap_or_else(|| "Bearer".into()),
        expires_at: record.expires,
        scopes: record.scopes.clone(),
        version,
    })
}

/// A failed attempt: the provider's answer, or a local problem (missing secret, vault).
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error(transparent)]
    Grant(GrantError),
    #[error(transparent)]
    Local(OAuthError),
}

impl From<OAuthError> for AttemptError {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::Grant(g) => AttemptError::Grant(g),
            other => AttemptError::Local(other),
        }
    }
}

/// Runs the refresh (or, for client-credentials records, the grant again).
async fn call_provider(
    ctx: &OAuthContext,
    target: &Target,
    record: &StoredToken,
) -> Result<ProviderTokenResponse, AttemptError> {
    let grant = grant_client(ctx, &target.client, &target.provider, None).await?;
    match &record.refresh_token {
        Some(sealed) => {
            let vault = ctx.vault().await.map_err(OAuthError::from)?;
            let refresh = vault
                .open(&record.tag, field::REFRESH_TOKEN, sealed)
                .map_err(OAuthError::from)?;
            grant.refresh(&refresh).await.map_err(AttemptError::Grant)
        }
        None if record.grant_type == "client_credentials" => grant
            .client_credentials(&record.scopes)
            .await
            .map_err(AttemptError::Grant),
        None => Err(AttemptError::Grant(GrantError::Rejected {
            code: "invalid_grant".into(),
            description: Some("no refresh token is stored".into()),
        })),
    }
}

/// Writes the outcome as the record's transition, which also releases the lease.
async fn finish(
    ctx: &OAuthContext,
    target: &Target,
    mut record: StoredToken,
    result: Result<ProviderTokenResponse, AttemptError>,
) -> Result<(StoredToken, Outcome), RefreshError> {
    let now = clock::now();
    let tag = record.tag.clone();
    let client = &target.client.id;
    let was_failing = record.attempts > 0;
    // What other services hear of it: a recovery, a reauthorization, the first failure of a streak.
    let mut event = None;
    let outcome = match result {
        Ok(response) => {
            let vault = ctx.vault().await?;
            records::apply_response(vault, &mut record, &response, target.margin, now)?;
            tracing::info!(tag = %tag, "token refreshed");
            if was_failing {
                event = Some((EventKind::Recovered, None));
            }
            Outcome::Refreshed
        }
        Err(AttemptError::Grant(GrantError::Rejected { code, description }))
            if code == "invalid_grant" =>
        {
            event = Some((EventKind::ReauthorizationRequired, Some(code.clone())));
            record.needs_reauthorization(code, description, now);
            tracing::warn!(tag = %tag, client = %client, "refresh token refused: reauthorization required");
            Outcome::Failed
        }
        Err(AttemptError::Grant(GrantError::Rejected { code, description }))
            if CLIENT_REFUSALS.contains(&code.as_str()) =>
        {
            tracing::error!(
                tag = %tag,
                client = %client,
                provider = %target.provider.name,
                error = %code,
                "the provider refused the client itself: check the client's secret and its registration at the provider"
            );
            if !was_failing {
                event = Some((EventKind::RefreshFailed, Some(code.clone())));
            }
            record.failed_transiently(FailureKind::ClientRejected, code, description, now);
            Outcome::Failed
        }
        Err(err) => {
            let message = err.to_string();
            let (code, description) = match err {
                AttemptError::Grant(GrantError::Rejected { code, description }) => {
                    (code, description)
                }
                other => (
                    "temporarily_unavailable".to_string(),
                    Some(other.to_string()),
                ),
            };
            if !was_failing {
                event = Some((EventKind::RefreshFailed, Some(code.clone())));
            }
            record.failed_transiently(FailureKind::Transient, code, description, now);
            tracing::warn!(tag = %tag, client = %client, attempts = record.attempts, error = %message, "token refresh failed; backing off");
            Outcome::Failed
        }
    };
    let saved = ctx.app.stores.tokens.update_token(&record).await?;
    if let Some((kind, error)) = event {
        ctx.app
            .events
            .publish(
                Event::connection(kind, &tag, client.as_str(), now)
                    .with_provider(Some(&target.provider.name))
                    .with_owner(saved.owner.as_deref())
                    .with_error(error.as_deref()),
            )
            .await;
    }
    Ok((saved, outcome))
}
