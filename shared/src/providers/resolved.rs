//! A provider made concrete for one client: the definition's options with the client's overrides,
//! placeholders filled in, every URL parsed and checked, and discovered endpoints filled in.

use std::time::Duration;

use url::Url;

use super::definition::{ProviderDefinition, ProviderOptions, TokenAuthMethod};
use super::discovery::OidcMetadata;
use super::endpoint::{FieldProblem, Issuer, Template, USE_ID_TOKEN};

/// The tenant used when a client names none (as in CiviCRM).
pub const DEFAULT_TENANT: &str = "common";

/// Where the resource owner (the account that granted access) is described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerSource {
    /// Fetch this URL with the access token (e.g. an OpenID Connect UserInfo endpoint).
    Url(Url),
    /// Read the claims of the id_token the token endpoint returned (`{{use_id_token}}`).
    IdToken,
    /// The provider does not say who the owner is.
    None,
}

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
}

/// The part of a resolution that needs no network: templated, checked URLs and the issuer.
pub(crate) struct Plan {
    authorize: Option<Url>,
    token: Option<Url>,
    owner: Option<OwnerSource>,
    revocation: Option<Url>,
    pub issuer: Option<Issuer>,
}

/// Fills in and checks every URL of `options` (already merged with a client's overrides) and the
/// definition's issuer. The error names the JSON field at fault.
pub(crate) fn plan(
    definition: &ProviderDefinition,
    options: &ProviderOptions,
    template: &Template<'_>,
) -> Result<Plan, (&'static str, FieldProblem)> {
    let url = |field: &'static str, raw: &Option<String>| {
        raw.as_deref()
            .map(|raw| template.url(raw).map_err(|p| (field, p)))
            .transpose()
    };
    let authorize = url("options.urlAuthorize", &options.url_authorize)?;
    let token = url("options.urlAccessToken", &options.url_access_token)?;
    let revocation = url("options.urlRevokeToken", &options.url_revoke_token)?;
    let owner = match options.url_resource_owner_details.as_deref() {
        Some(USE_ID_TOKEN) => Some(OwnerSource::IdToken),
        Some(_) => url(
            "options.urlResourceOwnerDetails",
            &options.url_resource_owner_details,
        )?
        .map(OwnerSource::Url),
        None => None,
    };
    let issuer = definition
        .issuer
        .as_deref()
        .map(|raw| {
            let filled = template.fill(raw).map_err(|p| ("issuer", p))?;
            Issuer::parse(&filled).map_err(|reason| ("issuer", FieldProblem::Invalid(reason)))
        })
        .transpose()?;
    Ok(Plan {
        authorize,
        token,
        owner,
        revocation,
        issuer,
    })
}

impl Plan {
    /// Whether an endpoint must come from the issuer's discovery document.
    pub fn needs_discovery(&self) -> bool {
        self.authorize.is_none() || self.token.is_none()
    }

    /// The resolved provider, with what the options left out taken from `metadata`. `None` when an
    /// endpoint is still missing (no metadata was given for a provider that needed it).
    pub fn complete(
        self,
        name: &str,
        definition: &ProviderDefinition,
        options: &ProviderOptions,
        metadata: Option<&OidcMetadata>,
    ) -> Option<ResolvedProvider> {
        let authorize_url = self
            .authorize
            .or_else(|| metadata.map(|m| m.authorization_endpoint.clone()))?;
        let token_url = self
            .token
            .or_else(|| metadata.map(|m| m.token_endpoint.clone()))?;
        let owner = self.owner.unwrap_or_else(|| match metadata {
            Some(m) => m
                .userinfo_endpoint
                .clone()
                .map_or(OwnerSource::IdToken, OwnerSource::Url),
            None => OwnerSource::None,
        });
        let revocation_url = self
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
            issuer: self.issuer,
            requires_iss: metadata
                .is_some_and(|m| m.authorization_response_iss_parameter_supported),
            refresh_margin: definition.refresh_margin.map(Duration::from_secs),
            tags: definition.tags.clone(),
        })
    }
}

/// The tenant to fill `{{tenant}}` with: `tenant`, or [`DEFAULT_TENANT`]. `None` when it could
/// change more of the URL than one path segment.
pub(crate) fn tenant_or_default(tenant: Option<&str>) -> Option<&str> {
    let tenant = tenant.unwrap_or(DEFAULT_TENANT);
    let safe = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant.chars().any(|c| c != '.')
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    safe.then_some(tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_that_could_escape_their_path_segment_are_refused() {
        assert_eq!(tenant_or_default(None), Some("common"));
        assert_eq!(
            tenant_or_default(Some("contoso.onmicrosoft.com")),
            Some("contoso.onmicrosoft.com")
        );
        assert_eq!(
            tenant_or_default(Some("72f988bf-86f1-41af-91ab-2d7cd011db47")),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        for bad in ["", "..", "a/b", "evil.example?x=", "a#b", "x y"] {
            assert_eq!(tenant_or_default(Some(bad)), None, "{bad:?}");
        }
    }
}
