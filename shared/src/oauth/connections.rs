//! Ending connections: a token record deleted is revoked at its provider first (RFC 7009), and a
//! client is deleted only with its connections, never leaving them orphaned.

use super::context::OAuthContext;
use super::revocation::{Revoked, revoke_record};
use crate::clients::{ClientAdmin, ClientAdminError};
use crate::domain::{ClientId, StoredToken};
use crate::store::{PageRequest, StoreError};

/// Why a client could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteClientError {
    /// The client still has token records and the caller did not say to remove them.
    #[error(
        "client {client:?} still has {count} token record(s) ({tags}); delete them first or pass --with-tokens to revoke and delete them"
    )]
    HasTokens {
        client: String,
        count: usize,
        tags: String,
    },
    #[error(transparent)]
    Clients(#[from] ClientAdminError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every token record of `client`, following the pages.
pub async fn records_of(
    ctx: &OAuthContext,
    client: &ClientId,
) -> Result<Vec<StoredToken>, StoreError> {
    let mut found = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let got = ctx.app.stores.tokens.list_tokens(&page).await?;
        found.extend(got.items.into_iter().filter(|t| &t.client_id == client));
        match got.next {
            Some(next) => page.after = Some(next),
            None => return Ok(found),
        }
    }
}

/// Revokes the record's grant at the provider (best effort), then deletes the record. `None`
/// when there was no record under `tag`.
pub async fn delete_connection(
    ctx: &OAuthContext,
    tag: &str,
) -> Result<Option<Revoked>, StoreError> {
    let Some(record) = ctx.app.stores.tokens.get_token(tag).await? else {
        return Ok(None);
    };
    let revoked = revoke_record(ctx, &record).await;
    if !ctx.app.stores.tokens.delete_token(tag).await? {
        return Ok(None);
    }
    tracing::info!(%tag, client = %record.client_id, "connection deleted");
    Ok(Some(revoked))
}

/// Deletes client `id` and its secret. With token records left it refuses, unless `with_tokens`,
/// which revokes and deletes them first. Answers the tags removed; `NotFound` when there is no
/// such client.
pub async fn delete_client(
    ctx: &OAuthContext,
    id: &str,
    with_tokens: bool,
) -> Result<Vec<String>, DeleteClientError> {
    let admin = ClientAdmin {
        app: &ctx.app,
        providers: &ctx.providers,
    };
    let client = admin.get(id).await?;
    let records = records_of(ctx, &client.id).await?;
    if !records.is_empty() && !with_tokens {
        return Err(DeleteClientError::HasTokens {
            client: id.to_string(),
            count: records.len(),
            tags: records
                .iter()
                .map(|r| r.tag.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut removed = Vec::new();
    for record in records {
        if delete_connection(ctx, &record.tag).await?.is_some() {
            removed.push(record.tag);
        }
    }
    if !admin.delete(id).await? {
        return Err(ClientAdminError::NotFound(id.to_string()).into());
    }
    Ok(removed)
}
