//! Step 1: a caller with authority makes a flow and gets the one-time link a browser must open.

use std::time::Duration;

use url::Url;

use super::binding::{FlowLink, state_key};
use super::{Initiator, StartRequest, active_client, provider_for, requested_client};
use crate::clock::Epoch;
use crate::domain::{FlowState, GrantType, Owner, Tag};
use crate::oauth::context::OAuthContext;
use crate::oauth::error::OAuthError;
use crate::oauth::grant::new_pkce_verifier;
use crate::oauth::settings::FlowUrls;
use crate::oauth::settings::MAX_FLOW_TTL;

/// A started flow: the link to hand to the browser, and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// authbridge's own one-time link, `<public URL>/oauth/go/<id>`.
    pub url: Url,
    pub expires_at: Epoch,
    /// The tag the connection will be stored under.
    pub tag: Tag,
}

/// Makes a flow for `request`, started by `initiator`.
///
/// Refused with `ConnectionExists` when the tag already holds a record and the request does not
/// say `replace`, and with `OutOfScope` when the new connection, or the one it would replace, is
/// outside the initiator's scope.
pub async fn start(
    ctx: &OAuthContext,
    request: StartRequest,
    urls: &FlowUrls,
    initiator: &Initiator,
    now: Epoch,
) -> Result<Started, OAuthError> {
    let client = active_client(ctx, &requested_client(&request.client)?).await?;
    let landing_url = request
        .landing_url
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|raw| ctx.settings.landing_allowlist.check(raw))
        .transpose()?
        .map(String::from);
    let ttl = match request.ttl {
        None => ctx.settings.flow_ttl,
        Some(s) if (1..=MAX_FLOW_TTL.as_secs()).contains(&s) => Duration::from_secs(s),
        Some(_) => {
            return Err(OAuthError::InvalidRequest(
                "ttl must be between 1 and 3600 seconds".into(),
            ));
        }
    };
    let tag = Tag::requested(
        request.tag.as_deref(),
        GrantType::AuthorizationCode,
        &client.id,
    )?;
    let owner = request.owner.as_deref().map(Owner::parse).transpose()?;
    initiator.may_touch(&tag, owner.as_ref(), &client.id)?;
    // Refused early, so no one approves at the provider for nothing; the flow's end checks again
    // atomically (`connecting::store`).
    if let Some(existing) = ctx.app.stores.tokens.get_token(&tag).await? {
        if !request.replace {
            return Err(OAuthError::ConnectionExists(tag));
        }
        // A replace ends the connection there now: it must be the caller's to touch too.
        initiator.may_touch_record(&existing)?;
    }
    // Resolving now makes a misconfigured provider fail here, not in the person's browser.
    let provider = provider_for(ctx, &client).await?;
    let scopes = request
        .scopes
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| provider.scopes.clone());
    let prompt = request.prompt.or_else(|| provider.prompt.clone());
    // The connection's values, checked against the provider's patterns, and the authorization
    // URL filled with them: a bad `shop` is refused here, naming the parameter.
    let values = provider.connection_values(&request.connection)?;
    provider.endpoints.authorize.fill(&values)?;
    let link = FlowLink::generate();
    let expires_at = now + ttl.as_secs() as Epoch;
    ctx.app
        .stores
        .flow_states
        .put_flow_state(&FlowState {
            key: state_key(&link.state()),
            client_id: client.id.clone(),
            scopes,
            tag: tag.clone(),
            landing_url,
            prompt,
            pkce_verifier: new_pkce_verifier(),
            redirect_uri: urls.redirect_uri.to_string(),
            created: now,
            expires_at,
            replace: request.replace,
            owner,
            created_by: initiator.as_str().to_string(),
            binding: None,
            connection: values.as_map().clone(),
        })
        .await?;
    tracing::info!(%tag, client = %client.id, by = initiator.as_str(), replace = request.replace, "authorization code flow started");
    Ok(Started {
        url: link.url(&urls.public_base),
        expires_at,
        tag,
    })
}
