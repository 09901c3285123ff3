//! Step 3: the provider sends the browser back. The state is consumed once; the browser must carry
//! the flow's binding cookie; then the code is exchanged and the record stored.

use serde::Deserialize;
use url::Url;

use super::binding::{binding_matches, cookie_name, state_key};
use super::{active_client, lifetimes, provider_for};
use crate::clock::Epoch;
use crate::domain::{FlowState, GrantType, Tag};
use crate::oauth::connecting;
use crate::oauth::context::OAuthContext;
use crate::oauth::credentials::with_secret_fallback;
use crate::oauth::error::OAuthError;
use crate::oauth::owner;
use crate::oauth::records::{self, Grant};
use crate::providers::ResolvedProvider;
use crate::store::Taken;

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
    /// Every other query parameter, for the values the provider file captures from the
    /// redirect (QuickBooks' `realmId`, Zoho's `accounts-server`).
    #[serde(skip)]
    pub others: Vec<(String, String)>,
}

/// How a flow whose state was accepted ended.
#[derive(Debug)]
pub enum Completed {
    /// The token is stored under `tag`.
    Connected {
        tag: Tag,
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
    let client = active_client(ctx, &flow.client_id).await?;
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
    // The connection's values: the start's, then what the redirect carries.
    let mut values = provider.stored_values(&flow.connection)?;
    let from_redirect = provider.capture_redirect(&params.others)?;
    values.add(&from_redirect);
    // Everything the record needs (the client's secret, the token key) is checked before the
    // code is spent.
    let redirect_uri = Url::parse(&flow.redirect_uri)
        .map_err(|e| OAuthError::InvalidRequest(format!("stored redirect URI: {e}")))?;
    let token_url = provider.endpoints.token.fill(&values)?;
    let keys = ctx.keyring().await?.sealing().await?;
    // The stored flow's tag was parsed when the flow started; a flow stored before tags were
    // parsed (at most an hour's worth, `MAX_FLOW_TTL`) is held to the rule here.
    let tag = Tag::parse(flow.tag.as_str())?;
    let response = with_secret_fallback(
        ctx,
        &client,
        &provider,
        &token_url,
        Some(&redirect_uri),
        |grant| {
            let (code, verifier) = (&code, &flow.pkce_verifier);
            async move { grant.exchange_code(code, verifier).await }
        },
    )
    .await?;
    let from_token = provider.capture_token(response.extra())?;
    values.add(&from_token);
    let owner = owner::read_owner(ctx, &provider, &values, &response).await;
    let owner_name = owner.as_ref().and_then(owner::owner_name);
    let mut record = records::seal_new(
        &keys,
        Grant {
            tag: &tag,
            client_id: &client.id,
            grant_type: GrantType::AuthorizationCode,
            requested_scopes: &flow.scopes,
            owner,
            owner_name: owner_name.clone(),
            created_by: Some(flow.created_by.clone()).filter(|s| !s.is_empty()),
        },
        &response,
        &lifetimes(&provider),
        now,
    )?;
    record.owner = flow.owner.clone();
    record.metadata = values.as_map().clone();
    for (name, secret) in from_redirect.secret.iter().chain(&from_token.secret) {
        records::seal_metadata(&keys, &mut record, name, secret)?;
    }
    connecting::store(ctx, record, flow.replace, &provider.name).await?;
    tracing::info!(tag = %flow.tag, client = %client.id, replace = flow.replace, "authorization code flow connected");
    Ok(Completed::Connected {
        tag,
        landing_url: flow.landing_url,
        owner_name,
    })
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
