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
//! that also releases the lease: three round trips. A process that has served the tag knows when
//! it falls due (`hints.rs`: the record's version and refresh time, never a token); a read of a
//! tag it knows is due ([`Refresher::due`]) takes the lease without reading the record
//! ([`Refresher::fresh_token_due`]): one write conditioned on that version, which answers the
//! record as it is when it has changed since (then the steps go on from that record, as from a
//! read). Two round trips, plus the provider.
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
//! usable token, or why not), `hints.rs` (what the process knows of the records it served), and
//! `error.rs`.

use tokio::time::Instant;

use crate::clock::{self, Epoch};
use crate::domain::token::{StoredToken, TokenStatus, TokenVersion};
use crate::domain::{Scope, Tag};
use crate::oauth::context::OAuthContext;

mod ahead;
mod error;
mod fresh;
mod hints;
mod lapse;
mod lease;
mod outcome;
mod provider;

pub use crate::domain::token_lifecycle::{BACKOFF_CAP, BACKOFF_START};
pub use ahead::ReadAhead;
pub use error::RefreshError;
pub use fresh::FreshToken;
pub use hints::DueHint;
pub use lapse::LAPSED;
pub use lease::{LEASE, start_by};
pub use outcome::Outcome;

use crate::store::LeaseAttempt;
use hints::Hints;
use lease::TagLocks;
use provider::Target;

/// What a refresh's steps end with: the record as it stands afterwards, what was done, and the
/// provider's margin when it was resolved (for the process's hints).
type Steps = (StoredToken, Outcome, Option<Epoch>);

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
    hints: Hints,
}

impl Default for Refresher {
    fn default() -> Self {
        Refresher {
            owner: uuid::Uuid::new_v4().to_string(),
            locks: TagLocks::default(),
            hints: Hints::default(),
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

    /// Whether this process knows that `tag`'s token is due now for a caller within `scope`: it
    /// served the record, and as it was then it wants a refresh by now (its access token within
    /// the provider's margin, no lease or backoff left, its refresh token not lapsed). `None`
    /// when it does not know: read the record first ([`ReadAhead`]).
    pub fn due(&self, tag: &Tag, scope: &Scope) -> Option<DueHint> {
        self.hints.due(tag, scope, clock::now())
    }

    /// [`Refresher::fresh_token`] of a tag this process knows is due ([`Refresher::due`]), for a
    /// caller within `scope`: the lease is taken first, without reading the record, by a write
    /// conditioned on the version the process served. Won, the provider is called and the
    /// outcome saved: two round trips. Lost, the write answered the record as it is (refreshed by
    /// another caller, leased by another process, changed otherwise), and the refresh goes on
    /// from it as from a read, with the same guarantees.
    pub async fn fresh_token_due(
        &self,
        ctx: &OAuthContext,
        due: DueHint,
        scope: &Scope,
        start_by: Instant,
    ) -> Result<FreshToken, RefreshError> {
        let tag = due.seen.tag.clone();
        let result = self.refresh_due(ctx, due, scope, start_by).await;
        let (record, _) = self.noted(&tag, result)?;
        fresh::usable(ctx, &record, None).await
    }

    /// [`Refresher::fresh_token_due`]'s refresh, as [`Refresher::steps`] answers.
    async fn refresh_due(
        &self,
        ctx: &OAuthContext,
        due: DueHint,
        scope: &Scope,
        start_by: Instant,
    ) -> Result<Steps, RefreshError> {
        let Ok(target) = Target::of_client(ctx, &due.client_id).await else {
            // Answered as after a read, from the record as it is (which may say more).
            let record = lease::read(ctx, &due.seen.tag, scope).await?;
            return self
                .steps(ctx, record, scope, Want::IfExpiring, start_by)
                .await;
        };
        let turn = self.locks.queue(&due.seen.tag, start_by).await?;
        // Known only while nothing changed: when another caller of this process had the turn
        // first (and likely refreshed it), or the provider's margin is another now, read it.
        let current = if turn.waited() || target.margin != due.margin {
            None
        } else {
            lease::in_time(start_by)?;
            match lease::take_known(ctx, &self.owner, &due, clock::now()).await? {
                LeaseAttempt::Won(leased) => {
                    let result = provider::call(ctx, &target, &leased).await;
                    let (saved, outcome) = outcome::finish(ctx, &target, leased, result).await?;
                    return Ok((saved, outcome, Some(target.margin)));
                }
                LeaseAttempt::Lost(None) => return Err(RefreshError::NotFound(due.seen.tag)),
                LeaseAttempt::Lost(Some(current)) => Some(current),
            }
        };
        drop(turn);
        let record = match current {
            Some(r) if scope.allows(&r.tag, r.owner.as_ref(), &r.client_id) => r,
            Some(_) => return Err(RefreshError::NotFound(due.seen.tag)),
            None => lease::read(ctx, &due.seen.tag, scope).await?,
        };
        self.steps(ctx, record, scope, Want::IfExpiring, start_by)
            .await
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

    /// [`Refresher::refresh`] of `record`, as just read within `scope`; what it ends with is
    /// noted in the process's hints.
    async fn refresh_from(
        &self,
        ctx: &OAuthContext,
        record: StoredToken,
        scope: &Scope,
        want: Want,
        start_by: Instant,
    ) -> Result<(StoredToken, Outcome), RefreshError> {
        let tag = record.tag.clone();
        let result = self.steps(ctx, record, scope, want, start_by).await;
        self.noted(&tag, result)
    }

    /// Notes the record a refresh of `tag` ended with in the process's hints (forgets the tag
    /// when it failed), and hands the result on.
    fn noted(
        &self,
        tag: &Tag,
        result: Result<Steps, RefreshError>,
    ) -> Result<(StoredToken, Outcome), RefreshError> {
        match result {
            Ok((record, outcome, margin)) => {
                match margin {
                    Some(margin) => self.hints.note(&record, margin),
                    None => self.hints.forget(tag),
                }
                Ok((record, outcome))
            }
            Err(e) => {
                self.hints.forget(tag);
                Err(e)
            }
        }
    }

    /// The steps of [`Refresher::refresh_from`]: the record as it stands afterwards, what was
    /// done, and the provider's margin when it was resolved.
    async fn steps(
        &self,
        ctx: &OAuthContext,
        record: StoredToken,
        scope: &Scope,
        want: Want,
        start_by: Instant,
    ) -> Result<Steps, RefreshError> {
        let tag = &record.tag.clone();
        if record.status == TokenStatus::ReauthorizationRequired {
            return Ok((record, Outcome::Skipped, None));
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
                return Ok((record, Outcome::Skipped, Some(target.margin)));
            }
            let saved = lapse::lapsed(ctx, &target, record, now).await?;
            return Ok((saved, Outcome::Failed, Some(target.margin)));
        }
        if !want.wants(&record, target.margin, clock::now()) {
            return Ok((record, Outcome::Skipped, Some(target.margin)));
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
                return Ok((record, Outcome::Skipped, Some(target.margin)));
            }
            if record.client_id != target.client.id {
                target = Target::resolve(ctx, &record).await?;
            }
            if !want.wants(&record, target.margin, now) {
                return Ok((record, Outcome::Skipped, Some(target.margin)));
            }
            if record.leased_by_other(&self.owner, now) {
                if want == Want::IfDue {
                    return Ok((record, Outcome::Skipped, Some(target.margin)));
                }
                lease::wait(start_by).await?;
                continue;
            }
            if want != Want::Always && record.backing_off(now) {
                return Ok((record, Outcome::Skipped, Some(target.margin)));
            }
            lease::in_time(start_by)?;
            let Some(leased) = lease::take(ctx, &self.owner, &record, now).await? else {
                continue;
            };
            let result = provider::call(ctx, &target, &leased).await;
            let (saved, outcome) = outcome::finish(ctx, &target, leased, result).await?;
            return Ok((saved, outcome, Some(target.margin)));
        }
    }
}
