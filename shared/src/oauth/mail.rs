//! A connection's mail access: its provider's mail template filled in for the token's resource
//! owner, a fresh access token, and the SASL `XOAUTH2` initial response for each server. What
//! `GET /tokens/{tag}/mail` and `authbridge tokens mail` answer, so a mail fetcher needs nothing
//! else.

use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::context::OAuthContext;
use super::error::OAuthError;
use super::flow::active_client;
use super::records;
use super::refresh::{FreshToken, RefreshError, Refresher};
use crate::domain::{Scope, Tag};
use crate::mail::{MailSettings, MailTemplateError, xoauth2};
use crate::providers::ProviderError;

/// Why no mail access can be given for a tag.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The tag, its client, or a usable token is missing.
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    /// The connection's provider has no `mailSettingsTemplate`.
    #[error("the provider {provider:?} of token {tag:?} has no mail settings")]
    NoTemplate { tag: Tag, provider: String },
    /// The template names something the token's resource owner lacks.
    #[error("token {tag:?}: {source}")]
    Owner {
        tag: Tag,
        #[source]
        source: MailTemplateError,
    },
}

impl From<OAuthError> for MailError {
    fn from(err: OAuthError) -> Self {
        MailError::Refresh(RefreshError::OAuth(err))
    }
}

/// Mail settings and the token to log in with.
pub struct MailAccess {
    pub tag: Tag,
    pub token: FreshToken,
    pub settings: MailSettings,
}

impl MailAccess {
    /// The answer's JSON: the token, then one object per protocol (`imap`, `smtp`) with the
    /// server, port, security, username and `xoauth2`. Carries the access token: never log it.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("tag".into(), json!(self.tag));
        body.insert(
            "access_token".into(),
            json!(self.token.access_token.expose_secret()),
        );
        body.insert("token_type".into(), json!(self.token.token_type));
        body.insert("expires_at".into(), json!(self.token.expires_at));
        body.insert("scopes".into(), json!(self.token.scopes));
        for server in &self.settings.servers {
            let xoauth2 = xoauth2(&server.username, &self.token.access_token);
            let mut entry = match serde_json::to_value(server) {
                Ok(Value::Object(entry)) => entry,
                _ => Map::new(),
            };
            entry.insert("xoauth2".into(), json!(xoauth2.expose_secret()));
            body.insert(server.protocol.key().into(), Value::Object(entry));
        }
        Value::Object(body)
    }
}

/// The mail access of `tag`: the template is checked and filled before the token is refreshed,
/// so a connection without mail settings never costs a refresh.
pub async fn mail_access(
    ctx: &OAuthContext,
    refresher: &Refresher,
    tag: &Tag,
    scope: &Scope,
    start_by: Instant,
) -> Result<MailAccess, MailError> {
    let record = records::read_within(ctx.app.stores.tokens.as_ref(), tag, scope)
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(|| RefreshError::NotFound(tag.clone()))?;
    let client = active_client(ctx, &record.client_id).await?;
    let definition = ctx.providers.get(&client.provider).ok_or_else(|| {
        OAuthError::Provider(ProviderError::Unknown {
            name: client.provider.clone(),
        })
    })?;
    let template =
        definition
            .mail_settings_template
            .as_ref()
            .ok_or_else(|| MailError::NoTemplate {
                tag: tag.clone(),
                provider: client.provider.clone(),
            })?;
    let settings = template
        .fill(
            record.resource_owner.as_ref(),
            record.resource_owner_name.as_deref(),
        )
        .map_err(|source| MailError::Owner {
            tag: tag.clone(),
            source,
        })?;
    let token = refresher.fresh_token(ctx, tag, scope, start_by).await?;
    Ok(MailAccess {
        tag: tag.clone(),
        token,
        settings,
    })
}
