//! A mail template filled in for one token, and the SASL `XOAUTH2` initial response.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;

use super::template::{MailTemplate, MailTemplateError, Part, Source, placeholders};
use super::{MailProtocol, MailSecurity};

/// One server, ready to connect to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailServer {
    #[serde(skip)]
    pub protocol: MailProtocol,
    pub server: String,
    pub port: u16,
    pub security: MailSecurity,
    pub username: String,
}

/// The filled-in servers of a template, one per protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub servers: Vec<MailServer>,
}

impl MailTemplate {
    /// The settings for a token whose resource owner is `owner` (the provider's description of
    /// the account) and whose resource owner name is `owner_name`.
    pub fn fill(
        &self,
        owner: Option<&Value>,
        owner_name: Option<&str>,
    ) -> Result<MailSettings, MailTemplateError> {
        let servers = self
            .servers()
            .iter()
            .map(|t| {
                Ok(MailServer {
                    protocol: t.protocol,
                    server: t.server.clone(),
                    port: t
                        .port
                        .unwrap_or_else(|| t.protocol.default_port(t.security)),
                    security: t.security,
                    username: fill_text(&t.username, owner, owner_name)?,
                })
            })
            .collect::<Result<_, MailTemplateError>>()?;
        Ok(MailSettings { servers })
    }
}

fn fill_text(
    template: &str,
    owner: Option<&Value>,
    owner_name: Option<&str>,
) -> Result<String, MailTemplateError> {
    let parts = placeholders(template).map_err(MailTemplateError::Shape)?;
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Value(Source::OwnerName) => out.push_str(
                owner_name
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| MailTemplateError::OwnerValueMissing("name".into()))?,
            ),
            Part::Value(Source::Owner(path)) => {
                let value = owner
                    .and_then(|owner| path.split('.').try_fold(owner, |v, key| v.get(key)))
                    .and_then(scalar);
                out.push_str(&value.ok_or(MailTemplateError::OwnerValueMissing(path))?);
            }
        }
    }
    Ok(out)
}

/// A string or number as text; anything else (or an empty string) is no value.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The SASL `XOAUTH2` initial response for `user` and an OAuth 2.0 bearer `token`:
/// `base64("user=" user ^A "auth=Bearer " token ^A ^A)`, as Google and Microsoft document it for
/// IMAP `AUTHENTICATE XOAUTH2` and SMTP `AUTH XOAUTH2`. Secret, like the token it carries.
pub fn xoauth2(user: &str, token: &SecretString) -> SecretString {
    let raw = format!(
        "user={user}\x01auth=Bearer {}\x01\x01",
        token.expose_secret()
    );
    SecretString::from(STANDARD.encode(raw.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> MailTemplate {
        MailTemplate::try_from(json!([
            {"protocol": "IMAP", "server": "imap.example", "security": "ssl",
             "username": "{{token.resource_owner.email}}"},
            {"protocol": "SMTP", "server": "smtp.example", "port": 2525, "security": "starttls",
             "username": "{{token.resource_owner_name}}"}
        ]))
        .unwrap()
    }

    #[test]
    fn fills_usernames_from_the_resource_owner_and_default_ports() {
        let owner = json!({"email": "ann@example.test", "sub": "ann"});
        let settings = template().fill(Some(&owner), Some("Ann")).unwrap();
        assert_eq!(settings.servers[0].username, "ann@example.test");
        assert_eq!(settings.servers[0].port, 993);
        assert_eq!(settings.servers[1].username, "Ann");
        assert_eq!(settings.servers[1].port, 2525);
    }

    #[test]
    fn a_missing_owner_value_is_named() {
        let owner = json!({"sub": "ann"});
        let err = template().fill(Some(&owner), Some("Ann")).unwrap_err();
        assert_eq!(err, MailTemplateError::OwnerValueMissing("email".into()));
        let err = template().fill(None, Some("Ann")).unwrap_err();
        assert_eq!(err, MailTemplateError::OwnerValueMissing("email".into()));
    }

    #[test]
    fn xoauth2_is_the_documented_initial_response() {
        // Google's example: user=someuser@example.com^Aauth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg^A^A
        let token = SecretString::from("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
        let encoded = xoauth2("someuser@example.com", &token);
        assert_eq!(
            encoded.expose_secret(),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }
}
