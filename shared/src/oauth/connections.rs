//! Ending connections: a token record deleted has its grant released at its provider (RFC 7009:
//! revoked, unless another connection holds the same account, see
//! [`super::revocation::release_grant`]), and a client is deleted only with its connections, never
//! leaving them orphaned.

use std::collections::HashMap;

use serde::Serialize;

use super::context::OAuthContext;
use super::revocation::{Released, release_grant};
use crate::clients::{ClientAdmin, ClientAdminError};
use crate::clock::Epoch;
use crate::domain::token::TokenStatus;
use crate::domain::{ClientId, ConnectionFilter, ConnectionStatus, Owner, Scope, StoredToken, Tag};
use crate::events::{Event, EventKind};
use crate::store::{Contention, Page, PageRequest, StoreError, all_pages, retry};

/// A connection as other services see it in a listing: what it is for and whose, never a token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionView {
    pub tag: Tag,
    pub client: ClientId,
    /// The client's provider; `None` when the client is gone.
    pub provider: Option<String>,
    pub scopes: Vec<String>,
    pub status: TokenStatus,
    pub expires_at: Option<Epoch>,
    /// The provider account that granted it.
    pub resource_owner_name: Option<String>,
    /// Whose connection it is, in the caller's terms.
    pub owner: Option<Owner>,
    pub created_by: Option<String>,
    pub created: Epoch,
    /// What the console shows besides (not part of `GET /connections`'s answer).
    #[serde(skip)]
    pub health: ConnectionHealth,
}

/// How a connection is doing: its state and its last refresh and failure.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionHealth {
    pub state: ConnectionStatus,
    /// When the token was last obtained or refreshed.
    pub refreshed_at: Option<Epoch>,
    /// The last failed refresh's error code (and description), when the last attempt failed.
    pub last_error: Option<String>,
    /// When the last refresh failed.
    pub failed_at: Option<Epoch>,
    /// When the refresh token expires, when the provider states its lifetime.
    pub refresh_expires: Option<Epoch>,
    /// The connection's public values (Salesforce's `instance_url`, QuickBooks' `realmId`).
    pub metadata: std::collections::BTreeMap<String, String>,
}

impl ConnectionView {
    /// The view of `record`, whose client's provider is `provider`.
    fn of(record: StoredToken, provider: Option<String>) -> Self {
        let health = ConnectionHealth::of(&record);
        ConnectionView {
            provider,
            tag: record.tag,
            client: record.client_id,
            scopes: record.scopes,
            status: record.status,
            expires_at: record.expires,
            resource_owner_name: record.resource_owner_name,
            owner: record.owner,
            created_by: record.created_by,
            created: record.created,
            health,
        }
    }
}

/// The connection under `tag`, as a listing shows it; `None` when there is none.
pub async fn find_connection(
    ctx: &OAuthContext,
    tag: &Tag,
) -> Result<Option<ConnectionView>, StoreError> {
    let Some(record) = ctx.app.stores.tokens.get_token(tag).await? else {
        return Ok(None);
    };
    let client = ctx.app.stores.clients.get_client(&record.client_id).await?;
    Ok(Some(ConnectionView::of(record, client.map(|c| c.provider))))
}

impl ConnectionHealth {
    fn of(record: &StoredToken) -> Self {
        ConnectionHealth {
            state: record.connection_status(),
            refreshed_at: record.refreshed_at,
            last_error: record.error.as_ref().map(|e| match &e.error_description {
                Some(description) => format!("{}: {description}", e.error),
                None => e.error.clone(),
            }),
            failed_at: record.error.as_ref().map(|e| e.time),
            refresh_expires: record.refresh_expires,
            metadata: record.metadata.clone(),
        }
    }
}

/// Which connections a listing wants, as a person filters them: a provider by name (its clients'
/// connections), a status, an owner, a tag prefix. Empty: every connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionSearch {
    pub owner: Option<Owner>,
    pub status: Option<ConnectionStatus>,
    /// A provider's name (`google`, `test-oidc`).
    pub provider: Option<String>,
    pub tag_prefix: Option<String>,
}

/// One page of the connections within `scope`: of `owner` through the owner index, or all of
/// them (of the scope's one owner, through the same index, when it names exactly one). Records
/// outside the scope are left out, so a page may hold fewer than its limit while `next` is set.
pub async fn list_connections(
    ctx: &OAuthContext,
    owner: Option<&Owner>,
    scope: &Scope,
    page: &PageRequest,
) -> Result<Page<ConnectionView>, StoreError> {
    // A scope of one exact owner lists through the owner index too; a pattern that is no owner
    // matches only records stored under an older rule, which the unfiltered listing finds.
    let scoped = || {
        scope
            .owners
            .single_exact()
            .and_then(|o| Owner::parse(o).ok())
    };
    let search = ConnectionSearch {
        owner: owner.cloned().or_else(scoped),
        ..ConnectionSearch::default()
    };
    find_connections(ctx, &search, scope, page).await
}

/// One page of the connections `search` asks for within `scope`, through the store's indexes
/// (never a scan; [`ConnectionIndex`](crate::store::ConnectionIndex) says which filter reads
/// which index). A provider stands for its clients. Records outside the scope are left out, so
/// a page may hold fewer than its limit while `next` is set.
pub async fn find_connections(
    ctx: &OAuthContext,
    search: &ConnectionSearch,
    scope: &Scope,
    page: &PageRequest,
) -> Result<Page<ConnectionView>, StoreError> {
    let mut providers: HashMap<ClientId, Option<String>> = HashMap::new();
    let clients = match &search.provider {
        Some(provider) => {
            let clients = ctx.app.stores.clients.as_ref();
            let all =
                all_pages(100, |page| async move { clients.list_clients(&page).await }).await?;
            let mut ids = Vec::new();
            for client in all.into_iter().filter(|c| &c.provider == provider) {
                providers.insert(client.id.clone(), Some(client.provider));
                ids.push(client.id);
            }
            Some(ids)
        }
        None => None,
    };
    let filter = ConnectionFilter {
        owner: search.owner.clone(),
        status: search.status,
        clients,
        tag_prefix: search.tag_prefix.clone().filter(|p| !p.is_empty()),
    };
    let records = ctx
        .app
        .stores
        .connections
        .find_tokens(&filter, page)
        .await?;
    let mut items = Vec::with_capacity(records.items.len());
    let visible = records
        .items
        .into_iter()
        .filter(|r| scope.allows(&r.tag, r.owner.as_ref(), &r.client_id));
    for record in visible {
        if !providers.contains_key(&record.client_id) {
            let client = ctx.app.stores.clients.get_client(&record.client_id).await?;
            providers.insert(record.client_id.clone(), client.map(|c| c.provider));
        }
        let provider = providers.get(&record.client_id).cloned().flatten();
        items.push(ConnectionView::of(record, provider));
    }
    Ok(Page {
        items,
        next: records.next,
    })
}

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
    let tokens = &ctx.app.stores.tokens;
    let all = all_pages(100, |page| async move { tokens.list_tokens(&page).await }).await?;
    Ok(all.into_iter().filter(|t| &t.client_id == client).collect())
}

/// Deletes the connection under `tag`, the one rule the CLI and the console follow: its grant is
/// released at the provider first (revoked unless another record holds the same account, see
/// [`release_grant`]), then the record is deleted whatever the provider answered. A refusal is
/// answered ([`Released::Failed`]), logged and carried by the `connection.deleted` event, so the
/// person who deleted it can revoke the grant at the provider by hand. `None` when there was no
/// record under `tag`. A delete that fails after the revocation leaves the record, its grant
/// ended: it needs reauthorization at its next refresh, and deleting it again finishes.
pub async fn delete_connection(
    ctx: &OAuthContext,
    tag: &Tag,
) -> Result<Option<Released>, StoreError> {
    let Some(record) = ctx.app.stores.tokens.get_token(tag).await? else {
        return Ok(None);
    };
    // First at the provider, while the record still holds the refresh token to revoke.
    let released = release_grant(ctx, &record, None).await;
    if !ctx.app.stores.tokens.delete_token(tag).await? {
        return Ok(None);
    }
    tracing::info!(%tag, client = %record.client_id, grant = released.name(), held_by = released.held_by().map_or("-", Tag::as_str), "connection deleted");
    ctx.app
        .events
        .publish(
            Event::connection(
                EventKind::ConnectionDeleted,
                tag,
                &record.client_id,
                crate::clock::now(),
            )
            .with_owner(record.owner.as_ref())
            .with_grant(released.name(), released.held_by())
            .with_error(released.failure()),
        )
        .await;
    Ok(Some(released))
}

/// Revokes the grant of the record under `tag` at its provider (unless another record holds the
/// same account), then keeps the record marked as needing reauthorization (`revoked`), so its
/// history stays and it can be connected again under the same tag. `None` when there is no record
/// under `tag`; a record changed meanwhile is read again and marked (its grant was released).
pub async fn revoke_connection(
    ctx: &OAuthContext,
    tag: &Tag,
    now: Epoch,
) -> Result<Option<Released>, StoreError> {
    let Some(record) = ctx.app.stores.tokens.get_token(tag).await? else {
        return Ok(None);
    };
    // First at the provider: a record marked first would no longer count as holding the grant.
    let released = release_grant(ctx, &record, None).await;
    let tokens = ctx.app.stores.tokens.as_ref();
    let stale = |e: &StoreError| matches!(e, StoreError::StaleVersion);
    let first = &record;
    let marked = retry(Contention::Low, stale, |attempt| async move {
        let mut current = match attempt.number {
            1 => Some(first.clone()),
            _ => tokens.get_token(tag).await?,
        };
        let Some(current) = current.as_mut() else {
            return Ok(false);
        };
        current.needs_reauthorization(
            "revoked".into(),
            Some("revoked by an administrator".into()),
            now,
        );
        tokens.update_token(current).await?;
        Ok(true)
    })
    .await?;
    if !marked {
        return Ok(None);
    }
    tracing::info!(%tag, client = %record.client_id, grant = released.name(), held_by = released.held_by().map_or("-", Tag::as_str), "connection revoked");
    ctx.app
        .events
        .publish(
            Event::connection(
                EventKind::ReauthorizationRequired,
                tag,
                &record.client_id,
                now,
            )
            .with_owner(record.owner.as_ref())
            .with_grant(released.name(), released.held_by())
            .with_error(released.failure()),
        )
        .await;
    Ok(Some(released))
}

/// Deletes client `id` and its secret. With token records left it refuses, unless `with_tokens`,
/// which deletes them first, each releasing its grant (so the last record of an account revokes
/// it). Answers the tags removed; `NotFound` when there is no
/// such client.
pub async fn delete_client(
    ctx: &OAuthContext,
    id: &ClientId,
    with_tokens: bool,
) -> Result<Vec<Tag>, DeleteClientError> {
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
