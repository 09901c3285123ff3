//! Taking turns, so that only one caller refreshes a tag at a time: inside one process its callers
//! queue on the tag's lock ([`TagLocks`]); across processes, on the record's lease, a
//! version-checked write with an expiry ([`take`], or [`take_known`] for a record this process
//! knows is due without reading it), before the provider is called. A caller waits,
//! polling the record while another process holds the lease ([`wait`]), only until its
//! [`start_by`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio::time::Instant;

use super::error::RefreshError;
use super::hints::DueHint;
use crate::clock::Epoch;
use crate::deadline::ANSWER_RESERVE;
use crate::domain::token::StoredToken;
use crate::domain::{Scope, Tag};
use crate::oauth::context::OAuthContext;
use crate::oauth::records;
use crate::store::{LeaseAttempt, StoreError};

/// How long a lease holds when its holder never releases it (longer than a refresh can take).
pub const LEASE: Epoch = 30;
/// How often a caller waiting for another process's refresh reads the record again.
const POLL: Duration = Duration::from_millis(100);

/// Until when a caller that must answer by `answer_by` may wait for another's refresh or start
/// its own: a refresh started then ends (outbound HTTP timeout) with [`ANSWER_RESERVE`] to spare.
pub fn start_by(ctx: &OAuthContext, answer_by: Instant) -> Instant {
    let keep = ctx.settings.timeouts.total + ANSWER_RESERVE;
    answer_by.checked_sub(keep).unwrap_or_else(Instant::now)
}

/// The lock of each tag that some caller of this process holds or waits for.
#[derive(Default)]
pub(super) struct TagLocks(Mutex<HashMap<Tag, Arc<AsyncMutex<()>>>>);

impl TagLocks {
    /// Waits for `tag`'s turn; [`RefreshError::Busy`] when it does not come by `start_by`.
    pub async fn queue(&self, tag: &Tag, start_by: Instant) -> Result<Turn<'_>, RefreshError> {
        let lock = self
            .0
            .lock()
            .map(|mut locks| locks.entry(tag.clone()).or_default().clone())
            .unwrap_or_default();
        let mut turn = Turn {
            locks: self,
            tag: tag.clone(),
            lock,
            held: None,
            waited: false,
        };
        let held = match turn.lock.clone().try_lock_owned() {
            Ok(held) => held,
            Err(_) => {
                turn.waited = true;
                tokio::time::timeout_at(start_by, turn.lock.clone().lock_owned())
                    .await
                    .map_err(|_| RefreshError::Busy)?
            }
        };
        turn.held = Some(held);
        Ok(turn)
    }
}

/// A caller's turn at a tag's lock (or its wait for it). The tag leaves the map when its last
/// caller lets go.
pub(super) struct Turn<'a> {
    locks: &'a TagLocks,
    tag: Tag,
    lock: Arc<AsyncMutex<()>>,
    held: Option<OwnedMutexGuard<()>>,
    /// Whether another caller of this process held the tag when this one queued.
    waited: bool,
}

impl Turn<'_> {
    /// Whether this caller waited for another caller of this process to let go of the tag (which
    /// may have changed the record meanwhile).
    pub fn waited(&self) -> bool {
        self.waited
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.held.take());
        if let Ok(mut locks) = self.locks.0.lock()
            && Arc::strong_count(&self.lock) <= 2
        {
            locks.remove(&self.tag);
        }
    }
}

/// The record under `tag` when there is one within `scope` (others are `NotFound`, as an unknown
/// tag is), as the caller reads it again at each turn.
pub(super) async fn read(
    ctx: &OAuthContext,
    tag: &Tag,
    scope: &Scope,
) -> Result<StoredToken, RefreshError> {
    records::read_within(ctx.app.stores.tokens.as_ref(), tag, scope)
        .await?
        .ok_or_else(|| RefreshError::NotFound(tag.clone()))
}

/// One poll's wait for another process's lease to end; [`RefreshError::Busy`] once `start_by`
/// has passed.
pub(super) async fn wait(start_by: Instant) -> Result<(), RefreshError> {
    in_time(start_by)?;
    tokio::time::sleep(POLL).await;
    Ok(())
}

/// [`RefreshError::Busy`] once `start_by` has passed: no refresh starts after it.
pub(super) fn in_time(start_by: Instant) -> Result<(), RefreshError> {
    if Instant::now() >= start_by {
        return Err(RefreshError::Busy);
    }
    Ok(())
}

/// Takes the lease of `record` for `owner`: one version-checked write, which only one writer of
/// a version wins (both stores check and write atomically, and so does the tests' emulator,
/// `infra/moto-server.py`). `None` when another caller changed the record first: read it again.
pub(super) async fn take(
    ctx: &OAuthContext,
    owner: &str,
    record: &StoredToken,
    now: Epoch,
) -> Result<Option<StoredToken>, RefreshError> {
    match ctx
        .app
        .stores
        .tokens
        .update_token(&record.leased(owner, LEASE, now))
        .await
    {
        Ok(leased) => Ok(Some(leased)),
        Err(StoreError::StaleVersion) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Takes the lease of the record [`DueHint`] names, without reading it first: one write
/// conditioned on the record (connection and version) this process last served, which answers the record as it is when
/// it has changed since ([`LeaseAttempt::Lost`]).
pub(super) async fn take_known(
    ctx: &OAuthContext,
    owner: &str,
    due: &DueHint,
    now: Epoch,
) -> Result<LeaseAttempt, RefreshError> {
    Ok(ctx
        .app
        .stores
        .tokens
        .lease_token(&due.seen, owner, now + LEASE)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(raw: &str) -> Tag {
        Tag::parse(raw).unwrap()
    }

    fn tags(locks: &TagLocks) -> Vec<Tag> {
        let mut tags: Vec<Tag> = locks
            .0
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        tags.sort();
        tags
    }

    #[tokio::test]
    async fn one_caller_of_a_tag_at_a_time_and_busy_past_its_start_by() {
        let locks = TagLocks::default();
        let later = Instant::now() + Duration::from_secs(30);
        let first = locks.queue(&tag("t"), later).await.expect("the first turn");
        let soon = Instant::now() + Duration::from_millis(20);
        assert!(matches!(
            locks.queue(&tag("t"), soon).await,
            Err(RefreshError::Busy)
        ));
        let other = locks
            .queue(&tag("u"), later)
            .await
            .expect("another tag's turn");
        assert_eq!(tags(&locks), ["t", "u"]);
        drop(other);
        assert_eq!(tags(&locks), ["t"], "a tag nobody holds leaves the map");
        drop(first);
        assert!(tags(&locks).is_empty());
    }

    #[tokio::test]
    async fn a_waiting_caller_keeps_the_tag_and_gets_the_next_turn() {
        let locks = TagLocks::default();
        let later = Instant::now() + Duration::from_secs(30);
        let t = tag("t");
        let first = locks.queue(&t, later).await.expect("the first turn");
        assert!(!first.waited(), "the first caller did not wait");
        let (second, ()) = tokio::join!(locks.queue(&t, later), async move {
            tokio::task::yield_now().await;
            drop(first);
        });
        let second = second.expect("the second turn once the first let go");
        assert!(
            second.waited(),
            "the second caller waited: the record may have changed meanwhile"
        );
        assert_eq!(
            tags(&locks),
            ["t"],
            "the waiter's tag stays while it holds it"
        );
        drop(second);
        assert!(tags(&locks).is_empty());
    }
}
