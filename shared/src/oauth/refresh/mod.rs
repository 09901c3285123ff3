//! Keeping tokens usable: [`Refresher::fresh_token`] returns a usable access token for a tag,
//! refreshing it first when it is within its refresh margin (the rule is in
//! [`crate::domain::token_lifecycle`]); [`Refresher::replace_token`] serves a caller whose token
//! was rejected by the resource server.
//!
//! One refresh per expiry. RFC 9700 §4.14: spending a rotated refresh token twice can make the
//! server revoke the whole grant, so refreshes of one token are serialized. A caller that finds the
//! token wanting a refresh notes which token it saw ([`TokenVersion`]), then queues: inside one
//! process on a lock per tag, across processes on the record's lease (a version-checked write with
//! an expiry, taken before the provider is called). Whenever the stored token is no longer the
//! one it saw, another caller refreshed it: it takes that token and never starts a second refresh.
//! Only the lease holder calls the provider.
//!
//! Round trips: a read that needs no refresh reads the record alone (its client is kept by the
//! process, [`crate::oauth::kept_clients`]; the API token's check can run alongside,
//! [`ReadAhead`]). A refresh adds the lease (written against the record as first read, unless the
//! caller waited for its turn in this process) and, after the provider, one write of the outcome
//! that also releases the lease.
//!
//! Waiting is bounded: a caller waits, or starts a refresh, only until its `start_by` instant
//! ([`start_by`]), chosen so that a refresh started then still ends within the outbound HTTP
//! timeout before the caller must answer; past it the answer is [`RefreshError::Busy`]. A refresh
//! in flight is never abandoned: the provider may already have rotated the refresh token.
//!
//! The outcome is written as one of the record's transitions: refreshed, failed transiently
//! (backed off; a refusal of the client itself is logged as a misconfiguration), or needs
//! reauthorization (`invalid_grant`).
//!
//! This file is the order of the steps; each step is a file of its own, called from here only:
//! `ahead.rs` (the record read ahead of the caller's authorization), `lease.rs` (taking turns: the
//! per-tag locks, the record's lease, waiting), `provider.rs` (the record's client and provider,
//! and the call), `outcome.rs` (the record's transition and its event), `fresh.rs` (the answer: a
//! usable token, or why not), and `error.rs`.

use tokio::time::Instant;

use crate::clock::{self, Epoch};
use crate::domain::token::{StoredToken, TokenStatus, TokenVersion};
use crate::domain::{Scope, Tag};
use crate::oauth::context::OAuthContext;

mod ahead;
mod error;
mod fresh;
mod lapse;
mod lease;
mod outcome;
mod provider;

pub use crate::domain::token_lifecycle::{BACKOFF_CAP, BACKOFF_START};
pub use ahead::ReadAhead;
pub use error::RefreshError;
pub use fresh::FreshToken;
pub use lapse::LAPSED;
pub use lease::{LEASE, start_by};
pub use outcome::Outcome;

use lease::TagLocks;
use provider::Target;

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

impl Want {
    /// Whether `record`, whose provider's margin is `margin`, wants a refresh `now`.
    fn wants(&self, record: &StoredToken, margin: Epoch, now: Epoch) -> bool {
        match self {
            Want::Always => true,
            Want::IfExpiring => record.expiring(margin, now),
            Want::IfDue => record.due_at.is_some_and(|due| due <= now),
            Want::IfStill(seen) => record.token_version().as_ref() == Some(seen),
        }
    }
}

/// Serializes refreshes and hands out usable tokens. One per process.
pub struct Refresher {
    /// Whose lease this process takes.
    owner: String,
    locks: TagLocks,
}

impl Default for Refresher {
    fn default() -> Self {
        Refresher {
            owner: uuid::Uuid::new_v4().to_string(),
            locks: TagLocks::default(),
        }
    }
}

impl Refresher {
    /// A usable access token for `tag`, refreshed first when it is within its margin. A record
    /// outside `scope` is answered as no record at all.
    pub async fn fresh_token(
        &self,
        ctx: &OAuthContext,
        tag: &Tag,
        scope: &Scope,
        start_by: Instant,
    ) -> Result<FreshToken, RefreshError> {
        let ahead = ReadAhead::read(ctx, tag).await;
        self.fresh_token_from(ctx, ahead, scope, start_by).await
    }

    /// [`Refresher::fresh_token`] from a record read ahead of the caller's authorization, now
    /// that the caller's `scope` is known.
    pub async fn fresh_token_from(
        &self,
        ctx: &OAuthContext,
        ahead: ReadAhead,
        scope: &Scope,
        start_by: Instant,
    ) -> Result<FreshToken, RefreshError> {
        let record = ahead.within(scope)?;
        let (record, _) = self
            .refresh_from(ctx, record, scope, Want::IfExpiring, start_by)
            .await?;
        fresh::usable(ctx, &record, None).await
    }

    /// For a caller whose access token `seen` was rejected: a refresh when the stored token is
    /// still `seen`, else the newer token that replaced it (no refresh).
    pub async fn replace_token(
        &self,
        ctx: &OAuthContext,
        tag: &Tag,
        scope: &Scope,
        seen: TokenVersion,
        start_by: Instant,
    ) -> Result<FreshToken, RefreshError> {
        let ahead = ReadAhead::read(ctx, tag).await;
        self.replace_token_from(ctx, ahead, scope, seen, start_by)
            .await
    }

    /// [`Refresher::replace_token`] from a record read ahead of the caller's authorization, now
    /// that the caller's `scope` is known.
    pub async fn replace_token_from(
        &self,
        ctx: &OAuthContext,
        ahead: ReadAhead,
        scope: &Scope,
        seen: TokenVersion,
        start_by: Instant,
    ) -> Result<FreshToken, RefreshError> {
        let record = ahead.within(scope)?;
        let (record, _) = self
            .refresh_from(ctx, record, scope, Want::IfStill(seen.clone()), start_by)
            .await?;
        fresh::usable(ctx, &record, Some(&seen)).await
    }

    /// Refreshes `tag` when `want` says so, serialized as the module explains. Returns the record
    /// as it stands afterwards and what was done. Every read sees only records within `scope`
    /// (others are `NotFound`, as an unknown tag is), so nothing outside it is ever refreshed.
    pub async fn refresh(
        &self,
        ctx: &OAuthContext,
        tag: &Tag,
        scope: &Scope,
        want: Want,
        start_by: Instant,
    ) -> Result<(StoredToken, Outcome), RefreshError> {
        let record = lease::read(ctx, tag, scope).await?;
        self.refresh_from(ctx, record, scope, want, start_by).await
    }

    /// [`Refresher::refresh`] of `record`, as just read within `scope`.
    async fn refresh_from(
        &self,
        ctx: &OAuthContext,
        record: StoredToken,
        scope: &Scope,
        want: Want,
        start_by: Instant,
    ) -> Result<(StoredToken, Outcome), RefreshError> {
        let tag = &record.tag.clone();
        if record.status == TokenStatus::ReauthorizationRequired {
            return Ok((record, Outcome::Skipped));
        }
        let mut target = Target::resolve(ctx, &record).await?;
        if record.refresh_token_lapsed(clock::now()) {
            let _turn = self.locks.queue(tag, start_by).await?;
            let record = lease::read(ctx, tag, scope).await?;
            let now = clock::now();
            if record.status == TokenStatus::ReauthorizationRequired
                || !record.refresh_token_lapsed(now)
                || record.leased_by_other(&self.owner, now)
            {
                return Ok((record, Outcome::Skipped));
            }
            let saved = lapse::lapsed(ctx, &target, record, now).await?;
            return Ok((saved, Outcome::Failed));
        }
        if !want.wants(&record, target.margin, clock::now()) {
            return Ok((record, Outcome::Skipped));
        }
        // The token this caller wants replaced: once another one is stored, it is done.
        let seen = record.token_version();
        let turn = self.locks.queue(tag, start_by).await?;
        // Unless another caller of this process had the turn first (and likely refreshed it), the
        // record as read is the one to lease: the lease's write is version-checked, so a record
        // changed since by another process loses it, and the loop reads it again.
        let mut current = (!turn.waited()).then_some(record);
        loop {
            let now = clock::now();
            let record = match current.take() {
                Some(record) => record,
                None => lease::read(ctx, tag, scope).await?,
            };
            if record.status == TokenStatus::ReauthorizationRequired
                || record.token_version() != seen
            {
                return Ok((record, Outcome::Skipped));
            }
            if record.client_id != target.client.id {
                target = Target::resolve(ctx, &record).await?;
            }
            if !want.wants(&record, target.margin, now) {
                return Ok((record, Outcome::Skipped));
            }
            if record.leased_by_other(&self.owner, now) {
                if want == Want::IfDue {
                    return Ok((record, Outcome::Skipped));
                }
                lease::wait(start_by).await?;
                continue;
            }
            if want != Want::Always && record.backing_off(now) {
                return Ok((record, Outcome::Skipped));
            }
            lease::in_time(start_by)?;
            let Some(leased) = lease::take(ctx, &self.owner, &record, now).await? else {
                continue;
            };
            let result = provider::call(ctx, &target, &leased).await;
            return outcome::finish(ctx, &target, leased, result).await;
        }
    }
}
