//! A provider definition as written in its JSON file: CiviCRM's keys, plus our own (`issuer`,
//! `refreshMargin`, `documentation`, the request quirks of [`super::quirks`] and the connection
//! values of [`super::connection`]). Unknown keys are refused, so a misspelt option is caught at
//! load instead of being silently ignored.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::ProviderError;
use super::connection::{
    Capture, CaptureSource, CaptureSpec, ConnectionSpec, ParameterSpec, ValueName,
};
use super::endpoint::{FieldProblem, Template, parse_endpoint};
use super::options::{ProviderOptions, json_path};
use super::plan::{DEFAULT_TENANT, plan};
use super::quirks::{
    Quirks, RefreshTokenLifetime, RequestParams, RevocationShape, TokenHeaders, TokenResponseFormat,
};
use crate::mail::MailTemplate;

/// One provider file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderDefinition {
    /// Human-readable name, shown by `authbridge providers list`.
    pub title: String,
    /// CiviCRM's implementation class; accepted for compatibility and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The mail servers a token of this provider logs in to (CiviCRM's `mailSettingsTemplate`),
    /// answered filled in by `GET /tokens/{tag}/mail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_settings_template: Option<MailTemplate>,
    /// CiviCRM's template for a contact made from a new token; accepted so CiviCRM's files load
    /// unchanged, and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_template: Option<serde_json::Value>,
    /// Free-form labels, e.g. `local-only`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Endpoints and defaults; a client's own `options` override them key by key.
    #[serde(default)]
    pub options: ProviderOptions,
    /// The OpenID Connect issuer (may use `{{tenant}}`): checked against `iss` in authorization
    /// responses (RFC 9207), and the source of the endpoints the options leave out (OpenID Connect
    /// Discovery 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Refresh a token this many seconds before it expires, instead of the deployment's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_margin: Option<u64>,
    /// The provider's own documentation of its OAuth 2.0 flow (an `https` URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    /// `false` when the provider refuses PKCE (RFC 7636); on when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce: Option<bool>,
    /// How the token endpoint encodes its answer: `json` (the default) or `form`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_response: Option<TokenResponseFormat>,
    /// Extra parameters of the authorization request.
    #[serde(default, skip_serializing_if = "RequestParams::is_empty")]
    pub authorize_params: RequestParams,
    /// Extra parameters of the code exchange.
    #[serde(default, skip_serializing_if = "RequestParams::is_empty")]
    pub token_params: RequestParams,
    /// Extra parameters of refresh requests.
    #[serde(default, skip_serializing_if = "RequestParams::is_empty")]
    pub refresh_params: RequestParams,
    /// Extra headers of the code exchange and refresh requests.
    #[serde(default, skip_serializing_if = "TokenHeaders::is_empty")]
    pub token_headers: TokenHeaders,
    /// Values a connection needs before it starts (`shop`, `subdomain`), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub connection_parameters: BTreeMap<ValueName, ParameterSpec>,
    /// Query parameters of the authorization response to keep (`realmId`, `accounts-server`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture_from_redirect: BTreeMap<String, CaptureSpec>,
    /// Members of the token response to keep (`instance_url`, `api_domain`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture_from_token: BTreeMap<String, CaptureSpec>,
    /// Seconds an access token is assumed to live when its response has no `expires_in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_access_token_lifetime: Option<u64>,
    /// The refresh token's lifetime, when the provider states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime: Option<RefreshTokenLifetime>,
    /// How the revocation request departs from RFC 7009.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<RevocationShape>,
}

impl ProviderDefinition {
    /// Parses and checks the text of the provider file `file` (named in every error).
    ///
    /// Beyond the JSON shape, every URL is checked with the default tenant and a loopback local
    /// base, so a typo in a URL fails here and not at a user's first sign-in.
    pub fn parse(file: &str, text: &str) -> Result<Self, ProviderError> {
        let mut json = serde_json::Deserializer::from_str(text);
        let definition: ProviderDefinition =
            serde_path_to_error::deserialize(&mut json).map_err(|e| {
                ProviderError::InvalidFile {
                    file: file.to_string(),
                    field: json_path("", &e.path().to_string()),
                    message: e.inner().to_string(),
                }
            })?;
        definition.check(file)?;
        Ok(definition)
    }

    /// Whether the endpoints come from the issuer's discovery document.
    pub fn needs_discovery(&self) -> bool {
        self.options.url_authorize.is_none() || self.options.url_access_token.is_none()
    }

    /// The request and answer quirks this file states.
    pub fn quirks(&self) -> Quirks {
        Quirks {
            pkce: self.pkce.unwrap_or(true),
            token_response: self.token_response.unwrap_or_default(),
            authorize_params: self.authorize_params.clone(),
            token_params: self.token_params.clone(),
            refresh_params: self.refresh_params.clone(),
            token_headers: self.token_headers.clone(),
            assumed_access_token_lifetime: self
                .assumed_access_token_lifetime
                .map(Duration::from_secs),
            refresh_token_lifetime: self.refresh_token_lifetime.clone(),
            revocation: self.revocation.clone().unwrap_or_default(),
        }
    }

    /// The connection parameters and captures this file declares, with the values `fixed` (the
    /// merged `options.connection`) set for every connection. The error is the JSON path at
    /// fault and why.
    pub(crate) fn connection_spec(
        &self,
        fixed: Option<&BTreeMap<String, String>>,
    ) -> Result<ConnectionSpec, (String, String)> {
        let mut spec = ConnectionSpec {
            parameters: self.connection_parameters.clone(),
            ..ConnectionSpec::default()
        };
        for (name, p) in &self.connection_parameters {
            let field = format!("connectionParameters.{name}");
            if p.description.trim().is_empty() {
                return Err((format!("{field}.description"), "must not be empty".into()));
            }
            for (key, value) in [
                ("example", Some(&p.example)),
                ("default", p.default.as_ref()),
            ] {
                if value.is_some_and(|v| !p.pattern.matches(v)) {
                    return Err((
                        format!("{field}.{key}"),
                        format!("does not match the pattern {:?}", p.pattern.as_str()),
                    ));
                }
            }
        }
        let sources = [
            (
                "captureFromRedirect",
                CaptureSource::Redirect,
                &self.capture_from_redirect,
            ),
            (
                "captureFromToken",
                CaptureSource::TokenResponse,
                &self.capture_from_token,
            ),
        ];
        for (key, source, captures) in sources {
            for (from, c) in captures {
                let field = format!("{key}.{from}");
                if source == CaptureSource::TokenResponse && from.split('.').any(str::is_empty) {
                    return Err((
                        field,
                        "a dotted key names nested members: no part may be empty".into(),
                    ));
                }
                let name = match &c.name {
                    Some(name) => name.clone(),
                    None => ValueName::parse(from)
                        .map_err(|m| (field.clone(), format!("{m}; give it one with \"as\"")))?,
                };
                let taken = spec.parameters.contains_key(&name)
                    || spec.captures.iter().any(|other| other.name == name);
                if taken {
                    return Err((field, format!("the name {name:?} is already used")));
                }
                if let (Some(pattern), Some(example)) = (&c.pattern, &c.example)
                    && !pattern.matches(example)
                {
                    return Err((
                        format!("{field}.example"),
                        format!("does not match the pattern {:?}", pattern.as_str()),
                    ));
                }
                spec.captures.push(Capture {
                    source,
                    key: from.clone(),
                    name,
                    spec: c.clone(),
                });
            }
        }
        for (name, value) in fixed.into_iter().flatten() {
            let field = format!("options.connection.{name}");
            let parameter = ValueName::parse(name).ok().and_then(|n| {
                spec.parameters
                    .get_key_value(&n)
                    .map(|(n, p)| (n.clone(), p))
            });
            let Some((name, parameter)) = parameter else {
                return Err((
                    field,
                    "names no connection parameter of this provider".into(),
                ));
            };
            if !parameter.pattern.matches(value) {
                return Err((
                    field,
                    format!(
                        "does not match the pattern {:?}",
                        parameter.pattern.as_str()
                    ),
                ));
            }
            spec.fixed.insert(name, value.clone());
        }
        Ok(spec)
    }

    fn check(&self, file: &str) -> Result<(), ProviderError> {
        let invalid = |field: &str, message: String| ProviderError::InvalidFile {
            file: file.to_string(),
            field: field.to_string(),
            message,
        };
        if self.title.trim().is_empty() {
            return Err(invalid("title", "must not be empty".into()));
        }
        if self.needs_discovery() && self.issuer.is_none() {
            return Err(ProviderError::MissingEndpoints {
                file: file.to_string(),
            });
        }
        if self.options.scope_separator.as_deref() == Some("") {
            return Err(invalid(
                "options.scopeSeparator",
                "must not be empty".into(),
            ));
        }
        if let Some(doc) = &self.documentation {
            let url = parse_endpoint(doc).map_err(|m| invalid("documentation", m))?;
            if url.scheme() != "https" {
                return Err(invalid("documentation", "must be an https URL".into()));
            }
        }
        if self.assumed_access_token_lifetime == Some(0) {
            return Err(invalid(
                "assumedAccessTokenLifetime",
                "must be at least one second".into(),
            ));
        }
        if let Some(l) = &self.refresh_token_lifetime {
            if l.seconds.is_none() && l.response_field.is_none() {
                return Err(invalid(
                    "refreshTokenLifetime",
                    "needs seconds, responseField or both".into(),
                ));
            }
            if l.seconds == Some(0) {
                return Err(invalid(
                    "refreshTokenLifetime.seconds",
                    "must be at least one second".into(),
                ));
            }
        }
        let spec = self
            .connection_spec(self.options.connection.as_ref())
            .map_err(|(field, message)| invalid(&field, message))?;
        let local = Url::parse("http://127.0.0.1:3000/")
            .map_err(|e| invalid("options", format!("internal: {e}")))?;
        let template = Template {
            tenant: DEFAULT_TENANT,
            local: Some(&local),
        };
        plan(&self.options, self.issuer.as_deref(), &spec, &template)
            .map(|_| ())
            .map_err(|(field, problem)| {
                let message = match problem {
                    FieldProblem::LocalBaseRequired => "needs the local base URL".to_string(),
                    FieldProblem::Invalid(reason) => reason,
                };
                invalid(field, message)
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    fn error(text: &str) -> String {
        ProviderDefinition::parse("acme.json", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_misspelt_option_is_refused_naming_file_and_field() {
        let msg =
            error(r#"{"title": "Acme", "options": {"urlAuthorise": "https://a.example/auth"}}"#);
        assert!(msg.contains("acme.json"), "{msg}");
        assert!(msg.contains("options"), "{msg}");
        assert!(msg.contains("urlAuthorise"), "{msg}");
    }

    #[test]
    fn a_wrong_type_names_the_nested_field() {
        let msg = error(
            r#"{"title": "Acme", "options": {"urlAuthorize": "https://a.example/a",
                "urlAccessToken": "https://a.example/t", "scopes": "email"}}"#,
        );
        assert!(msg.contains("acme.json: options.scopes:"), "{msg}");
    }

    #[test]
    fn a_bad_url_is_refused_at_load() {
        let msg = error(
            r#"{"title": "Acme", "options": {"urlAuthorize": "http://a.example/a",
                "urlAccessToken": "https://a.example/t"}}"#,
        );
        assert!(msg.contains("acme.json: options.urlAuthorize:"), "{msg}");
        assert!(msg.contains("plain http"), "{msg}");
    }

    #[test]
    fn endpoints_or_an_issuer_are_required() {
        let msg = error(r#"{"title": "Acme", "options": {"urlAuthorize": "https://a.example/a"}}"#);
        assert!(msg.contains("acme.json"), "{msg}");
        assert!(msg.contains("urlAccessToken"), "{msg}");
        let issuer_only = r#"{"title": "Acme", "issuer": "https://idp.example"}"#;
        let def = ProviderDefinition::parse("acme.json", issuer_only).unwrap();
        assert!(def.needs_discovery());
    }

    #[test]
    fn civicrm_class_is_accepted_and_overrides_replace_only_what_they_name() {
        let def = ProviderDefinition::parse(
            "acme.json",
            r#"{"title": "Acme", "class": "League\\Generic", "options": {
                "urlAuthorize": "https://a.example/a", "urlAccessToken": "https://a.example/t",
                "scopes": ["a"], "prompt": "consent"}}"#,
        )
        .unwrap();
        let mut map = Map::new();
        map.insert("scopes".into(), serde_json::json!(["b", "c"]));
        let merged = def
            .options
            .overridden_by(&ProviderOptions::from_map(&map).unwrap());
        assert_eq!(merged.scopes, Some(vec!["b".to_string(), "c".to_string()]));
        assert_eq!(merged.prompt.as_deref(), Some("consent"));
        map.insert("promt".into(), serde_json::json!("none"));
        let (field, message) = ProviderOptions::from_map(&map).unwrap_err();
        assert_eq!(field, "options.promt");
        assert!(message.contains("promt"), "{message}");
    }
}
