//! The mail template of a provider file (`mailSettingsTemplate`), checked when the file loads.
//!
//! Two shapes are read. authbridge's own: a list of servers, one per protocol,
//!
//! ```json
//! [{"protocol": "IMAP", "server": "imap.gmail.com", "port": 993, "security": "ssl",
//!   "username": "{{token.resource_owner.email}}"}]
//! ```
//!
//! and CiviCRM's: one object describing the incoming mailbox, with `protocol:name` and `is_ssl`
//! and the other columns of its `MailSettings` entity (`name`, `domain`, `localpart`,
//! `return_path`, `password`), which are accepted and ignored. A misspelt key is refused.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A mail protocol a template describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MailProtocol {
    /// Reading a mailbox (RFC 9051).
    #[serde(alias = "imap")]
    Imap,
    /// Reading a mailbox, the older way (RFC 1939).
    #[serde(alias = "pop3")]
    Pop3,
    /// Sending mail (RFC 5321; submission, RFC 6409).
    #[serde(alias = "smtp")]
    Smtp,
}

impl MailProtocol {
    /// The key of this protocol in `GET /tokens/{tag}/mail`.
    pub fn key(self) -> &'static str {
        match self {
            MailProtocol::Imap => "imap",
            MailProtocol::Pop3 => "pop3",
            MailProtocol::Smtp => "smtp",
        }
    }

    /// The port registered for this protocol and security (RFC 8314 §7 for implicit TLS).
    pub fn default_port(self, security: MailSecurity) -> u16 {
        match (self, security) {
            (MailProtocol::Imap, MailSecurity::Ssl) => 993,
            (MailProtocol::Imap, _) => 143,
            (MailProtocol::Pop3, MailSecurity::Ssl) => 995,
            (MailProtocol::Pop3, _) => 110,
            (MailProtocol::Smtp, MailSecurity::Ssl) => 465,
            (MailProtocol::Smtp, _) => 587,
        }
    }
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    /// TLS from the first byte ("implicit TLS", RFC 8314 §3).
    #[serde(alias = "tls")]
    Ssl,
    /// Plain text upgraded with `STARTTLS` (RFC 3207, RFC 9051 §6.2.1).
    Starttls,
    /// No TLS: only for test servers on loopback.
    None,
}

/// One server of a template, with the username still a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailServerTemplate {
    pub protocol: MailProtocol,
    /// The host name.
    pub server: String,
    /// The port; when absent, the protocol's registered port for `security`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub security: MailSecurity,
    /// The login name; may use `{{token.resource_owner.KEY}}` and `{{token.resource_owner_name}}`.
    pub username: String,
}

/// CiviCRM's one-object form, as its `ms-exchange.dist.json` writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CiviCrmTemplate {
    #[serde(rename = "protocol:name", alias = "protocol")]
    protocol: MailProtocol,
    server: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    is_ssl: Option<bool>,
    #[serde(default)]
    security: Option<MailSecurity>,
    username: String,
    // The rest of CiviCRM's MailSettings columns: accepted, not used.
    #[serde(default, rename = "name")]
    _name: Value,
    #[serde(default, rename = "domain")]
    _domain: Value,
    #[serde(default, rename = "localpart")]
    _localpart: Value,
    #[serde(default, rename = "return_path")]
    _return_path: Value,
    #[serde(default, rename = "password")]
    _password: Value,
}

/// A provider's mail template: at most one server per protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Vec<MailServerTemplate>")]
pub struct MailTemplate {
    servers: Vec<MailServerTemplate>,
}

impl From<MailTemplate> for Vec<MailServerTemplate> {
    fn from(template: MailTemplate) -> Self {
        template.servers
    }
}

/// Why a mail template is refused (at load) or cannot be filled (for one token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailTemplateError {
    #[error("{0}")]
    Shape(String),
    #[error("two servers for {0:?}; give one per protocol")]
    DuplicateProtocol(MailProtocol),
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    /// The token's resource owner lacks what the username names.
    #[error("the token's resource owner has no {0:?}, which the provider's mail username needs")]
    OwnerValueMissing(String),
}

impl TryFrom<Value> for MailTemplate {
    type Error = MailTemplateError;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        let shape = |e: serde_json::Error| MailTemplateError::Shape(e.to_string());
        let servers: Vec<MailServerTemplate> = match value {
            Value::Array(_) => serde_json::from_value(value).map_err(shape)?,
            Value::Object(_) => {
                let civi: CiviCrmTemplate = serde_json::from_value(value).map_err(shape)?;
                let security = civi.security.unwrap_or(match civi.is_ssl {
                    Some(false) => MailSecurity::Starttls,
                    _ => MailSecurity::Ssl,
                });
                vec![MailServerTemplate {
                    protocol: civi.protocol,
                    server: civi.server,
                    port: civi.port,
                    security,
                    username: civi.username,
                }]
            }
            _ => {
                return Err(MailTemplateError::Shape(
                    "must be a list of servers or CiviCRM's mail settings object".into(),
                ));
            }
        };
        MailTemplate::new(servers)
    }
}

impl MailTemplate {
    /// A template of these servers, checked: one per protocol, a host name, and usernames whose
    /// placeholders authbridge can fill.
    pub fn new(servers: Vec<MailServerTemplate>) -> Result<Self, MailTemplateError> {
        for (i, server) in servers.iter().enumerate() {
            if servers[..i].iter().any(|s| s.protocol == server.protocol) {
                return Err(MailTemplateError::DuplicateProtocol(server.protocol));
            }
            let host_ok = !server.server.is_empty()
                && server
                    .server
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !host_ok {
                return Err(MailTemplateError::Field {
                    field: format!("[{i}].server"),
                    message: "must be a host name".into(),
                });
            }
            if server.port == Some(0) {
                return Err(MailTemplateError::Field {
                    field: format!("[{i}].port"),
                    message: "must not be 0".into(),
                });
            }
            placeholders(&server.username).map_err(|message| MailTemplateError::Field {
                field: format!("[{i}].username"),
                message,
            })?;
        }
        Ok(MailTemplate { servers })
    }

    /// The servers, in the order the file gives them.
    pub fn servers(&self) -> &[MailServerTemplate] {
        &self.servers
    }
}

/// Where a placeholder takes its value from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    /// A key (or dotted path) of the token's resource owner.
    Owner(String),
    /// The token's resource owner name.
    OwnerName,
}

/// A username template split into literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part<'a> {
    Text(&'a str),
    Value(Source),
}

/// The parts of `template`, or why a placeholder is not one authbridge fills.
pub(super) fn placeholders(template: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "a \"{{\" is not closed".to_string())?;
        let name = after[..end].trim();
        let source = if name == "token.resource_owner_name" {
            Source::OwnerName
        } else if let Some(path) = name.strip_prefix("token.resource_owner.")
            && !path.is_empty()
            && path
                .split('.')
                .all(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'))
        {
            Source::Owner(path.to_string())
        } else {
            return Err(format!(
                "unknown placeholder {{{{{name}}}}}: use {{{{token.resource_owner.KEY}}}} or {{{{token.resource_owner_name}}}} (no filters)"
            ));
        };
        parts.push(Part::Value(source));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_reads_and_ports_default_by_protocol_and_security() {
        let t = MailTemplate::try_from(json!([
            {"protocol": "IMAP", "server": "imap.example", "security": "ssl",
             "username": "{{token.resource_owner.email}}"},
            {"protocol": "smtp", "server": "smtp.example", "security": "starttls",
             "username": "{{token.resource_owner.email}}"}
        ]))
        .unwrap();
        assert_eq!(t.servers().len(), 2);
        assert_eq!(t.servers()[1].protocol, MailProtocol::Smtp);
        assert_eq!(MailProtocol::Imap.default_port(MailSecurity::Ssl), 993);
        assert_eq!(MailProtocol::Smtp.default_port(MailSecurity::Starttls), 587);
        assert_eq!(MailProtocol::Smtp.default_port(MailSecurity::Ssl), 465);
    }

    #[test]
    fn civicrm_s_object_form_loads_as_one_server() {
        let t = MailTemplate::try_from(json!({
            "name": "{{token.resource_owner.email}}",
            "domain": "{{token.resource_owner.email|getMailDomain}}",
            "localpart": null, "return_path": null, "password": null,
            "protocol:name": "IMAP", "server": "outlook.office365.com",
            "username": "{{token.resource_owner.email}}", "is_ssl": true
        }))
        .unwrap();
        assert_eq!(t.servers().len(), 1);
        assert_eq!(t.servers()[0].security, MailSecurity::Ssl);
        assert_eq!(t.servers()[0].server, "outlook.office365.com");
    }

    #[test]
    fn a_misspelt_key_a_second_imap_or_an_unknown_placeholder_is_refused() {
        let misspelt = MailTemplate::try_from(json!([
            {"protocol": "IMAP", "server": "i.example", "security": "ssl", "username": "u",
             "prot": 1}
        ]))
        .unwrap_err();
        assert!(misspelt.to_string().contains("prot"), "{misspelt}");
        let server = json!({"protocol": "IMAP", "server": "i.example", "security": "ssl",
            "username": "u"});
        let twice = MailTemplate::try_from(json!([server, server])).unwrap_err();
        assert_eq!(
            twice,
            MailTemplateError::DuplicateProtocol(MailProtocol::Imap)
        );
        let filter = MailTemplate::try_from(json!([{"protocol": "IMAP", "server": "i.example",
            "security": "ssl", "username": "{{token.resource_owner.email|lower}}"}]))
        .unwrap_err();
        assert!(filter.to_string().contains("[0].username"), "{filter}");
        let host = MailTemplate::try_from(json!([{"protocol": "IMAP", "server": "i.example/x",
            "security": "ssl", "username": "u"}]))
        .unwrap_err();
        assert!(host.to_string().contains("[0].server"), "{host}");
    }

    #[test]
    fn placeholders_split_text_and_values() {
        let parts =
            placeholders("x-{{ token.resource_owner.a.b }}@{{token.resource_owner_name}}").unwrap();
        assert_eq!(
            parts,
            vec![
                Part::Text("x-"),
                Part::Value(Source::Owner("a.b".into())),
                Part::Text("@"),
                Part::Value(Source::OwnerName),
            ]
        );
        assert!(placeholders("{{token.resource_owner.email").is_err());
    }
}
