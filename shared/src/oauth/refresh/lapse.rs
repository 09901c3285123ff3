//! A refresh token's stated lifetime (the provider's `refreshTokenLifetime`): when it nears its
//! end (within the expiring window) the connection is `expiring` and `connection.expiring` is
//! emitted once; when it has ended the connection needs reauthorization at once, without a call
//! that can only fail. The scheduled sweep looks at such records at least daily
//! ([`StoredToken::due_at`]), so time passing is noticed there.

use super::error::RefreshError;
use super::provider::Target;
use crate::clock::Epoch;
use crate::domain::token::StoredToken;
use crate::events::{Event, EventKind};
use crate::oauth::context::OAuthContext;

/// The error a lapsed refresh token is recorded with.
pub const LAPSED: &str = "refresh_token_expired";

/// Marks `record`, whose refresh token has lapsed, as needing reauthorization, and says so.
pub(super) async fn lapsed(
    ctx: &OAuthContext,
    target: &Target,
    mut record: StoredToken,
    now: Epoch,
) -> Result<StoredToken, RefreshError> {
    record.needs_reauthorization(
        LAPSED.into(),
        Some("the refresh token's lifetime has ended; connect again".into()),
        now,
    );
    let saved = ctx.app.stores.tokens.update_token(&record).await?;
    tracing::warn!(tag = %saved.tag, client = %saved.client_id, "the refresh token's lifetime ended: reauthorization required");
    publish(
        ctx,
        target,
        &saved,
        EventKind::ReauthorizationRequired,
        Some(LAPSED),
        now,
    )
    .await;
    Ok(saved)
}

/// Notes whether `record`'s refresh token ends within the expiring window (the caller saves
/// it); `true` the first time it does, when the caller publishes `connection.expiring`.
pub(super) fn announce(ctx: &OAuthContext, record: &mut StoredToken, now: Epoch) -> bool {
    let window = ctx.settings.expiring_window.as_secs() as Epoch;
    let announce = record.note_refresh_expiry(window, now);
    if announce {
        tracing::info!(tag = %record.tag, client = %record.client_id, expires = ?record.refresh_expires, "the refresh token ends soon: connection expiring");
    }
    announce
}

/// Publishes `kind` about `record`.
pub(super) async fn publish(
    ctx: &OAuthContext,
    target: &Target,
    record: &StoredToken,
    kind: EventKind,
    error: Option<&str>,
    now: Epoch,
) {
    ctx.app
        .events
        .publish(
            Event::connection(kind, &record.tag, &record.client_id, now)
                .with_provider(Some(&target.provider.name))
                .with_owner(record.owner.as_ref())
                .with_connection_values(&record.metadata, record.refresh_expires)
                .with_error(error),
        )
        .await;
}
