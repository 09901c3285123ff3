//! The token endpoint's answer, read leniently where real providers differ from RFC 6749 §5.1:
//! `expires_in` sent as a string, `scope` separated by commas (GitHub), lower-case `bearer`.
//! Unknown fields (`id_token`, `ext_expires_in`, ...) are kept so the whole answer can be stored.

use std::time::Duration;

use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, RefreshToken, Scope, TokenResponse};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A successful token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderTokenResponse {
    access_token: AccessToken,
    #[serde(deserialize_with = "oauth2::helpers::deserialize_untagged_enum_case_insensitive")]
    token_type: BasicTokenType,
    #[serde(
        default,
        deserialize_with = "number_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(
        default,
        deserialize_with = "scope_list",
        serialize_with = "scope_string",
        skip_serializing_if = "Option::is_none"
    )]
    scope: Option<Vec<Scope>>,
    /// OpenID Connect's ID token (a JWT), when the provider sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl ProviderTokenResponse {
    /// The ID token, when the provider sent one.
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_deref()
    }

    /// The token type as a string (`Bearer`, ...).
    pub fn token_type_name(&self) -> String {
        match &self.token_type {
            BasicTokenType::Bearer => "Bearer".to_string(),
            BasicTokenType::Mac => "MAC".to_string(),
            BasicTokenType::Extension(other) => other.clone(),
        }
    }

    /// The members authbridge does not read itself (`instance_url`, `api_domain`, ...), as sent.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// The member `name` as a number of seconds (a number, or a string of one); `None` when
    /// it is absent or no such number.
    pub fn member_seconds(&self, name: &str) -> Option<u64> {
        match self.extra.get(name)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The whole response as JSON, for the sealed `raw` field.
    pub fn to_raw_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl TokenResponse for ProviderTokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Number(u64),
        Float(f64),
        Text(String),
    }
    Ok(match Option::<Lenient>::deserialize(d)? {
        None => None,
        Some(Lenient::Number(n)) => Some(n),
        Some(Lenient::Float(f)) if f >= 0.0 => Some(f as u64),
        Some(Lenient::Float(_)) => None,
        Some(Lenient::Text(s)) => {
            Some(s.trim().parse().map_err(|_| {
                serde::de::Error::custom(format!("expires_in is not a number: {s:?}"))
            })?)
        }
    })
}

fn scope_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Scope>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| {
        s.split([' ', ','])
            .filter(|p| !p.is_empty())
            .map(|p| Scope::new(p.to_string()))
            .collect()
    }))
}

fn scope_string<S: serde::Serializer>(
    scopes: &Option<Vec<Scope>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match scopes {
        Some(list) => s.serialize_str(
            &list
                .iter()
                .map(|scope| scope.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ProviderTokenResponse {
        serde_json::from_str(json).expect("a token response")
    }

    #[test]
    fn expires_in_may_be_a_number_or_a_string() {
        let n = parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":3599}"#);
        assert_eq!(n.expires_in(), Some(Duration::from_secs(3599)));
        let s = parse(r#"{"access_token":"a","token_type":"bearer","expires_in":"3600"}"#);
        assert_eq!(s.expires_in(), Some(Duration::from_secs(3600)));
        let none = parse(r#"{"access_token":"a","token_type":"Bearer"}"#);
        assert_eq!(none.expires_in(), None);
        let bad = serde_json::from_str::<ProviderTokenResponse>(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#,
        );
        assert!(bad.is_err());
    }

    #[test]
    fn scopes_split_on_spaces_or_commas_and_extras_are_kept() {
        let r = parse(
            r#"{"access_token":"a","token_type":"bearer","scope":"repo,gist","id_token":"x.y.z","ext_expires_in":1}"#,
        );
        let scopes: Vec<_> = r.scopes().unwrap().iter().map(|s| s.to_string()).collect();
        assert_eq!(scopes, ["repo", "gist"]);
        assert_eq!(r.id_token(), Some("x.y.z"));
        assert_eq!(r.token_type_name(), "Bearer");
        let raw: Value = serde_json::from_str(&r.to_raw_json()).unwrap();
        assert_eq!(raw["ext_expires_in"], 1);
        assert_eq!(raw["scope"], "repo gist");
    }
}
