//! Writing a connection: the one rule every path that makes a token record follows (the end of the
//! authorization-code flow, the client-credentials and password grants, the CLI).
//!
//! - A tag that holds a record is replaced only when the request says `replace`. Otherwise the
//!   write is refused with [`OAuthError::ConnectionExists`] (`connection_exists`) and the
//!   stored record is untouched. The check that decides is the store's conditional create, which is
//!   atomic: of two writers racing for a free tag, one wins. (A path may also read first, to refuse
//!   before a grant is spent at the provider; that read alone decides nothing.)
//! - A writer that lost the tag releases the grant it just got, so nothing stays orphaned at the
//!   provider ([`release_grant`]: revoked, unless the record that won holds the same account).
//! - A replace keeps the record's attribution ([`records::replace`]: `created_by` is who replaced
//!   it, the owner is kept unless the request names one), releases the old grant, and emits
//!   `connection.replaced` saying what became of it; a new record emits `connection.created`.

use super::context::OAuthContext;
use super::error::OAuthError;
use super::records::{self, Written};
use super::revocation::{Released, release_grant};
use crate::clock;
use crate::domain::{StoredToken, Tag};
use crate::events::{Event, EventKind};
use crate::store::StoreError;

/// A stored connection.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The record as stored.
    pub record: StoredToken,
    /// When it replaced a record: what became of that record's grant.
    pub replaced: Option<Released>,
}

/// Stores `record` under its tag by the rule above; `replace` is what the request said and
/// `provider` names the client's provider in the event.
pub async fn store(
    ctx: &OAuthContext,
    record: StoredToken,
    replace: bool,
    provider: &str,
) -> Result<Connected, OAuthError> {
    let tokens = ctx.app.stores.tokens.as_ref();
    let written = if replace {
        records::replace(tokens, record).await?
    } else {
        match records::create(tokens, record.clone()).await {
            Ok(saved) => Written {
                saved,
                previous: None,
            },
            Err(StoreError::AlreadyExists(_)) => return Err(lost_tag(ctx, record).await),
            Err(e) => return Err(e.into()),
        }
    };
    let (record, replaced) = match written {
        Written {
            saved,
            previous: None,
        } => {
            tracing::info!(tag = %saved.tag, client = %saved.client_id, grant_type = %saved.grant_type, "connection created");
            (saved, None)
        }
        Written {
            saved,
            previous: Some(previous),
        } => {
            let released = release_grant(ctx, &previous, Some(&saved)).await;
            tracing::info!(
                tag = %saved.tag,
                client = %saved.client_id,
                grant_type = %saved.grant_type,
                old_client = %previous.client_id,
                old_grant = released.name(),
                held_by = released.held_by().map_or("-", Tag::as_str),
                "connection replaced"
            );
            (saved, Some(released))
        }
    };
    let mut event = match &replaced {
        None => Event::connection(
            EventKind::ConnectionCreated,
            &record.tag,
            &record.client_id,
            clock::now(),
        ),
        Some(released) => Event::connection(
            EventKind::ConnectionReplaced,
            &record.tag,
            &record.client_id,
            clock::now(),
        )
        .with_grant(released.name(), released.held_by()),
    };
    event = event
        .with_provider(Some(provider))
        .with_connection_values(&record.metadata, record.refresh_expires)
        .with_owner(record.owner.as_ref())
        .with_actor(record.created_by.as_deref());
    ctx.app.events.publish(event).await;
    Ok(Connected { record, replaced })
}

/// The tag was taken between the caller's check and its write: the new grant is released (the
/// record that won may hold the same account) and the write refused.
async fn lost_tag(ctx: &OAuthContext, record: StoredToken) -> OAuthError {
    let released = match ctx.app.stores.tokens.get_token(&record.tag).await {
        Ok(winner) => release_grant(ctx, &record, winner.as_ref()).await,
        Err(e) => {
            // Without the winner, its account is unknown: keeping the grant breaks nothing.
            tracing::warn!(tag = %record.tag, error = %e, "reading the connection that took the tag failed; the new grant is not revoked");
            Released::NotRevoked
        }
    };
    tracing::warn!(
        tag = %record.tag,
        client = %record.client_id,
        new_grant = released.name(),
        held_by = released.held_by().map_or("-", Tag::as_str),
        "the tag holds another connection; the new one is not stored"
    );
    OAuthError::ConnectionExists(record.tag)
}
