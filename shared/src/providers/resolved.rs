//! A provider made concrete for one client: the definition's options with the client's overrides,
//! placeholders filled in, every URL parsed and checked (its [`Plan`]), and discovered endpoints
//! filled in.

use std::time::Duration;

use url::Url;

use super::definition::ProviderDefinition;
use super::discovery::OidcMetadata;
use super::endpoint::{Issuer, OwnerSource};
use super::options::{ProviderOptions, TokenAuthMethod};
use super::plan::Plan;

/// Everything a flow needs to talk to one provider for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedProvider {
    /// The provider's name (its file name without `.json`).
    pub name: String,
    /// The provider's title.
    pub title: String,
    /// The authorization endpoint (RFC 6749 §3.1).
    pub authorize_url: Url,
    /// The token endpoint (RFC 6749 §3.2).
    pub token_url: Url,
    /// Where the resource owner is described.
    pub owner: OwnerSource,
    /// The token revocation endpoint (RFC 7009), when the provider has one.
    pub revocation_url: Option<Url>,
    /// The scopes requested when a flow names none.
    pub scopes: Vec<String>,
    /// What joins scopes in the `scope` parameter.
    pub scope_separator: String,
    /// The `prompt` parameter to send, if any.
    pub prompt: Option<String>,
    /// The `access_type` parameter to send, if any.
    pub access_type: Option<String>,
    /// How the client authenticates at the token endpoint.
    pub token_auth_method: TokenAuthMethod,
    /// Whether the provider is multi-tenant.
    pub tenancy: bool,
    /// The issuer to check `iss` against (RFC 9207), when known.
    pub issuer: Option<Issuer>,
    /// Whether the server promised an `iss` parameter in every authorization response
    /// (`authorization_response_iss_parameter_supported`, RFC 9207 §3): a response without one
    /// must then be rejected (RFC 9207 §2.4).
    pub requires_iss: bool,
    /// How long before expiry to refresh, when the provider sets it.
    pub refresh_margin: Option<Duration>,
    /// The provider's tags.
    pub tags: Vec<String>,
}

impl ResolvedProvider {
    /// `scopes` joined for the `scope` parameter (RFC 6749 §3.3) with this provider's separator.
    pub fn scope_param(&self, scopes: &[String]) -> String {
        scopes.join(&self.scope_separator)
    }

    /// The provider `plan` resolves `definition` to, with what the options left out taken from
    /// `metadata`. `None` when an endpoint is still missing (no metadata was given for a provider
    /// that needed it).
    pub(crate) fn from_plan(
        plan: Plan,
        name: &str,
        definition: &ProviderDefinition,
        options: &ProviderOptions,
        metadata: Option<&OidcMetadata>,
    ) -> Option<ResolvedProvider> {
        let authorize_url = plan
            .authorize
            .or_else(|| metadata.map(|m| m.authorization_endpoint.clone()))?;
        let token_url = plan
            .token
            .or_else(|| metadata.map(|m| m.token_endpoint.clone()))?;
        let owner = plan.owner.unwrap_or_else(|| match metadata {
            Some(m) => m
                .userinfo_endpoint
                .clone()
                .map_or(OwnerSource::IdToken, OwnerSource::Url),
            None => OwnerSource::None,
        });
        let revocation_url = plan
            .revocation
            .or_else(|| metadata.and_then(|m| m.revocation_endpoint.clone()));
        // OpenID Connect Core §3.1.2.1: an OpenID request must carry the `openid` scope.
        let scopes = options.scopes.clone().unwrap_or_else(|| match metadata {
            Some(_) => vec!["openid".to_string()],
            None => Vec::new(),
        });
        Some(ResolvedProvider {
            name: name.to_string(),
            title: definition.title.clone(),
            authorize_url,
            token_url,
            owner,
            revocation_url,
            scopes,
            scope_separator: options
                .scope_separator
                .clone()
                .unwrap_or_else(|| " ".to_string()),
            prompt: options.prompt.clone(),
            access_type: options.access_type.clone(),
            token_auth_method: options.token_auth_method.unwrap_or_default(),
            tenancy: options.tenancy.unwrap_or(false),
            issuer: plan.issuer,
            requires_iss: metadata
                .is_some_and(|m| m.authorization_response_iss_parameter_supported),
            refresh_margin: definition.refresh_margin.map(Duration::from_secs),
            tags: definition.tags.clone(),
        })
    }
}
