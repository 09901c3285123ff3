//! Reading a tag's record before its caller is known to be allowed it, so that the read and the
//! API token's check take one round trip ([`ReadAhead`]). Nothing read ahead is answered, or
//! looked at, until the caller's scope is known: a refused caller's answer is the refusal alone.

use super::error::RefreshError;
use crate::domain::token::StoredToken;
use crate::domain::{Scope, Tag};
use crate::oauth::context::OAuthContext;
use crate::store::StoreError;

/// The record under a tag as read, not yet looked at: [`ReadAhead::within`] hands it over for a
/// caller's scope. [`ReadAhead::ready`] reads its client and keys into the process's copies, so
/// that a cold process can read them alongside other work (the API token's `last_used` write).
pub struct ReadAhead {
    tag: Tag,
    read: Result<Option<StoredToken>, StoreError>,
}

impl ReadAhead {
    /// Reads the record under `tag`. It only reads: a caller that turns out refused drops it,
    /// finished or not.
    pub async fn read(ctx: &OAuthContext, tag: &Tag) -> Self {
        ReadAhead {
            tag: tag.clone(),
            read: ctx.app.stores.tokens.get_token(tag).await,
        }
    }

    /// Reads the record's client and the key version of its access token into this process's
    /// copies (kept for their cache periods), together; nothing when there is no record. Their
    /// failures are not this read's: the caller meets them again, and answers them, when it uses
    /// the client and keys.
    pub async fn ready(self, ctx: &OAuthContext) -> Self {
        if let Ok(Some(record)) = &self.read {
            ready(ctx, record).await;
        }
        self
    }

    /// The record, when there is one within `scope` (others are `NotFound`, as an unknown tag
    /// is); the read's failure, when it failed.
    pub fn within(self, scope: &Scope) -> Result<StoredToken, RefreshError> {
        self.read?
            .filter(|r| scope.allows(&r.tag, r.owner.as_ref(), &r.client_id))
            .ok_or(RefreshError::NotFound(self.tag))
    }
}

/// [`ReadAhead::ready`] of `record`.
async fn ready(ctx: &OAuthContext, record: &StoredToken) {
    let client = async {
        if let Err(e) = ctx.kept_client(&record.client_id).await {
            tracing::debug!(error = %e, "the record's client was not read ahead");
        }
    };
    let keys = async {
        let Some(sealed) = &record.access_token else {
            return;
        };
        let ready = match ctx.keyring().await {
            Ok(keyring) => keyring.keys_for([sealed]).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = ready {
            tracing::debug!(error = %e, "the record's keys were not read ahead");
        }
    };
    tokio::join!(client, keys);
}
