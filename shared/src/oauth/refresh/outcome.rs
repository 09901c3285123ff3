//! What a refresh attempt writes: the provider's answer becomes one of the record's transitions
//! (refreshed; failed transiently and backed off, a refusal of the client itself logged as a
//! misconfiguration; or needs reauthorization on `invalid_grant`), saved with the lease released,
//! and what other services hear of it.

use super::error::RefreshError;
use super::lapse;
use super::provider::{AttemptError, Target};
use crate::clock;
use crate::domain::token::{FailureKind, StoredToken};
use crate::events::{Event, EventKind};
use crate::oauth::context::OAuthContext;
use crate::oauth::grant::GrantError;
use crate::oauth::token_response::ProviderTokenResponse;
use crate::oauth::{recapture, records};

/// The RFC 6749 §5.2 codes by which a provider refuses the client itself, not the grant.
const CLIENT_REFUSALS: [&str; 2] = ["invalid_client", "unauthorized_client"];

/// What a refresh attempt did, for the sweep's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Refreshed,
    /// Nothing to do: fresh already, refreshed by another caller, or backing off.
    Skipped,
    Failed,
}

/// Writes the outcome as the record's transition, which also releases the lease.
pub(super) async fn finish(
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
    let mut expiring = false;
    let outcome = match result {
        Ok(response) => {
            let keys = ctx.keyring().await?.sealing().await?;
            records::apply_response(&keys, &mut record, &response, &target.lifetimes, now)?;
            recapture::keep_refreshed(&keys, &mut record, &target.provider, &response)?;
            tracing::info!(tag = %tag, "token refreshed");
            expiring = lapse::announce(ctx, &mut record, now);
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
    if expiring {
        lapse::publish(
            ctx,
            target,
            &saved,
            EventKind::ConnectionExpiring,
            None,
            now,
        )
        .await;
    }
    if let Some((kind, error)) = event {
        ctx.app
            .events
            .publish(
                Event::connection(kind, &tag, client, now)
                    .with_provider(Some(&target.provider.name))
                    .with_owner(saved.owner.as_ref())
                    .with_connection_values(&saved.metadata, saved.refresh_expires)
                    .with_error(error.as_deref()),
            )
            .await;
    }
    Ok((saved, outcome))
}
