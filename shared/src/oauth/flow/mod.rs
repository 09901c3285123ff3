//! The authorization-code flow, in three steps:
//!
//! 1. [`start`]: a caller with authority (an API token allowed `oauth-start`, or the CLI) asks for
//!    a connection; authbridge stores the flow and answers a one-time link of its own,
//!    `/oauth/go/<id>`.
//! 2. [`open`]: the browser opens that link once; authbridge binds the flow to that browser with a
//!    cookie (RFC 9700 §4.7.1) and sends it to the provider with the state and a PKCE challenge.
//! 3. [`complete`]: the provider sends the browser back; authbridge consumes the state once, checks
//!    the cookie and `iss`, exchanges the code, reads the resource owner and stores the record.
//!
//! Only the SHA-256 of the state and of the cookie are stored; the link's id is never stored at all
//! (the state is derived from it, see [`binding`]).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

use super::context::OAuthContext;
use super::error::OAuthError;
use super::grant::ClientAuthMethod;
use super::records::Lifetimes;
use crate::clock::Epoch;
use crate::domain::{ApiToken, ClientId, Email, OAuthClient, Owner, Scope, StoredToken, Tag};
use crate::providers::{ResolvedProvider, TokenAuthMethod};

pub mod binding;
mod complete;
mod open;
mod start;

pub use binding::{BrowserBinding, FlowLink, state_key};
pub use complete::{Completed, Failure, ReturnParams, complete};
pub use open::{OpenedFlow, open};
pub use start::{Started, start};

/// Default refresh margin: refresh five minutes before expiry.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The longest tag a connection may have (the rule is [`crate::domain::Tag`]'s).
pub use crate::domain::tag::MAX_TAG_LEN;

/// A request to start the flow (the JSON body of `POST /oauth/start`, or the CLI's `connect`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The internal client id.
    pub client: String,
    /// Scopes; the provider's defaults when absent.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Where the browser lands afterwards; must be on the allow-list.
    #[serde(default)]
    pub landing_url: Option<String>,
    /// What the token is for; the token record's unique tag, checked as a
    /// [`Tag`](crate::domain::Tag). Default: `client:<id>`.
    #[serde(default)]
    pub tag: Option<String>,
    /// The `prompt` parameter; the provider's default when absent.
    #[serde(default)]
    pub prompt: Option<String>,
    /// Seconds the flow may take (default 10 minutes, at most 1 hour).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// Whether the flow may replace a connection already stored under the tag.
    #[serde(default)]
    pub replace: bool,
    /// Whose connection this is, in the caller's own terms (an opaque string such as
    /// `contact:42`); `GET /connections?owner=...` lists them.
    #[serde(default)]
    pub owner: Option<String>,
    /// The provider's connection parameters, by name (Shopify's `shop`, Zendesk's
    /// `subdomain`), each checked against the provider file's pattern.
    #[serde(default)]
    pub connection: BTreeMap<String, String>,
}

/// The longest owner a connection may name (the rule is [`Owner`]'s).
pub use crate::domain::owner::MAX_OWNER_LEN;

/// Who starts a flow or runs a grant, and what it may touch: an API token's name and scope,
/// `cli`, or the local stack's index page (both of which reach every connection). The name is
/// kept on the flow and on the record it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiator {
    name: String,
    scope: Scope,
}

impl Initiator {
    /// The caller holding `token`, within the token's scope.
    pub fn api_token(token: &ApiToken) -> Self {
        Initiator {
            name: format!("api-token:{}", token.name),
            scope: token.scope.clone(),
        }
    }

    /// The admin CLI.
    pub fn cli() -> Self {
        Initiator {
            name: "cli".into(),
            scope: Scope::everything(),
        }
    }

    /// A console user (`console:<e-mail>`), whose role carries `connect`: every connection, as
    /// the CLI reaches them. The console's own permissions decide which it may see or touch.
    pub fn console(email: &Email) -> Self {
        Initiator {
            name: format!("console:{email}"),
            scope: Scope::everything(),
        }
    }

    /// The local stack's own index page.
    pub fn local_index() -> Self {
        Initiator {
            name: "local-index".into(),
            scope: Scope::everything(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// Refuses a connection (its tag, owner and client) outside the initiator's scope.
    pub fn may_touch(
        &self,
        tag: &Tag,
        owner: Option<&Owner>,
        client: &ClientId,
    ) -> Result<(), OAuthError> {
        self.scope
            .check(tag, owner, client)
            .map_err(OAuthError::OutOfScope)
    }

    /// Refuses a stored connection outside the initiator's scope.
    pub fn may_touch_record(&self, record: &StoredToken) -> Result<(), OAuthError> {
        self.may_touch(&record.tag, record.owner.as_ref(), &record.client_id)
    }
}

/// The registered, active client with this id.
pub async fn active_client(ctx: &OAuthContext, id: &ClientId) -> Result<OAuthClient, OAuthError> {
    active(id, active_client_or_disabled(ctx, id).await?)
}

/// The registered, active client with this id as the token paths see it: this process's copy
/// while it lasts ([`crate::oauth::kept_clients`]), so a change to the client shows there within
/// the client cache period.
pub async fn kept_active_client(
    ctx: &OAuthContext,
    id: &ClientId,
) -> Result<OAuthClient, OAuthError> {
    let client = ctx
        .kept_client(id)
        .await?
        .ok_or_else(|| OAuthError::UnknownClient(id.to_string()))?;
    active(id, client)
}

/// `client`, unless it is disabled.
fn active(id: &ClientId, client: OAuthClient) -> Result<OAuthClient, OAuthError> {
    if !client.is_active {
        return Err(OAuthError::ClientDisabled(id.to_string()));
    }
    Ok(client)
}

/// The registered client with this id, active or not (revoking a disabled client's grants is
/// still right).
pub async fn active_client_or_disabled(
    ctx: &OAuthContext,
    id: &ClientId,
) -> Result<OAuthClient, OAuthError> {
    ctx.app
        .stores
        .clients
        .get_client(id)
        .await?
        .ok_or_else(|| OAuthError::UnknownClient(id.to_string()))
}

/// The `client` of a request, parsed: required, and a text that is no id names no client
/// (`UnknownClient`, as an unknown id does).
pub fn requested_client(raw: &str) -> Result<ClientId, OAuthError> {
    if raw.trim().is_empty() {
        return Err(OAuthError::InvalidRequest("client is required".into()));
    }
    ClientId::parse(raw).map_err(|_| OAuthError::UnknownClient(raw.to_string()))
}

/// The client's provider, made concrete for it.
pub async fn provider_for(
    ctx: &OAuthContext,
    client: &OAuthClient,
) -> Result<ResolvedProvider, OAuthError> {
    Ok(ctx
        .providers
        .resolve(
            &client.provider,
            client.tenant.as_deref(),
            &client.options,
            ctx.local_base(),
        )
        .await?)
}

/// How the client authenticates at the provider's token endpoint.
pub fn auth_method(provider: &ResolvedProvider) -> ClientAuthMethod {
    match provider.token_auth_method {
        TokenAuthMethod::ClientSecretBasic => ClientAuthMethod::Basic,
        TokenAuthMethod::ClientSecretPost => ClientAuthMethod::Post,
    }
}

/// How the provider's token answers become a record's lifetimes (its margin and quirks).
pub fn lifetimes(provider: &ResolvedProvider) -> Lifetimes {
    Lifetimes {
        margin: refresh_margin(provider),
        assumed_access: provider
            .quirks
            .assumed_access_token_lifetime
            .map(|d| d.as_secs() as Epoch),
        refresh: provider.quirks.refresh_token_lifetime.clone(),
    }
}

/// The refresh margin of a provider, in seconds.
pub fn refresh_margin(provider: &ResolvedProvider) -> Epoch {
    provider
        .refresh_margin
        .unwrap_or(DEFAULT_REFRESH_MARGIN)
        .as_secs() as Epoch
}
