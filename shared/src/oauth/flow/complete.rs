//! Step 3: the provider sends the browser back. The state is consumed once; the browser must carry
//! the flow's binding cookie; then the code is exchanged and the record stored.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::binding::{binding_matches, cookie_name, state_key};
use super::{active_client, provider_for, refresh_margin};
use crate::clock::Epoch;
use crate::domain::{FlowState, StoredToken};
use crate::events::{Event, EventKind};
use crate::oauth::context::OAuthContext;
use crate::oauth::credentials::grant_client;
use crate::oauth::error::OAuthError;
use crate::oauth::owner;
use crate::oauth::records::{self, Grant};
use crate::oauth::revocation::revoke_record;
use crate::oauth::token_response::ProviderTokenResponse;
use crate::providers::{OwnerSource, ResolvedProvider};
use crate::store::{StoreError, Taken};

/// The parameters the provider sends back to the return URL (RFC 6749 §4.1.2, RFC 9207).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReturnParams {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
}

/// How a flow whose state was accepted ended.
#[derive(Debug)]
pub enum Completed {
    /// The token is stored under `tag`.
    Connected {
        tag: String,
        landing_url: Option<String>,
        owner_name: Option<String>,
    },
    /// It failed; the flow is consumed and nothing was stored.
    Failed(Failure),
}

/// Why an accepted flow failed, and where the browser should go.
#[derive(Debug)]
pub struct Failure {
    /// The `error` code for the landing URL.
    pub code: String,
    /// The provider's `error_description`, when it gave one.
    pub description: Option<String>,
    /// The underlying error, for a page when there is no landing URL.
    pub error: OAuthError,
    pub landing_url: Option<String>,
}

impl Failure {
    fn of(error: OAuthError, landing_url: Option<String>) -> Self {
        Failure {
            code: error.code().to_string(),
            description: error.provider_description().map(str::to_string),
            error,
            landing_url,
        }
    }
}

/// Completes the flow when the browser comes back. `cookie` reads the request's cookie of a given
/// name. Errors are the refusals before the state is accepted (missing, unknown, expired); every
/// later failure is a [`Completed::Failed`], logged here with its reason.
pub async fn complete(
    ctx: &OAuthContext,
    params: ReturnParams,
    cookie: impl FnOnce(&str) -> Option<String>,
    now: Epoch,
) -> Result<Completed, OAuthError> {
    let state = params
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("state is missing".into()))?;
    let flow = match ctx
        .app
        .stores
        .flow_states
        .take_flow_state(&state_key(state), now)
        .await?
    {
        Taken::Live(flow) => flow,
        Taken::Expired => return Err(OAuthError::ExpiredState),
        Taken::Absent => return Err(OAuthError::UnknownState),
    };
    let presented = cookie(&cookie_name(state));
    let (tag, client_id, landing_url) = (
        flow.tag.clone(),
        flow.client_id.clone(),
        flow.landing_url.clone(),
    );
    let result = if !binding_matches(flow.binding.as_deref(), presented.as_deref()) {
        Err(OAuthError::OtherBrowser)
    } else {
        exchange(ctx, flow, params, now).await
    };
    Ok(match result {
        Ok(connected) => connected,
        Err(error) => {
            tracing::warn!(%tag, client = %client_id, code = error.code(), reason = %error, "authorization code flow failed");
            Completed::Failed(Failure::of(error, landing_url))
        }
    })
}

/// Everything after the binding check: the issuer, the provider's answer, the exchange, the store.
async fn exchange(
    ctx: &OAuthContext,
    flow: FlowState,
    params: ReturnParams,
    now: Epoch,
) -> Result<Completed, OAuthError> {
    let client = active_client(ctx, flow.client_id.as_str()).await?;
    let provider = provider_for(ctx, &client).await?;
    check_issuer(&provider, params.iss.as_deref())?;
    if let Some(error) = params.error {
        return Err(OAuthError::Refused {
            code: error,
            description: params.error_description,
        });
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("code is missing".into()))?;
    // Everything the record needs (the client's secret, the token key) is checked before the
    // code is spent.
    let redirect_uri = Url::parse(&flow.redirect_uri)
        .map_err(|e| OAuthError::InvalidRequest(format!("stored redirect URI: {e}")))?;
    let grant = grant_client(ctx, &client, &provider, Some(&redirect_uri)).await?;
    let vault = ctx.vault().await?;
    let response = grant.exchange_code(&code, &flow.pkce_verifier).await?;
    let owner = read_owner(ctx, &provider, &response).await;
    let owner_name = owner.as_ref().and_then(owner::owner_name);
    let mut record = records::seal_new(
        vault,
        Grant {
            tag: &flow.tag,
            client_id: &client.id,
            grant_type: "authorization_code",
            requested_scopes: &flow.scopes,
            owner,
            owner_name: owner_name.clone(),
            created_by: Some(flow.created_by.clone()).filter(|s| !s.is_empty()),
        },
        &response,
        refresh_margin(&provider),
        now,
    )?;
    record.owner = flow.owner.clone();
    let replaced = store(ctx, &flow, record).await?;
    let kind = match replaced {
        true => EventKind::ConnectionReplaced,
        false => EventKind::ConnectionCreated,
    };
    ctx.app
        .events
        .publish(
            Event::connection(kind, &flow.tag, client.id.as_str(), now)
                .with_provider(Some(&provider.name))
                .with_owner(flow.owner.as_deref()),
        )
        .await;
    tracing::info!(tag = %flow.tag, client = %client.id, replace = flow.replace, "authorization code flow connected");
    Ok(Completed::Connected {
        tag: flow.tag,
        landing_url: flow.landing_url,
        owner_name,
    })
}

/// Stores the new record: created, or (when the flow said `replace`) replacing the old one, whose
/// grant is then revoked at the provider. A flow that may not replace and finds its tag taken (a
/// connection made meanwhile) revokes its own new grant instead of leaving it orphaned. `true`
/// when a record was replaced.
async fn store(
    ctx: &OAuthContext,
    flow: &FlowState,
    record: StoredToken,
) -> Result<bool, OAuthError> {
    let tokens = ctx.app.stores.tokens.as_ref();
    if !flow.replace {
        return match tokens.create_token(&record).await {
            Ok(()) => Ok(false),
            Err(StoreError::AlreadyExists(_)) => {
                revoke_record(ctx, &record).await;
                Err(OAuthError::ConnectionExists(record.tag))
            }
            Err(e) => Err(e.into()),
        };
    }
    let (saved, previous) = records::replace(tokens, record).await?;
    let Some(previous) = previous else {
        return Ok(false);
    };
    if same_account(&previous, &saved) {
        // Providers such as Google keep one grant per account and client: revoking the old token
        // would end the new one too.
        tracing::info!(tag = %saved.tag, "the same account connected again; its old grant is not revoked");
    } else {
        revoke_record(ctx, &previous).await;
    }
    Ok(true)
}

/// Whether two records were granted by the same resource owner (as far as the provider said).
fn same_account(a: &StoredToken, b: &StoredToken) -> bool {
    let id = |t: &StoredToken| {
        t.resource_owner
            .as_ref()
            .and_then(|o| o.get("sub").or_else(|| o.get("id")).cloned())
    };
    match (id(a), id(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.resource_owner_name.is_some() && a.resource_owner_name == b.resource_owner_name,
    }
}

/// RFC 9207: when the response carries `iss`, it must be the provider's issuer; when the provider
/// promised `iss`, it must be there.
fn check_issuer(provider: &ResolvedProvider, iss: Option<&str>) -> Result<(), OAuthError> {
    match (iss, &provider.issuer) {
        (Some(iss), Some(expected)) if !expected.matches(iss) => Err(OAuthError::IssuerMismatch),
        (None, Some(_)) if provider.requires_iss => Err(OAuthError::IssuerMismatch),
        _ => Ok(()),
    }
}

/// The resource owner, from the owner endpoint or the ID token. A failure here does not lose the
/// grant: the token is stored without an owner and the failure is logged.
async fn read_owner(
    ctx: &OAuthContext,
    provider: &ResolvedProvider,
    response: &ProviderTokenResponse,
) -> Option<Value> {
    use oauth2::TokenResponse;
    match &provider.owner {
        OwnerSource::IdToken => response.id_token().and_then(owner::id_token_claims),
        OwnerSource::None => None,
        OwnerSource::Url(url) => {
            let result = ctx
                .http
                .client()
                .get(url.clone())
                .bearer_auth(response.access_token().secret())
                .header("accept", "application/json")
                .send()
                .await;
            match result {
                Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
                Ok(r) => {
                    tracing::warn!(status = r.status().as_u16(), provider = %provider.name, "the owner endpoint refused");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), provider = %provider.name, "the owner endpoint failed");
                    None
                }
            }
        }
    }
}
