//! The grants that need no browser: client credentials (RFC 6749 §4.4) and the legacy
//! resource-owner password grant (§4.3; RFC 9700 §2.4 forbids it for new work). The service behind
//! `POST /oauth/token` and `authbridge grant`.
//!
//! A caller reads its input as a [`TokenRequest`], checks it into a [`GrantRequest`] (the tag
//! parsed, or the grant's own default when none is named; the owner checked), authorises that
//! request, and then calls [`run`]: the grant at the provider, the sealed record, and the write
//! under the one rule of [`super::connecting`] (no replace unless asked, the old grant released,
//! the events).

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

use super::connecting::{self, Connected};
use super::context::OAuthContext;
use super::credentials::with_secret_fallback;
use super::error::OAuthError;
use super::flow::{Initiator, active_client, lifetimes, provider_for, requested_client};
use super::owner;
use super::records::{self, Grant};
use crate::clock;
use crate::domain::{ClientId, GrantType, Owner, Tag};

/// Which grant a request asks for, as its JSON names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    ClientCredentials,
    Password,
}

/// A request as a caller sends it (the JSON body of `POST /oauth/token`), not yet checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The internal client id.
    pub client: String,
    pub grant: GrantKind,
    /// Scopes; the provider's defaults when absent or empty.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// The record's tag; the grant's default (`client-credentials:<id>`, `password:<id>`) when
    /// absent or blank.
    #[serde(default)]
    pub tag: Option<String>,
    /// Whose connection this is, in the caller's own terms (as `POST /oauth/start`'s `owner`).
    #[serde(default)]
    pub owner: Option<String>,
    /// Whether the grant may replace a connection already stored under the tag.
    #[serde(default)]
    pub replace: bool,
    /// The resource owner's user name (password grant).
    #[serde(default)]
    pub username: Option<String>,
    /// The resource owner's password (password grant); never logged or stored.
    #[serde(default)]
    pub password: Option<SecretString>,
    /// The provider's connection parameters, by name (as `POST /oauth/start`'s `connection`).
    #[serde(default)]
    pub connection: BTreeMap<String, String>,
}

/// The grant to run, with what it needs.
#[derive(Debug)]
pub enum DirectGrant {
    ClientCredentials,
    Password {
        username: String,
        password: SecretString,
    },
}

impl DirectGrant {
    /// The record's grant type.
    pub fn grant_type(&self) -> GrantType {
        match self {
            DirectGrant::ClientCredentials => GrantType::ClientCredentials,
            DirectGrant::Password { .. } => GrantType::Password,
        }
    }
}

/// A checked request: every value parsed, the tag resolved. What an authorisation looks at (the
/// client, the tag, the owner, whether it replaces) is final here.
#[derive(Debug)]
pub struct GrantRequest {
    pub client: ClientId,
    pub grant: DirectGrant,
    /// Scopes; `None` for the provider's defaults.
    pub scopes: Option<Vec<String>>,
    pub tag: Tag,
    pub owner: Option<Owner>,
    pub replace: bool,
    /// The provider's connection parameters, by name, checked against the provider when it runs.
    pub connection: BTreeMap<String, String>,
}

impl TokenRequest {
    /// Checks every value: the tag (or the grant's default tag), the owner, and the password
    /// grant's user name and password.
    pub fn check(self) -> Result<GrantRequest, OAuthError> {
        let client = requested_client(&self.client)?;
        let grant = match self.grant {
            GrantKind::ClientCredentials => DirectGrant::ClientCredentials,
            GrantKind::Password => DirectGrant::Password {
                username: self.username.filter(|u| !u.is_empty()).ok_or_else(|| {
                    OAuthError::InvalidRequest("username is required for the password grant".into())
                })?,
                password: self.password.ok_or_else(|| {
                    OAuthError::InvalidRequest("password is required for the password grant".into())
                })?,
            },
        };
        let tag = Tag::requested(self.tag.as_deref(), grant.grant_type(), &client)?;
        let owner = self.owner.as_deref().map(Owner::parse).transpose()?;
        Ok(GrantRequest {
            client,
            grant,
            scopes: self.scopes.filter(|s| !s.is_empty()),
            tag,
            owner,
            replace: self.replace,
            connection: self.connection,
        })
    }
}

/// Runs the grant of `request`, made by `initiator` (kept as the record's `created_by`), and stores
/// its record. A tag that holds a record and a request without `replace` is refused with
/// `ConnectionExists` before the provider is asked, and again atomically when the record is written.
pub async fn run(
    ctx: &OAuthContext,
    request: GrantRequest,
    initiator: &Initiator,
) -> Result<Connected, OAuthError> {
    let client = active_client(ctx, &request.client).await?;
    initiator.may_touch(&request.tag, request.owner.as_ref(), &client.id)?;
    // Refused before the provider is asked, so no grant is spent for nothing; the write decides
    // again, atomically (`connecting::store`).
    let tokens = ctx.app.stores.tokens.as_ref();
    if let Some(existing) = tokens.get_token(&request.tag).await? {
        if !request.replace {
            return Err(OAuthError::ConnectionExists(request.tag));
        }
        // A replace ends the connection there now: it must be the caller's to touch too.
        initiator.may_touch_record(&existing)?;
    }
    let provider = provider_for(ctx, &client).await?;
    let scopes = request.scopes.unwrap_or_else(|| provider.scopes.clone());
    let mut values = provider.connection_values(&request.connection)?;
    let token_url = provider.endpoints.token.fill(&values)?;
    // Everything the record needs (the client's secret, the token key) is checked before the
    // provider grants anything.
    let keys = ctx.keyring().await?.sealing().await?;
    let grant_type = request.grant.grant_type();
    let (scopes_, token_url) = (&scopes, &token_url);
    let response = match &request.grant {
        DirectGrant::ClientCredentials => {
            with_secret_fallback(
                ctx,
                &client,
                &provider,
                token_url,
                None,
                |grant| async move { grant.client_credentials(scopes_).await },
            )
            .await?
        }
        DirectGrant::Password { username, password } => {
            with_secret_fallback(
                ctx,
                &client,
                &provider,
                token_url,
                None,
                |grant| async move { grant.password(username, password, scopes_).await },
            )
            .await?
        }
    };
    let from_token = provider.capture_token(response.extra())?;
    values.add(&from_token);
    let owner = match &request.grant {
        DirectGrant::ClientCredentials => None,
        // The account the grant is for, as for the authorization-code flow.
        DirectGrant::Password { .. } => owner::read_owner(ctx, &provider, &values, &response).await,
    };
    let owner_name = owner.as_ref().and_then(owner::owner_name);
    let mut record = records::seal_new(
        &keys,
        Grant {
            tag: &request.tag,
            client_id: &client.id,
            grant_type,
            requested_scopes: &scopes,
            owner,
            owner_name,
            created_by: Some(initiator.as_str().to_string()),
        },
        &response,
        &lifetimes(&provider),
        clock::now(),
    )?;
    record.owner = request.owner;
    record.metadata = values.as_map().clone();
    for (name, secret) in &from_token.secret {
        records::seal_metadata(&keys, &mut record, name, secret)?;
    }
    connecting::store(ctx, record, request.replace, &provider.name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client id as requests name one.
    const C1: &str = "0190a000-0000-7000-8000-0000000000c1";

    #[test]
    fn a_client_that_is_no_id_is_unknown_and_a_missing_one_is_required() {
        let unknown = request(serde_json::json!({"client": "c1", "grant": "client_credentials"}));
        assert_eq!(unknown.unwrap_err().code(), "unknown_client");
        let missing = request(serde_json::json!({"client": " ", "grant": "client_credentials"}));
        assert_eq!(missing.unwrap_err().code(), "invalid_request");
    }

    fn request(json: serde_json::Value) -> Result<GrantRequest, OAuthError> {
        serde_json::from_value::<TokenRequest>(json)
            .unwrap()
            .check()
    }

    #[test]
    fn each_grant_defaults_to_a_tag_of_its_own_kind() {
        let cc = request(serde_json::json!({"client": C1, "grant": "client_credentials"}));
        assert_eq!(cc.unwrap().tag, format!("client-credentials:{C1}").as_str());
        let pw = request(serde_json::json!({"client": C1, "grant": "password",
            "username": "u", "password": "p", "tag": " "}));
        assert_eq!(pw.unwrap().tag, format!("password:{C1}").as_str());
    }

    #[test]
    fn the_tag_and_owner_follow_the_start_paths_rules() {
        let long = "t".repeat(crate::domain::tag::MAX_TAG_LEN + 1);
        for (json, message) in [
            (
                serde_json::json!({"client": C1, "grant": "client_credentials", "tag": long}),
                "tag is longer than 200 characters",
            ),
            (
                serde_json::json!({"client": C1, "grant": "client_credentials", "tag": "a\u{7}"}),
                "tag must not contain control characters",
            ),
            (
                serde_json::json!({"client": C1, "grant": "client_credentials", "owner": ""}),
                "owner must be 1 to 200 characters",
            ),
            (
                serde_json::json!({"client": C1, "grant": "password", "password": "p"}),
                "username is required for the password grant",
            ),
        ] {
            let err = request(json).unwrap_err();
            assert_eq!(err.code(), "invalid_request");
            assert_eq!(err.to_string(), message);
        }
        let checked = request(
            serde_json::json!({"client": C1, "grant": "client_credentials",
            "tag": "site-a:x", "owner": "contact:1", "replace": true, "scopes": []}),
        )
        .unwrap();
        assert_eq!(checked.tag, "site-a:x");
        assert_eq!(checked.owner.unwrap(), "contact:1");
        assert!(checked.replace);
        assert_eq!(checked.scopes, None, "no scopes means the provider's");
    }
}
