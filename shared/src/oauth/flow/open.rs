//! Step 2: the browser opens the one-time link; the flow is bound to it and it is sent on to the
//! provider.

use url::Url;

use super::binding::{BrowserBinding, FlowLink, state_key};
use super::{active_client, provider_for};
use crate::clock::Epoch;
use crate::oauth::context::OAuthContext;
use crate::oauth::error::OAuthError;
use crate::oauth::grant::AuthorizeRequest;
use crate::store::Opened;

/// A flow whose link was just opened.
pub struct OpenedFlow {
    /// The provider's authorization URL, with the state and PKCE challenge.
    pub authorize_url: Url,
    /// The cookie to set in this browser.
    pub binding: BrowserBinding,
    /// When the flow expires (the cookie lives as long).
    pub expires_at: Epoch,
}

/// Opens the flow of `link`, once: a second open is refused, whoever makes it.
pub async fn open(
    ctx: &OAuthContext,
    link: &FlowLink,
    now: Epoch,
) -> Result<OpenedFlow, OAuthError> {
    let state = link.state();
    let binding = BrowserBinding::generate(&state);
    let flow = match ctx
        .app
        .stores
        .flow_states
        .open_flow_state(&state_key(&state), &binding.hash(), now)
        .await?
    {
        Opened::Opened(flow) => flow,
        Opened::AlreadyOpened => return Err(OAuthError::LinkAlreadyUsed),
        Opened::Expired => return Err(OAuthError::ExpiredState),
        Opened::Absent => return Err(OAuthError::UnknownState),
    };
    let client = active_client(ctx, &flow.client_id).await?;
    let provider = provider_for(ctx, &client).await?;
    let redirect_uri = Url::parse(&flow.redirect_uri)
        .map_err(|e| OAuthError::InvalidRequest(format!("stored redirect URI: {e}")))?;
    let values = provider.stored_values(&flow.connection)?;
    let authorize = provider.endpoints.authorize.fill(&values)?;
    let request = AuthorizeRequest::new(&provider, &authorize, &client.guid, &redirect_uri);
    let authorize_url = request.url(
        &flow.scopes,
        &state,
        flow.prompt.as_deref(),
        provider.access_type.as_deref(),
        &flow.pkce_verifier,
    );
    tracing::info!(tag = %flow.tag, client = %client.id, "authorization code flow link opened");
    Ok(OpenedFlow {
        authorize_url,
        binding,
        expires_at: flow.expires_at,
    })
}
