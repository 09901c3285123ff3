//! A provider made concrete for one client: the definition's options with the client's overrides,
//! placeholders filled in, every URL parsed and checked (its [`Plan`]), and discovered endpoints
//! filled in. URLs that name connection values stay templates until a connection's values are
//! known ([`ResolvedProvider::endpoints_for`]).

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;

use super::connection::{
    CaptureSource, Captured, ConnectionError, ConnectionSpec, ConnectionValues,
};
use super::definition::ProviderDefinition;
use super::discovery::OidcMetadata;
use super::endpoint::Issuer;
use super::options::{ProviderOptions, TokenAuthMethod};
use super::plan::Plan;
use super::quirks::Quirks;
use super::url_template::{ConnectionEndpoints, Endpoints, OwnerTemplate, UrlTemplate};

/// The member `key` of a token response `body` as text: the member of that whole name, else,
/// for a dotted key (`team.id`, `authed_user.id`), the member reached through nested objects. A
/// string is taken as it is and a number as written; anything else (`null`, an object) is no
/// value.
pub(crate) fn member(
    body: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<String> {
    use serde_json::Value;
    let value = match body.get(key) {
        Some(v) => v,
        None if key.contains('.') => {
            let mut parts = key.split('.');
            let first = body.get(parts.next()?)?;
            parts.try_fold(first, |v, part| v.as_object()?.get(part))?
        }
        None => return None,
    };
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Everything a flow needs to talk to one provider for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedProvider {
    /// The provider's name (its file name without `.json`).
    pub name: String,
    /// The provider's title.
    pub title: String,
    /// The provider's documentation, when its file names it.
    pub documentation: Option<Url>,
    /// Its endpoints, possibly naming connection values.
    pub endpoints: Endpoints,
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
    /// How its requests and answers depart from plain OAuth 2.0.
    pub quirks: Quirks,
    /// The values a connection supplies or captures, and those the client fixed.
    pub connection: ConnectionSpec,
}

impl ResolvedProvider {
    /// `scopes` joined for the `scope` parameter (RFC 6749 §3.3) with this provider's separator.
    pub fn scope_param(&self, scopes: &[String]) -> String {
        scopes.join(&self.scope_separator)
    }

    /// A connection's values: what a start `supplied` (parameter name to value), the client's
    /// fixed values and the defaults, each checked against its pattern.
    pub fn connection_values(
        &self,
        supplied: &BTreeMap<String, String>,
    ) -> Result<ConnectionValues, ConnectionError> {
        self.connection.values(supplied)
    }

    /// The values stored on a connection (its public metadata), checked again.
    pub fn stored_values(
        &self,
        metadata: &BTreeMap<String, String>,
    ) -> Result<ConnectionValues, ConnectionError> {
        self.connection.stored(metadata)
    }

    /// The values to keep from the authorization response's query parameters `query`.
    pub fn capture_redirect(
        &self,
        query: &[(String, String)],
    ) -> Result<Captured, ConnectionError> {
        self.connection.capture(CaptureSource::Redirect, |key| {
            query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        })
    }

    /// The values to keep from the token response's JSON object `body` (see [`member`]).
    pub fn capture_token(
        &self,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Captured, ConnectionError> {
        self.connection
            .capture(CaptureSource::TokenResponse, |key| member(body, key))
    }

    /// The captured values a refresh answer `body` carries again, to replace the stored ones (see
    /// [`ConnectionSpec::recapture`]).
    pub fn recapture_token(
        &self,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Captured, ConnectionError> {
        self.connection
            .recapture(CaptureSource::TokenResponse, |key| member(body, key))
    }

    /// Every endpoint for a connection with `values`.
    pub fn endpoints_for(
        &self,
        values: &ConnectionValues,
    ) -> Result<ConnectionEndpoints, ConnectionError> {
        self.endpoints.fill(values)
    }

    /// The endpoints of a connection that supplies nothing (the client's fixed values and the
    /// defaults only): every endpoint of a provider without connection values.
    pub fn fixed_endpoints(&self) -> Result<ConnectionEndpoints, ConnectionError> {
        self.endpoints_for(&self.connection_values(&BTreeMap::new())?)
    }

    /// The provider `plan` resolves `definition` to, with what the options left out taken from
    /// `metadata`. `None` when an endpoint is still missing (no metadata was given for a provider
    /// that needed it).
    pub(crate) fn from_plan(
        plan: Plan,
        name: &str,
        definition: &ProviderDefinition,
        options: &ProviderOptions,
        connection: ConnectionSpec,
        metadata: Option<&OidcMetadata>,
    ) -> Option<ResolvedProvider> {
        let discovered = |field: &'static str, url: &Url| UrlTemplate::literal(field, url);
        let authorize = plan.authorize.or_else(|| {
            metadata.map(|m| discovered("options.urlAuthorize", &m.authorization_endpoint))
        })?;
        let token = plan.token.or_else(|| {
            metadata.map(|m| discovered("options.urlAccessToken", &m.token_endpoint))
        })?;
        let owner = plan.owner.unwrap_or_else(|| match metadata {
            Some(m) => m
                .userinfo_endpoint
                .as_ref()
                .map_or(OwnerTemplate::IdToken, |u| {
                    OwnerTemplate::Url(discovered("options.urlResourceOwnerDetails", u))
                }),
            None => OwnerTemplate::None,
        });
        let revocation = plan.revocation.or_else(|| {
            metadata.and_then(|m| {
                m.revocation_endpoint
                    .as_ref()
                    .map(|u| discovered("options.urlRevokeToken", u))
            })
        });
        let refresh = plan.refresh.unwrap_or_else(|| token.clone());
        // OpenID Connect Core §3.1.2.1: an OpenID request must carry the `openid` scope.
        let scopes = options.scopes.clone().unwrap_or_else(|| match metadata {
            Some(_) => vec!["openid".to_string()],
            None => Vec::new(),
        });
        Some(ResolvedProvider {
            name: name.to_string(),
            title: definition.title.clone(),
            documentation: definition
                .documentation
                .as_deref()
                .and_then(|d| Url::parse(d).ok()),
            endpoints: Endpoints {
                authorize,
                token,
                refresh,
                revocation,
                owner,
            },
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
            quirks: definition.quirks(),
            connection,
        })
    }
}

#[cfg(test)]
mod tests;
