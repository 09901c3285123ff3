//! Connections as a console user may see and change them: `connections:all` reaches every one,
//! `connections:own` only those the user made (`created_by` is `console:<e-mail>`) or owns (the
//! owner is the user's e-mail address). Everything goes through the services the CLI and the API
//! use (`oauth::connections`, `oauth::flow::start`, `audit::history`).

use crate::clock::Epoch;
use crate::domain::{ClientId, GrantType, JournalEntry, Owner, Permission, Scope, Tag};
use crate::oauth::OAuthContext;
use crate::oauth::connections::{
    ConnectionSearch, ConnectionView, delete_connection, find_connection, find_connections,
    revoke_connection,
};
use crate::oauth::flow::{Initiator, StartRequest, Started, start};
use crate::oauth::reconnect;
use crate::oauth::revocation::Released;
use crate::oauth::settings::FlowUrls;
use crate::store::{Page, PageRequest};

use super::{ConsoleError, SignedIn};

/// What a console user starts a connection for.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub client: ClientId,
    /// The tag; `client:<id>` when absent.
    pub tag: Option<Tag>,
    /// Whose connection it is, in the CRM's terms.
    pub owner: Option<Owner>,
    /// Replace the connection under the tag (Reconnect).
    pub replace: bool,
}

/// The initiator a console user's flows carry, and the `created_by` of what they make.
pub fn initiator(signed: &SignedIn) -> Initiator {
    Initiator::console(&signed.user.email)
}

/// Whether `signed` may see and change `connection`: `connections:all`, or `connections:own` for
/// a connection the user made or owns.
pub fn may_touch(signed: &SignedIn, connection: &ConnectionView) -> bool {
    if signed.may(Permission::ConnectionsAll) {
        return true;
    }
    let made = connection.created_by.as_deref() == Some(initiator(signed).as_str());
    let owns = connection.owner.as_ref().map(Owner::as_str) == Some(signed.user.email.as_str());
    signed.may(Permission::ConnectionsOwn) && (made || owns)
}

/// Needs `connections:own` or `connections:all`; names `connections:own` when neither.
fn require_seeing(signed: &SignedIn) -> Result<(), ConsoleError> {
    if signed.may(Permission::ConnectionsAll) {
        return Ok(());
    }
    signed.require(Permission::ConnectionsOwn)
}

/// One page of the connections `search` asks for that `signed` may see, through the store's
/// indexes. With only `connections:own`, others' connections are left out, so a page may hold
/// fewer than its limit while `next` is set.
pub async fn list(
    ctx: &OAuthContext,
    signed: &SignedIn,
    search: &ConnectionSearch,
    page: &PageRequest,
) -> Result<Page<ConnectionView>, ConsoleError> {
    require_seeing(signed)?;
    let mut found = find_connections(ctx, search, &Scope::everything(), page).await?;
    found.items.retain(|c| may_touch(signed, c));
    Ok(found)
}

/// The connection under `tag` when `signed` may see it (else `NotFound`, as for none).
pub async fn get(
    ctx: &OAuthContext,
    signed: &SignedIn,
    tag: &Tag,
) -> Result<ConnectionView, ConsoleError> {
    require_seeing(signed)?;
    find_connection(ctx, tag)
        .await?
        .filter(|c| may_touch(signed, c))
        .ok_or(ConsoleError::NotFound("connection"))
}

/// One page of the history of the connection under `tag` (which `signed` may see), newest first.
pub async fn history(
    ctx: &OAuthContext,
    signed: &SignedIn,
    tag: &Tag,
    page: &PageRequest,
) -> Result<Page<JournalEntry>, ConsoleError> {
    get(ctx, signed, tag).await?;
    Ok(ctx.app.audit_trail().history(tag, page).await?)
}

/// Starts an authorization-code flow for `request` as `signed`: needs `connect`, and to replace a
/// connection, that `signed` may touch it. The browser is then sent to the started flow's link.
pub async fn connect(
    ctx: &OAuthContext,
    signed: &SignedIn,
    request: ConnectRequest,
    urls: &FlowUrls,
    now: Epoch,
) -> Result<Started, ConsoleError> {
    signed.require(Permission::Connect)?;
    let mut connection = Default::default();
    if request.replace {
        let tag = match &request.tag {
            Some(tag) => tag.clone(),
            None => Tag::default_for(GrantType::AuthorizationCode, &request.client)
                .map_err(|e| ConsoleError::invalid("tag", e.to_string()))?,
        };
        let existing = get(ctx, signed, &tag).await?;
        // Reconnect reaches what the connection reached (a Shopify connection's shop).
        if existing.client == request.client {
            connection =
                reconnect::start_parameters(ctx, &existing.client, &existing.health.metadata).await;
        }
    }
    let start_request = StartRequest {
        client: request.client.to_string(),
        tag: request.tag.map(|t| t.to_string()),
        owner: request.owner.map(|o| o.to_string()),
        replace: request.replace,
        connection,
        ..StartRequest::default()
    };
    Ok(start(ctx, start_request, urls, &initiator(signed), now).await?)
}

/// Revokes the connection under `tag` at its provider and keeps it as needing reauthorization.
pub async fn revoke(
    ctx: &OAuthContext,
    signed: &SignedIn,
    tag: &Tag,
    now: Epoch,
) -> Result<Released, ConsoleError> {
    get(ctx, signed, tag).await?;
    revoke_connection(ctx, tag, now)
        .await?
        .ok_or(ConsoleError::NotFound("connection"))
}

/// Deletes the connection under `tag`, releasing its grant at the provider (the CLI's
/// `tokens delete`).
pub async fn delete(
    ctx: &OAuthContext,
    signed: &SignedIn,
    tag: &Tag,
) -> Result<Released, ConsoleError> {
    get(ctx, signed, tag).await?;
    delete_connection(ctx, tag)
        .await?
        .ok_or(ConsoleError::NotFound("connection"))
}
