//! Token revocation (RFC 7009): when a connection is replaced or deleted, its grant is ended at the
//! provider, so no orphaned refresh token stays live there.
//!
//! A revocation is best effort: a provider without a revocation endpoint, or one that fails, is
//! logged and never blocks the person or operator who replaced or deleted the connection.

use secrecy::{ExposeSecret, SecretString};

use super::context::OAuthContext;
use super::credentials::client_secret;
use super::flow::{active_client_or_disabled, auth_method, provider_for};
use super::grant::{ClientAuthMethod, GrantError};
use super::records::field;
use crate::domain::StoredToken;

/// What the provider was told to forget (RFC 7009 §2.1 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The refresh token, which ends the whole grant at most providers.
    RefreshToken,
    /// The access token (the record held no refresh token).
    AccessToken,
    /// Nothing was sent: the provider has no revocation endpoint, or the record no token.
    Skipped,
}

/// Revokes the grant behind `record` at its provider. Every failure is logged (naming the tag,
/// client and provider, never a token) and answered as [`Revoked::Skipped`].
pub async fn revoke_record(ctx: &OAuthContext, record: &StoredToken) -> Revoked {
    match try_revoke(ctx, record).await {
        Ok(revoked) => {
            if revoked != Revoked::Skipped {
                tracing::info!(tag = %record.tag, client = %record.client_id, what = ?revoked, "revoked at the provider");
            }
            revoked
        }
        Err(reason) => {
            tracing::warn!(tag = %record.tag, client = %record.client_id, %reason, "revocation at the provider failed; the record is removed anyway");
            Revoked::Skipped
        }
    }
}

async fn try_revoke(ctx: &OAuthContext, record: &StoredToken) -> Result<Revoked, String> {
    let client = active_client_or_disabled(ctx, record.client_id.as_str())
        .await
        .map_err(|e| e.to_string())?;
    let provider = provider_for(ctx, &client)
        .await
        .map_err(|e| e.to_string())?;
    let Some(url) = provider.revocation_url.clone() else {
        tracing::debug!(provider = %provider.name, "the provider has no revocation endpoint");
        return Ok(Revoked::Skipped);
    };
    let (sealed, field, revoked, hint) = match (&record.refresh_token, &record.access_token) {
        (Some(refresh), _) => (
            refresh,
            field::REFRESH_TOKEN,
            Revoked::RefreshToken,
            "refresh_token",
        ),
        (None, Some(access)) => (
            access,
            field::ACCESS_TOKEN,
            Revoked::AccessToken,
            "access_token",
        ),
        (None, None) => return Ok(Revoked::Skipped),
    };
    let vault = ctx.vault().await.map_err(|e| e.to_string())?;
    let token = vault
        .open(&record.tag, field, sealed)
        .map_err(|e| e.to_string())?;
    let secret = client_secret(ctx, &client)
        .await
        .map_err(|e| e.to_string())?;
    send(
        ctx,
        &url,
        &client.guid,
        &secret,
        auth_method(&provider),
        &token,
        hint,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(revoked)
}

/// One revocation request (RFC 7009 §2.1), authenticated like a token request (RFC 6749 §2.3.1).
/// oauth2's own revocation refuses plain-HTTP endpoints, which the provider checks already allow
/// only on loopback, so the request is made here.
async fn send(
    ctx: &OAuthContext,
    url: &url::Url,
    guid: &str,
    secret: &SecretString,
    auth: ClientAuthMethod,
    token: &SecretString,
    hint: &str,
) -> Result<(), GrantError> {
    let mut form = vec![
        ("token", token.expose_secret().to_string()),
        ("token_type_hint", hint.to_string()),
    ];
    let mut request = ctx.http.client().post(url.clone());
    match auth {
        ClientAuthMethod::Basic => {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(encode(guid), Some(encode(secret.expose_secret())));
        }
        ClientAuthMethod::Post => {
            form.push(("client_id", guid.to_string()));
            form.push(("client_secret", secret.expose_secret().to_string()));
        }
    }
    let response = request
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| GrantError::Unavailable(e.without_url().to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let code = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    Err(GrantError::Rejected {
        code,
        description: None,
    })
}
