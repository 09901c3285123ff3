//! The resource owner: who granted the token, read from the provider's owner endpoint or from the
//! ID token's claims, and the display name CiviCRM users see (`name`, else `upn`,
//! `userPrincipalName`, `mail`, `email`, `id`). Its stable id (`sub`, else `id`) is the account
//! whose grant the record holds ([`crate::domain::AccountKey`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::context::OAuthContext;
use super::token_response::ProviderTokenResponse;
use crate::providers::{ConnectionValues, OwnerSource, ResolvedProvider};

/// The resource owner of a token `response`, from the provider's owner endpoint (filled with the
/// connection's `values`) or the ID token. A failure here does not lose the grant: the token is
/// stored without an owner and the failure is logged.
pub async fn read_owner(
    ctx: &OAuthContext,
    provider: &ResolvedProvider,
    values: &ConnectionValues,
    response: &ProviderTokenResponse,
) -> Option<Value> {
    use oauth2::TokenResponse;
    let owner = provider
        .endpoints
        .owner
        .fill(values)
        .map_err(|e| tracing::warn!(provider = %provider.name, error = %e, "the owner endpoint needs connection values"))
        .ok()?;
    match &owner {
        OwnerSource::IdToken => response.id_token().and_then(id_token_claims),
        OwnerSource::None => None,
        OwnerSource::Url(url) => {
            let result = ctx
                .http
                .client()
                .get(url.clone())
                .bearer_auth(response.access_token().secret())
                .header("accept", "application/json")
                .send()
                .await;
            match result {
                Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
                Ok(r) => {
                    tracing::warn!(status = r.status().as_u16(), provider = %provider.name, "the owner endpoint refused");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), provider = %provider.name, "the owner endpoint failed");
                    None
                }
            }
        }
    }
}

/// The claims of a JWT's payload, without verifying its signature.
///
/// Used only for an ID token received directly from the token endpoint over TLS, where OpenID
/// Connect Core §3.1.3.7 allows TLS server validation in place of checking the signature.
pub fn id_token_claims(id_token: &str) -> Option<Value> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.is_object().then_some(claims)
}

/// The display name of an owner, by CiviCRM's order of preference.
pub fn owner_name(owner: &Value) -> Option<String> {
    [
        "name",
        "upn",
        "userPrincipalName",
        "mail",
        "email",
        "id",
        "login",
        "sub",
    ]
    .iter()
    .find_map(|key| match owner.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_name_follows_civicrms_preference() {
        assert_eq!(
            owner_name(&json!({"name": "Ada", "email": "a@x"})).as_deref(),
            Some("Ada")
        );
        assert_eq!(
            owner_name(&json!({"upn": "ada@contoso", "mail": "m"})).as_deref(),
            Some("ada@contoso")
        );
        assert_eq!(
            owner_name(&json!({"name": " ", "email": "a@x"})).as_deref(),
            Some("a@x")
        );
        assert_eq!(owner_name(&json!({"id": 42})).as_deref(), Some("42"));
        assert_eq!(owner_name(&json!({})), None);
    }

    #[test]
    fn id_token_claims_are_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","email":"a@example.org"}"#);
        let claims = id_token_claims(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims["email"], "a@example.org");
        assert!(id_token_claims("not-a-jwt").is_none());
        assert!(id_token_claims("a.!!!.c").is_none());
    }
}
