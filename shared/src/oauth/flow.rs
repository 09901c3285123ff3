//! The authorization-code flow: [`start`] makes the state and PKCE verifier and the URL the browser
//! is sent to; [`complete`] consumes the state exactly once, checks `iss`, exchanges the code, reads
//! the resource owner and stores the token record.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;
use url::Url;

use super::context::OAuthContext;
use super::error::OAuthError;
use super::grant::{ClientAuthMethod, GrantClient};
use super::owner;
use super::records::{self, Grant};
use crate::clock::Epoch;
use crate::domain::{ClientId, FlowState, OAuthClient};
use crate::providers::{OwnerSource, ResolvedProvider, TokenAuthMethod};
use crate::store::Taken;

/// Default refresh margin: refresh five minutes before expiry.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A request to start the flow (query parameters of `GET /oauth/start`, or a JSON body).
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
    /// What the token is for; the token record's unique tag. Default: `client:<id>`.
    #[serde(default)]
    pub tag: Option<String>,
    /// The `prompt` parameter; the provider's default when absent.
    #[serde(default)]
    pub prompt: Option<String>,
    /// Seconds the flow may take (default 10 minutes, at most 1 hour).
    #[serde(default)]
    pub ttl: Option<u64>,
}

/// A started flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub url: Url,
    pub expires_at: Epoch,
}

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

/// How a completed flow ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Completed {
    /// The token is stored under `tag`.
    Connected {
        tag: String,
        landing_url: Option<String>,
        owner_name: Option<String>,
    },
    /// The provider sent an error (e.g. the user denied access); the state is consumed.
    Refused {
        error: String,
        description: Option<String>,
        landing_url: Option<String>,
    },
}

/// The SHA-256 (hex) of a state value: the key it is stored under.
pub fn state_key(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// A fresh state: 256 random bits, URL-safe.
fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The registered, active client with this id.
pub async fn active_client(ctx: &OAuthContext, id: &str) -> Result<OAuthClient, OAuthError> {
    if id.trim().is_empty() {
        return Err(OAuthError::InvalidRequest("client is required".into()));
    }
    let client = ctx
        .app
        .stores
        .clients
        .get_client(&ClientId::new(id))
        .await?
        .ok_or_else(|| OAuthError::UnknownClient(id.to_string()))?;
    if !client.is_active {
        return Err(OAuthError::ClientDisabled(id.to_string()));
    }
    Ok(client)
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

/// Starts the flow.
pub async fn start(
    ctx: &OAuthContext,
    request: StartRequest,
    redirect_uri: Url,
    now: Epoch,
) -> Result<Started, OAuthError> {
    let client = active_client(ctx, &request.client).await?;
    let landing_url = request
        .landing_url
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|raw| ctx.settings.landing_allowlist.check(raw))
        .transpose()?
        .map(String::from);
    let ttl = match request.ttl {
        None => ctx.settings.flow_ttl,
        Some(s) if (1..=super::settings::MAX_FLOW_TTL.as_secs()).contains(&s) => {
            Duration::from_secs(s)
        }
        Some(_) => {
            return Err(OAuthError::InvalidRequest(
                "ttl must be between 1 and 3600 seconds".into(),
            ));
        }
    };
    let tag = request
        .tag
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("client:{}", client.id));
    if tag.len() > 200 {
        return Err(OAuthError::InvalidRequest(
            "tag is longer than 200 characters".into(),
        ));
    }
    let provider = provider_for(ctx, &client).await?;
    let scopes = request
        .scopes
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| provider.scopes.clone());
    let prompt = request.prompt.or_else(|| provider.prompt.clone());
    let grant = GrantClient::new(
        &provider,
        &client.guid,
        None,
        Some(&redirect_uri),
        auth_method(&provider),
        ctx.http.clone(),
    )?;
    let state = new_state();
    let started = grant.authorize_url(
        &scopes,
        &state,
        prompt.as_deref(),
        provider.access_type.as_deref(),
    );
    let expires_at = now + ttl.as_secs() as Epoch;
    ctx.app
        .stores
        .flow_states
        .put_flow_state(&FlowState {
            key: state_key(&state),
            client_id: client.id.clone(),
            scopes,
            tag,
            landing_url,
            prompt,
            pkce_verifier: started.pkce_verifier,
            redirect_uri: redirect_uri.to_string(),
            created: now,
            expires_at,
        })
        .await?;
    Ok(Started {
        url: started.url,
        expires_at,
    })
}

/// Completes the flow when the browser comes back.
pub async fn complete(
    ctx: &OAuthContext,
    params: ReturnParams,
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
    let client = active_client(ctx, flow.client_id.as_str()).await?;
    let provider = provider_for(ctx, &client).await?;
    check_issuer(&provider, params.iss.as_deref())?;
    if let Some(error) = params.error {
        return Ok(Completed::Refused {
            error,
            description: params.error_description,
            landing_url: flow.landing_url,
        });
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("code is missing".into()))?;
    let secret = ctx
        .app
        .secrets
        .get_secret(&client.secret_name(&ctx.app.config.secret_prefix))
        .await?
        .ok_or_else(|| OAuthError::MissingSecret(client.id.to_string()))?;
    let redirect_uri = Url::parse(&flow.redirect_uri)
        .map_err(|e| OAuthError::InvalidRequest(format!("stored redirect URI: {e}")))?;
    let grant = GrantClient::new(
        &provider,
        &client.guid,
        Some(&secret),
        Some(&redirect_uri),
        auth_method(&provider),
        ctx.http.clone(),
    )?;
    let response = grant.exchange_code(&code, &flow.pkce_verifier).await?;
    let owner = read_owner(ctx, &provider, &response).await;
    let owner_name = owner.as_ref().and_then(owner::owner_name);
    let vault = ctx.vault().await?;
    let record = records::seal_new(
        vault,
        Grant {
            tag: &flow.tag,
            client_id: &client.id,
            grant_type: "authorization_code",
            requested_scopes: &flow.scopes,
            owner,
            owner_name: owner_name.clone(),
        },
        &response,
        refresh_margin(&provider),
        now,
    )?;
    records::save(ctx.app.stores.tokens.as_ref(), record).await?;
    tracing::info!(tag = %flow.tag, client = %client.id, "authorization code flow connected");
    Ok(Completed::Connected {
        tag: flow.tag,
        landing_url: flow.landing_url,
        owner_name,
    })
}

/// The refresh margin of a provider, in seconds.
pub fn refresh_margin(provider: &ResolvedProvider) -> Epoch {
    provider
        .refresh_margin
        .unwrap_or(DEFAULT_REFRESH_MARGIN)
        .as_secs() as Epoch
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
    response: &super::token_response::ProviderTokenResponse,
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
