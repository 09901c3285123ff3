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
use crate::store::{Page, PageRequest, StoreError, all_pages};

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
        let health = ConnectionHealth::of(&record);
        items.push(ConnectionView {
            provider: providers.get(&record.client_id).cloned().flatten(),
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
        });
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

/// Deletes the record under `tag`, then releases its grant at the provider (best effort: revoked
/// unless another record holds the same account). `None` when there was no record under `tag`.
pub async fn delete_connection(
    ctx: &OAuthContext,
    tag: &Tag,
) -> Result<Option<Released>, StoreError> {
    let Some(record) = ctx.app.stores.tokens.get_token(tag).await? else {
        return Ok(None);
    };
    if !ctx.app.stores.tokens.delete_token(tag).await? {
        return Ok(None);
    }
    // After the delete: a delete that failed leaves the record with its grant still live.
    let released = release_grant(ctx, &record, None).await;
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
            .with_grant(released.name(), released.held_by()),
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
