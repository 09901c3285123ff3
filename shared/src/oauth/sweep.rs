//! The scheduled sweep: finds the token records that are due through the `due` index (never a
//! scan), refreshes them with bounded concurrency, and stops starting new work in time to finish
//! inside the function's timeout, leaving the rest to the next run. With time left, it re-seals
//! a bounded number of records under the newest key version (`AUTHBRIDGE_RESEAL_BATCH`, see
//! [`crate::keys::reseal`]), going on where the previous run stopped.

use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use tokio::time::Instant;

use super::context::OAuthContext;
use super::refresh::{Outcome, Refresher, Want};
use crate::clock;
use crate::domain::{Scope, Tag};
use crate::store::PageRequest;

/// Default number of refreshes in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How a sweep runs.
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    pub concurrency: usize,
    /// No refresh starts after this instant.
    pub stop_at: Instant,
    /// Records read per index query.
    pub page_size: u32,
}

impl SweepOptions {
    /// Options for a run that must end within `budget`, keeping `reserve` for refreshes in flight.
    pub fn within(budget: Duration, reserve: Duration, concurrency: usize) -> Self {
        SweepOptions {
            concurrency: concurrency.max(1),
            stop_at: Instant::now() + budget.saturating_sub(reserve),
            page_size: 100,
        }
    }
}

/// What one sweep did; logged as one line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// Records the index queries returned.
    pub read: u64,
    pub refreshed: u64,
    pub failed: u64,
    /// Not refreshed: fresh already, refreshed by another caller, backing off, or needing the user.
    pub skipped: u64,
    /// Due, but left to the next run because time ran out.
    pub deferred: u64,
    /// Records re-sealed under the newest key version.
    pub resealed: u64,
}

/// Runs one sweep.
pub async fn sweep(
    ctx: &OAuthContext,
    refresher: &Refresher,
    options: SweepOptions,
) -> SweepSummary {
    let mut summary = SweepSummary::default();
    let now = clock::now();
    let mut page = PageRequest::first(options.page_size);
    loop {
        let due = match ctx.app.stores.tokens.due_tokens(now, &page).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "reading the due tokens failed");
                break;
            }
        };
        summary.read += due.items.len() as u64;
        let tags: Vec<Tag> = due.items.into_iter().map(|t| t.tag).collect();
        let outcomes: Vec<Option<Outcome>> = futures::stream::iter(tags)
            .map(|tag| async move {
                if Instant::now() >= options.stop_at {
                    return None;
                }
                Some(
                    match refresher
                        .refresh(
                            ctx,
                            &tag,
                            &Scope::everything(),
                            Want::IfDue,
                            options.stop_at,
                        )
                        .await
                    {
                        Ok((_, outcome)) => outcome,
                        Err(e) => {
                            tracing::warn!(tag = %tag, error = %e, "sweep: refresh failed");
                            Outcome::Failed
                        }
                    },
                )
            })
            .buffer_unordered(options.concurrency)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                Some(Outcome::Refreshed) => summary.refreshed += 1,
                Some(Outcome::Failed) => summary.failed += 1,
                Some(Outcome::Skipped) => summary.skipped += 1,
                None => summary.deferred += 1,
            }
        }
        match due.next {
            Some(next) if Instant::now() < options.stop_at => page.after = Some(next),
            _ => break,
        }
    }
    if Instant::now() < options.stop_at {
        summary.resealed = reseal(ctx, now).await;
    }
    tracing::info!(
        read = summary.read,
        refreshed = summary.refreshed,
        failed = summary.failed,
        skipped = summary.skipped,
        deferred = summary.deferred,
        resealed = summary.resealed,
        "token sweep finished"
    );
    summary
}

/// One batch of the re-seal pass under the newest key version; the records re-sealed. A failure
/// is logged and left to the next run: the records keep opening under their own version.
async fn reseal(ctx: &OAuthContext, now: clock::Epoch) -> u64 {
    let batch = ctx.app.config.keys.reseal_batch;
    if batch == 0 {
        return 0;
    }
    let keyring = match ctx.keyring().await {
        Ok(keyring) => keyring,
        Err(e) => {
            tracing::error!(error = %e, "sweep: the keyring is not available; nothing re-sealed");
            return 0;
        }
    };
    match crate::keys::reseal::reseal_next(ctx.app.stores.tokens.as_ref(), keyring, batch, now)
        .await
    {
        Ok(Some(report)) => report.resealed,
        Ok(None) => 0,
        Err(e) => {
            tracing::warn!(error = %e, "sweep: re-sealing failed; the next run goes on");
            0
        }
    }
}
