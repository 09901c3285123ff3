//! A provider definition as written in its JSON file: CiviCRM's keys, plus `issuer` and
//! `refreshMargin`. Unknown keys are refused, so a misspelt option is caught at load instead of
//! being silently ignored.

use serde::{Deserialize, Serialize};
use url::Url;

use super::ProviderError;
use super::endpoint::{FieldProblem, Template};
use super::options::{ProviderOptions, json_path};
use super::plan::{DEFAULT_TENANT, plan};
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
        let local = Url::parse("http://127.0.0.1:3000/")
            .map_err(|e| invalid("options", format!("internal: {e}")))?;
        let template = Template {
            tenant: DEFAULT_TENANT,
            local: Some(&local),
        };
        plan(&self.options, self.issuer.as_deref(), &template)
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
