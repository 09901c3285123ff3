//! Token revocation (RFC 7009): when a connection is replaced or deleted, its grant is ended at the
//! provider, so no orphaned refresh token stays live there, unless another connection still holds
//! it.
//!
//! Providers such as Google keep one grant per account and client: revoking any token of it ends
//! every other. So before a grant is revoked, [`release_grant`] looks for another record holding
//! the same account under the same client ([`AccountKey`], the resource owner's stable id) through
//! the store's account index, never a scan, and keeps the grant when one does. The log line and the
//! event say which was done.
//!
//! A revocation is best effort: a provider without a revocation endpoint, or one that refuses or
//! cannot be reached, is logged and never blocks the person or operator who replaced or deleted the
//! connection; a refusal is answered as [`Released::Failed`], so a person can be told.

use secrecy::{ExposeSecret, SecretString};

use super::context::OAuthContext;
use super::credentials::client_secret;
use super::flow::{active_client_or_disabled, auth_method, provider_for};
use super::grant::{ClientAuthMethod, GrantError};
use super::records::field;
use crate::domain::token::TokenStatus;
use crate::domain::{AccountKey, StoredToken, Tag};
use crate::keys::reseal::record_id;
use crate::providers::{RevocationBody, RevocationShape, TokenAuthMethod};
use crate::store::{PageRequest, StoreError};

/// Records read per page when looking for another holder of an account.
const HOLDERS_PAGE: u32 = 10;

/// What became of the grant a record no longer holds (it was replaced or deleted, or lost its tag
/// to another connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released {
    /// Revoked at the provider.
    Revoked(Revoked),
    /// Kept: the record under `held_by` holds the same account under the same client, and
    /// revoking would end its grant too.
    Kept { held_by: Tag },
    /// Not revoked, and nobody else holds it: the provider has no revocation endpoint, the record
    /// no token, or the store could not say whether another record holds the account (each
    /// logged).
    NotRevoked,
    /// The revocation was asked for and refused or failed (the provider's error, an unreachable
    /// endpoint, a missing secret): the grant may still be live at the provider. `reason` names
    /// the failure, never a token or secret.
    Failed { reason: String },
}

impl Released {
    /// What was done, as events name it: `revoked`, `kept`, `not_revoked` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Released::Revoked(_) => "revoked",
            Released::Kept { .. } => "kept",
            Released::NotRevoked => "not_revoked",
            Released::Failed { .. } => "failed",
        }
    }

    /// The tag whose record keeps the grant, when it was kept.
    pub fn held_by(&self) -> Option<&Tag> {
        match self {
            Released::Kept { held_by } => Some(held_by),
            _ => None,
        }
    }

    /// Why the provider did not revoke the grant, when it was asked and refused or failed.
    pub fn failure(&self) -> Option<&str> {
        match self {
            Released::Failed { reason } => Some(reason),
            _ => None,
        }
    }

    /// Whether a request went to the provider and it accepted it.
    pub fn revoked(&self) -> bool {
        matches!(self, Released::Revoked(_))
    }
}

/// Ends the grant `record` held, unless another record holds the same account under the same
/// client. `successor` is the record now stored under `record`'s tag, when there is one (the
/// replacement, or the connection that won the tag); it counts as a holder like any other.
///
/// Records under other tags are found through the account index and each read again (strongly
/// consistent) before it counts, so a record deleted a moment ago never keeps a grant alive. A
/// record that needs reauthorization holds nothing (its grant is already refused).
pub async fn release_grant(
    ctx: &OAuthContext,
    record: &StoredToken,
    successor: Option<&StoredToken>,
) -> Released {
    let held = match record.account_key() {
        None => Ok(None),
        Some(account) => holder(ctx, record, &account, successor).await,
    };
    match held {
        Ok(Some(held_by)) => {
            tracing::info!(tag = %record.tag, client = %record.client_id, %held_by, "grant kept: another connection holds the same account");
            Released::Kept { held_by }
        }
        Ok(None) => match revoke_record(ctx, record).await {
            Ok(Revoked::Skipped) => Released::NotRevoked,
            Ok(revoked) => Released::Revoked(revoked),
            Err(reason) => Released::Failed { reason },
        },
        Err(e) => {
            tracing::warn!(tag = %record.tag, client = %record.client_id, error = %e, "the grant is not revoked: the store could not say whether another connection holds the same account");
            Released::NotRevoked
        }
    }
}

/// The tag of another live record holding `account`, if any.
async fn holder(
    ctx: &OAuthContext,
    record: &StoredToken,
    account: &AccountKey,
    successor: Option<&StoredToken>,
) -> Result<Option<Tag>, StoreError> {
    let holds = |t: &StoredToken| {
        t.status != TokenStatus::ReauthorizationRequired
            && t.account_key().as_ref() == Some(account)
    };
    if let Some(successor) = successor.filter(|s| holds(s)) {
        return Ok(Some(successor.tag.clone()));
    }
    let tokens = ctx.app.stores.tokens.as_ref();
    let mut page = PageRequest::first(HOLDERS_PAGE);
    loop {
        let found = tokens.account_tokens(account, &page).await?;
        // The record's own tag is `successor`'s (checked above) or `record` itself (or the index's
        // stale copy of it).
        for hit in found.items.iter().filter(|hit| hit.tag != record.tag) {
            if let Some(current) = tokens.get_token(&hit.tag).await?
                && holds(&current)
            {
                return Ok(Some(current.tag));
            }
        }
        match found.next {
            Some(next) => page.after = Some(next),
            None => return Ok(None),
        }
    }
}

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

/// Revokes the grant behind `record` at its provider, whoever else holds it (see
/// [`release_grant`]). Every failure is logged (naming the tag, client and provider, never a token)
/// and answered with its reason.
async fn revoke_record(ctx: &OAuthContext, record: &StoredToken) -> Result<Revoked, String> {
    match try_revoke(ctx, record).await {
        Ok(revoked) => {
            if revoked != Revoked::Skipped {
                tracing::info!(tag = %record.tag, client = %record.client_id, what = ?revoked, "revoked at the provider");
            }
            Ok(revoked)
        }
        Err(reason) => {
            tracing::warn!(tag = %record.tag, client = %record.client_id, %reason, "revocation at the provider failed; the grant may still be live there");
            Err(reason)
        }
    }
}

async fn try_revoke(ctx: &OAuthContext, record: &StoredToken) -> Result<Revoked, String> {
    let client = active_client_or_disabled(ctx, &record.client_id)
        .await
        .map_err(|e| e.to_string())?;
    let provider = provider_for(ctx, &client)
        .await
        .map_err(|e| e.to_string())?;
    let Some(revocation) = &provider.endpoints.revocation else {
        tracing::debug!(provider = %provider.name, "the provider has no revocation endpoint");
        return Ok(Revoked::Skipped);
    };
    // The connection's own revocation URL: its stored values filled in.
    let url = provider
        .stored_values(&record.metadata)
        .and_then(|values| revocation.fill(&values))
        .map_err(|e| e.to_string())?;
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
    let keys = ctx
        .keyring()
        .await
        .map_err(|e| e.to_string())?
        .keys_for([sealed])
        .await
        .map_err(|e| e.to_string())?;
    let token = keys
        .open(record_id(record), field, sealed)
        .map_err(|e| e.to_string())?;
    let secret = client_secret(ctx, &client)
        .await
        .map_err(|e| e.to_string())?;
    // The provider's own shape of the request: its authentication, body and headers.
    let shape = &provider.quirks.revocation;
    let auth = match shape.auth_method {
        Some(TokenAuthMethod::ClientSecretBasic) => ClientAuthMethod::Basic,
        Some(TokenAuthMethod::ClientSecretPost) => ClientAuthMethod::Post,
        None => auth_method(&provider),
    };
    let request = Revocation {
        url: &url,
        guid: &client.guid,
        secret: &secret,
        auth,
        token: &token,
        hint,
    };
    send(ctx, &request, shape)
        .await
        .map_err(|e| e.to_string())?;
    Ok(revoked)
}

/// What one revocation request says: where, who asks, how it authenticates, and which token.
struct Revocation<'a> {
    url: &'a url::Url,
    guid: &'a str,
    secret: &'a SecretString,
    auth: ClientAuthMethod,
    token: &'a SecretString,
    hint: &'a str,
}

/// One revocation request (RFC 7009 §2.1), authenticated like a token request (RFC 6749 §2.3.1)
/// and shaped as the provider asks (`shape`), taking at most what is left of the invocation
/// ([`crate::deadline`]). oauth2's own revocation refuses plain-HTTP endpoints, which the provider
/// checks already allow only on loopback, and knows no JSON body, so the request is made here.
async fn send(
    ctx: &OAuthContext,
    revocation: &Revocation<'_>,
    shape: &RevocationShape,
) -> Result<(), GrantError> {
    let mut body = vec![("token", revocation.token.expose_secret().to_string())];
    if shape.body == RevocationBody::Form {
        body.push(("token_type_hint", revocation.hint.to_string()));
    }
    // Best effort, on the request path: never past what is left of the invocation.
    let Some(timeout) = crate::deadline::budget(ctx.settings.timeouts.total) else {
        return Err(GrantError::Unavailable(
            "the invocation's time ran out before the revocation".into(),
        ));
    };
    let mut request = ctx
        .http
        .client()
        .post(revocation.url.clone())
        .timeout(timeout);
    match revocation.auth {
        ClientAuthMethod::Basic => {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(
                encode(revocation.guid),
                Some(encode(revocation.secret.expose_secret())),
            );
        }
        ClientAuthMethod::Post => {
            body.push(("client_id", revocation.guid.to_string()));
            body.push((
                "client_secret",
                revocation.secret.expose_secret().to_string(),
            ));
        }
    }
    for (name, value) in shape.headers.iter() {
        // Names and values were checked when the provider file loaded.
        request = request.header(name, value);
    }
    request = request.header("accept", "application/json");
    request = match shape.body {
        RevocationBody::Form => request.form(&body),
        RevocationBody::Json => {
            let object: serde_json::Map<String, serde_json::Value> = body
                .into_iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                .collect();
            request.json(&object)
        }
    };
    let response = request
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
