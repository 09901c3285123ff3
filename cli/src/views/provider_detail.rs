//! A provider as `providers show` prints it: its resolved definition, URLs that name connection
//! values left as templates.

use std::collections::BTreeMap;

use authbridge::providers::{
    LifetimeStart, OwnerTemplate, ProviderDefinition, ResolvedProvider, TokenAuthMethod,
    TokenResponseFormat, quirks,
};
use serde::Serialize;

use crate::output::{NONE, Record, or_none, yes_no};

/// One connection parameter or capture.
#[derive(Debug, Serialize)]
pub struct ValueView {
    /// `parameter (start)`, `parameter (client)`, `redirect` or `token response`.
    pub from: String,
    /// The query parameter or response member it is read from (captures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The pattern it must match, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Whether it is sealed and kept out of URLs.
    pub secret: bool,
}

/// A provider's resolved definition.
#[derive(Debug, Serialize)]
pub struct ProviderDetail {
    pub name: String,
    pub title: String,
    pub documentation: Option<String>,
    pub tags: Vec<String>,
    pub authorize_url: String,
    pub token_url: String,
    pub refresh_url: String,
    pub revocation_url: Option<String>,
    /// A URL, `id_token`, or `none`.
    pub owner: String,
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
    pub scope_separator: String,
    pub token_auth_method: String,
    pub pkce: bool,
    pub token_response: String,
    pub authorize_params: BTreeMap<String, String>,
    pub token_params: BTreeMap<String, String>,
    pub refresh_params: BTreeMap<String, String>,
    pub token_headers: BTreeMap<String, String>,
    /// The values `{{connection.NAME}}` may name, by name.
    pub connection_values: BTreeMap<String, ValueView>,
    /// Seconds.
    pub assumed_access_token_lifetime: Option<u64>,
    /// Seconds, when the file states them.
    pub refresh_token_lifetime: Option<u64>,
    pub refresh_token_lifetime_field: Option<String>,
    /// `authorization` or `last_use`.
    pub refresh_token_lifetime_since: Option<String>,
    /// The catalogue's one-line summary of each quirk.
    pub quirks: Vec<String>,
}

fn pairs<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    items.map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl ProviderDetail {
    /// The view of `provider`, resolved from `definition`.
    pub fn new(provider: &ResolvedProvider, definition: &ProviderDefinition) -> Self {
        let q = &provider.quirks;
        let mut connection_values = BTreeMap::new();
        for (name, p) in &provider.connection.parameters {
            let who = if p.per_client { "client" } else { "start" };
            connection_values.insert(
                name.to_string(),
                ValueView {
                    from: format!("parameter ({who})"),
                    key: None,
                    pattern: Some(p.pattern.as_str().to_string()),
                    secret: false,
                },
            );
        }
        for c in &provider.connection.captures {
            let from = match c.source {
                authbridge::providers::CaptureSource::Redirect => "redirect",
                authbridge::providers::CaptureSource::TokenResponse => "token response",
            };
            connection_values.insert(
                c.name.to_string(),
                ValueView {
                    from: from.to_string(),
                    key: Some(c.key.clone()),
                    pattern: c.spec.pattern.as_ref().map(|p| p.as_str().to_string()),
                    secret: c.spec.secret,
                },
            );
        }
        let lifetime = q.refresh_token_lifetime.as_ref();
        ProviderDetail {
            name: provider.name.clone(),
            title: provider.title.clone(),
            documentation: provider.documentation.as_ref().map(|u| u.to_string()),
            tags: provider.tags.clone(),
            authorize_url: provider.endpoints.authorize.to_string(),
            token_url: provider.endpoints.token.to_string(),
            refresh_url: provider.endpoints.refresh.to_string(),
            revocation_url: provider
                .endpoints
                .revocation
                .as_ref()
                .map(|t| t.to_string()),
            owner: match &provider.endpoints.owner {
                OwnerTemplate::Url(t) => t.to_string(),
                OwnerTemplate::IdToken => "id_token".to_string(),
                OwnerTemplate::None => "none".to_string(),
            },
            issuer: provider.issuer.as_ref().map(|i| i.to_string()),
            scopes: provider.scopes.clone(),
            scope_separator: provider.scope_separator.clone(),
            token_auth_method: match provider.token_auth_method {
                TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
                TokenAuthMethod::ClientSecretPost => "client_secret_post",
            }
            .to_string(),
            pkce: q.pkce,
            token_response: match q.token_response {
                TokenResponseFormat::Json => "json",
                TokenResponseFormat::Form => "form",
            }
            .to_string(),
            authorize_params: pairs(q.authorize_params.iter()),
            token_params: pairs(q.token_params.iter()),
            refresh_params: pairs(q.refresh_params.iter()),
            token_headers: pairs(q.token_headers.iter()),
            connection_values,
            assumed_access_token_lifetime: q.assumed_access_token_lifetime.map(|d| d.as_secs()),
            refresh_token_lifetime: lifetime.and_then(|l| l.seconds),
            refresh_token_lifetime_field: lifetime.and_then(|l| l.response_field.clone()),
            refresh_token_lifetime_since: lifetime.map(|l| {
                match l.since {
                    LifetimeStart::Authorization => "authorization",
                    LifetimeStart::LastUse => "last_use",
                }
                .to_string()
            }),
            quirks: quirks(definition),
        }
    }
}

fn map_text(map: &BTreeMap<String, String>) -> String {
    if map.is_empty() {
        return NONE.to_string();
    }
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Record for ProviderDetail {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let values = self
            .connection_values
            .iter()
            .map(|(name, v)| {
                let pattern = v
                    .pattern
                    .as_deref()
                    .map(|p| format!(" ~ {p}"))
                    .unwrap_or_default();
                let secret = if v.secret { ", secret" } else { "" };
                format!("{name} ({}{secret}){pattern}", v.from)
            })
            .collect::<Vec<_>>();
        let or_list = |items: &[String], sep: &str| {
            if items.is_empty() {
                NONE.to_string()
            } else {
                items.join(sep)
            }
        };
        vec![
            ("name", self.name.clone()),
            ("title", self.title.clone()),
            ("documentation", or_none(self.documentation.as_deref())),
            ("authorize url", self.authorize_url.clone()),
            ("token url", self.token_url.clone()),
            ("refresh url", self.refresh_url.clone()),
            ("revocation url", or_none(self.revocation_url.as_deref())),
            ("owner", self.owner.clone()),
            ("issuer", or_none(self.issuer.as_deref())),
            ("scopes", self.scopes.join(&self.scope_separator)),
            ("client authentication", self.token_auth_method.clone()),
            ("pkce", yes_no(self.pkce)),
            ("token response", self.token_response.clone()),
            ("authorize params", map_text(&self.authorize_params)),
            ("token params", map_text(&self.token_params)),
            ("refresh params", map_text(&self.refresh_params)),
            ("token headers", map_text(&self.token_headers)),
            ("connection values", or_list(&values, "\n")),
            ("quirks", or_list(&self.quirks, "\n")),
        ]
    }
}
