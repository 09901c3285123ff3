//! Token records: a provider's token response sealed into a [`StoredToken`], written under its tag,
//! and read back redacted. Only the refresh path opens the sealed credentials.

use std::collections::BTreeMap;

use oauth2::TokenResponse;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use super::token_response::ProviderTokenResponse;
use crate::clock::Epoch;
use crate::domain::token::{SealedCredentials, StoredToken, TokenFailure, TokenStatus};
use crate::domain::{ClientId, GrantType, Owner, Scope, Tag};
use crate::keys::{KeyError, KeySet, reseal::record_id};
use crate::providers::{LifetimeStart, RefreshTokenLifetime};
use crate::store::{Contention, StoreError, TokenStore, retry};

/// Field labels bound into each sealed value, so one cannot be moved into another's place.
pub mod field {
    pub const ACCESS_TOKEN: &str = "access_token";
    pub const REFRESH_TOKEN: &str = "refresh_token";
    pub const ID_TOKEN: &str = "id_token";
    pub const RAW: &str = "raw";
    pub use crate::vault::field::{METADATA, metadata};
}

pub use crate::domain::token_lifecycle::IDLE_REFRESH_INTERVAL;

/// Where a new record comes from.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub tag: &'a Tag,
    pub client_id: &'a ClientId,
    pub grant_type: GrantType,
    /// The scopes asked for; used when the provider does not say which it granted.
    pub requested_scopes: &'a [String],
    pub owner: Option<Value>,
    pub owner_name: Option<String>,
    /// Who made the connection (an API token's name, `cli`).
    pub created_by: Option<String>,
}

/// A fresh connection id (see [`StoredToken::connection_id`]).
pub fn new_connection_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// How a provider's token answers become a record's lifetimes: the refresh margin, the lifetime
/// to assume when an answer states none, and the refresh token's own lifetime.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifetimes {
    /// The configured refresh margin, in seconds (capped at half a token's lifetime).
    pub margin: Epoch,
    /// Seconds an access token lives when its answer has no `expires_in`.
    pub assumed_access: Option<Epoch>,
    /// The refresh token's lifetime, when the provider states it.
    pub refresh: Option<RefreshTokenLifetime>,
}

impl Lifetimes {
    /// The margin alone: answers taken as they are.
    pub fn margin_only(margin: Epoch) -> Self {
        Lifetimes {
            margin,
            ..Lifetimes::default()
        }
    }

    /// When the refresh token of `response`, received `now`, expires: `None` keeps what is
    /// stored. A member stating it wins; else the stated seconds, counted from the authorization
    /// (`first`) or from each use.
    fn refresh_expires(
        &self,
        response: &ProviderTokenResponse,
        first: bool,
        now: Epoch,
    ) -> Option<Epoch> {
        let lifetime = self.refresh.as_ref()?;
        let stated = lifetime
            .response_field
            .as_deref()
            .and_then(|field| response.member_seconds(field));
        let restarts = first || lifetime.since == LifetimeStart::LastUse;
        let seconds = stated.or_else(|| lifetime.seconds.filter(|_| restarts))?;
        Some(now.saturating_add(seconds as Epoch))
    }
}

/// A new sealed record for `response`, a new connection with an id of its own.
pub fn seal_new(
    keys: &KeySet,
    grant: Grant<'_>,
    response: &ProviderTokenResponse,
    lifetimes: &Lifetimes,
    now: Epoch,
) -> Result<StoredToken, KeyError> {
    let mut record = StoredToken {
        tag: grant.tag.clone(),
        client_id: grant.client_id.clone(),
        grant_type: grant.grant_type.as_str().to_string(),
        scopes: grant.requested_scopes.to_vec(),
        token_type: None,
        access_token: None,
        refresh_token: None,
        id_token: None,
        raw: None,
        expires: None,
        lifetime: None,
        resource_owner_name: grant.owner_name,
        resource_owner: grant.owner,
        error: None,
        status: TokenStatus::Active,
        due_at: None,
        refreshed_at: None,
        attempts: 0,
        next_attempt_at: None,
        lease_owner: None,
        lease_until: None,
        owner: None,
        created_by: grant.created_by,
        connection_id: Some(new_connection_id()),
        metadata: Default::default(),
        sealed_metadata: Default::default(),
        refresh_expires: None,
        expiring_since: None,
        created: now,
        modified: now,
        version: 0,
    };
    apply(keys, &mut record, response, lifetimes, true, now)?;
    Ok(record)
}

/// Writes a fresh response into `record` (see [`StoredToken::refreshed`]): every credential sealed
/// first, under the active key version, for the record's tag and connection.
pub fn apply_response(
    keys: &KeySet,
    record: &mut StoredToken,
    response: &ProviderTokenResponse,
    lifetimes: &Lifetimes,
    now: Epoch,
) -> Result<(), KeyError> {
    apply(keys, record, response, lifetimes, false, now)
}

/// Seals `value`, a captured value the provider file marks secret, into `record` under `name`:
/// under the active key version, bound to the record's tag and connection and to the field
/// `metadata.NAME`.
pub fn seal_metadata(
    keys: &KeySet,
    record: &mut StoredToken,
    name: &str,
    value: &SecretString,
) -> Result<(), KeyError> {
    let sealed = keys.seal(record_id(record), &field::metadata(name), value)?;
    record.sealed_metadata.insert(name.to_string(), sealed);
    Ok(())
}

/// Opens the secret captured value `name` of `record`; `None` when it holds none. `keys` must
/// hold the version that sealed it ([`crate::keys::Keyring::keys_for`]).
pub fn open_metadata(
    keys: &KeySet,
    record: &StoredToken,
    name: &str,
) -> Result<Option<SecretString>, KeyError> {
    record
        .sealed_metadata
        .get(name)
        .map(|sealed| keys.open(record_id(record), &field::metadata(name), sealed))
        .transpose()
}

fn apply(
    keys: &KeySet,
    record: &mut StoredToken,
    response: &ProviderTokenResponse,
    lifetimes: &Lifetimes,
    first: bool,
    now: Epoch,
) -> Result<(), KeyError> {
    let id = record_id(record);
    let (tag, connection) = (id.tag.clone(), id.connection.to_string());
    let id = crate::keys::RecordId {
        tag: &tag,
        connection: &connection,
    };
    let seal = |field: &str, value: &str| keys.seal(id, field, &SecretString::from(value));
    let credentials = SealedCredentials {
        access_token: seal(field::ACCESS_TOKEN, response.access_token().secret())?,
        refresh_token: response
            .refresh_token()
            .map(|r| seal(field::REFRESH_TOKEN, r.secret()))
            .transpose()?,
        id_token: response
            .id_token()
            .map(|t| seal(field::ID_TOKEN, t))
            .transpose()?,
        raw: seal(field::RAW, &response.to_raw_json())?,
        token_type: response.token_type_name(),
        expires_in: response
            .expires_in()
            .map(|d| d.as_secs() as Epoch)
            .or(lifetimes.assumed_access),
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|s| s.to_string()).collect()),
        refresh_expires: lifetimes.refresh_expires(response, first, now),
    };
    record.refreshed(credentials, lifetimes.margin, now);
    Ok(())
}

/// The record under `tag` when there is one within `scope`. A record outside the scope reads as
/// none, so a scope does not tell which tags exist.
pub async fn read_within(
    store: &dyn TokenStore,
    tag: &Tag,
    scope: &Scope,
) -> Result<Option<StoredToken>, StoreError> {
    Ok(store
        .get_token(tag)
        .await?
        .filter(|r| scope.allows(&r.tag, r.owner.as_ref(), &r.client_id)))
}

/// Creates `record` under its tag, atomically: the store's conditional create loses with
/// `AlreadyExists` when the tag holds a record, which is then untouched.
pub async fn create(
    store: &dyn TokenStore,
    record: StoredToken,
) -> Result<StoredToken, StoreError> {
    store.create_token(&record).await?;
    Ok(record)
}

/// What [`replace`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The record as stored.
    pub saved: StoredToken,
    /// The record it replaced; `None` when the tag was free.
    pub previous: Option<StoredToken>,
}

/// Stores `record` under its tag: created when the tag is free, else replacing the current record
/// (version-checked, retried when a concurrent writer got there first), which is answered so its
/// grant can be released.
///
/// The replacement is a new connection: its `created` and `created_by` are its own (who replaced
/// it, and when). Its `owner` is the one it names; when it names none, the replaced record's owner
/// is kept, so a replace never silently takes a connection away from its owner's listing.
pub async fn replace(store: &dyn TokenStore, record: StoredToken) -> Result<Written, StoreError> {
    // Every lost race (the tag created, replaced or deleted in between) reads as a stale version.
    let raced = |e| match e {
        StoreError::AlreadyExists(_) | StoreError::NotFound => StoreError::StaleVersion,
        other => other,
    };
    let stale = |e: &StoreError| matches!(e, StoreError::StaleVersion);
    let record = &record;
    retry(Contention::Shared, stale, |_| async move {
        match store.get_token(&record.tag).await? {
            None => match store.create_token(record).await {
                Ok(()) => Ok(Written {
                    saved: record.clone(),
                    previous: None,
                }),
                Err(e) => Err(raced(e)),
            },
            Some(current) => {
                let mut replacement = record.clone();
                replacement.version = current.version;
                if replacement.owner.is_none() {
                    replacement.owner = current.owner.clone();
                }
                match store.update_token(&replacement).await {
                    Ok(saved) => Ok(Written {
                        saved,
                        previous: Some(current),
                    }),
                    Err(e) => Err(raced(e)),
                }
            }
        }
    })
    .await
}

/// A token record as every reader outside the refresh path sees it: no credential, only whether
/// one is held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenView {
    pub tag: Tag,
    pub client_id: ClientId,
    pub grant_type: String,
    pub scopes: Vec<String>,
    pub token_type: Option<String>,
    pub has_access_token: bool,
    pub has_refresh_token: bool,
    pub expires: Option<Epoch>,
    pub resource_owner_name: Option<String>,
    pub resource_owner: Option<Value>,
    pub error: Option<TokenFailure>,
    pub status: TokenStatus,
    pub refreshed_at: Option<Epoch>,
    pub owner: Option<Owner>,
    pub created_by: Option<String>,
    /// The connection's public values (see [`StoredToken::metadata`]).
    pub metadata: BTreeMap<String, String>,
    /// When the refresh token expires, when the provider states its lifetime.
    pub refresh_token_expires_at: Option<Epoch>,
    pub created: Epoch,
    pub modified: Epoch,
}

impl From<&StoredToken> for TokenView {
    fn from(t: &StoredToken) -> Self {
        TokenView {
            tag: t.tag.clone(),
            client_id: t.client_id.clone(),
            grant_type: t.grant_type.clone(),
            scopes: t.scopes.clone(),
            token_type: t.token_type.clone(),
            has_access_token: t.access_token.is_some(),
            has_refresh_token: t.refresh_token.is_some(),
            expires: t.expires,
            resource_owner_name: t.resource_owner_name.clone(),
            resource_owner: t.resource_owner.clone(),
            error: t.error.clone(),
            status: t.status,
            refreshed_at: t.refreshed_at,
            owner: t.owner.clone(),
            created_by: t.created_by.clone(),
            metadata: t.metadata.clone(),
            refresh_token_expires_at: t.refresh_expires,
            created: t.created,
            modified: t.modified,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn vault() -> KeySet {
        KeySet::of_key(crate::domain::KeyNumber(1), &crate::keys::DataKey::random())
    }

    fn response(json: &str) -> ProviderTokenResponse {
        serde_json::from_str(json).unwrap()
    }

    fn grant<'a>(tag: &'a Tag, client: &'a ClientId, scopes: &'a [String]) -> Grant<'a> {
        Grant {
            tag,
            client_id: client,
            grant_type: GrantType::AuthorizationCode,
            requested_scopes: scopes,
            owner: None,
            owner_name: None,
            created_by: None,
        }
    }

    #[test]
    fn a_sealed_record_holds_no_credential_in_clear_and_opens_again() {
        let v = vault();
        let tag = Tag::parse("mail:1").unwrap();
        let client = ClientId::stored("c1");
        let scopes = vec!["mail".to_string()];
        let r = response(
            r#"{"access_token":"AT-123","token_type":"Bearer","expires_in":"3600","refresh_token":"RT-456"}"#,
        );
        let rec = seal_new(
            &v,
            grant(&tag, &client, &scopes),
            &r,
            &Lifetimes::margin_only(300),
            1000,
        )
        .unwrap();
        let json = serde_json::to_string(&rec).unwrap();
        assert!(
            !json.contains("AT-123") && !json.contains("RT-456"),
            "{json}"
        );
        assert_eq!(rec.expires, Some(4600));
        assert_eq!(rec.due_at, Some(4300));
        assert!(
            rec.connection_id.is_some(),
            "a new record is a new connection"
        );
        let at = v
            .open(
                record_id(&rec),
                field::ACCESS_TOKEN,
                rec.access_token.as_ref().unwrap(),
            )
            .unwrap();
        assert_eq!(at.expose_secret(), "AT-123");
        let view = serde_json::to_string(&TokenView::from(&rec)).unwrap();
        assert!(!view.contains("AT-123") && !view.contains("RT-456"));
        assert!(view.contains("\"has_refresh_token\":true"));
    }

    #[test]
    fn a_response_without_refresh_token_keeps_the_old_one_and_without_expiry_has_none() {
        let v = vault();
        let tag = Tag::parse("mail:1").unwrap();
        let client = ClientId::stored("c1");
        let scopes = vec![];
        let first = response(r#"{"access_token":"A1","token_type":"Bearer","refresh_token":"R1"}"#);
        let mut rec = seal_new(
            &v,
            grant(&tag, &client, &scopes),
            &first,
            &Lifetimes::margin_only(300),
            1000,
        )
        .unwrap();
        assert_eq!(rec.expires, None);
        // No expiry: never refreshed proactively.
        assert_eq!(rec.due_at, None);
        let second = response(r#"{"access_token":"A2","token_type":"Bearer","expires_in":60}"#);
        apply_response(&v, &mut rec, &second, &Lifetimes::margin_only(300), 2000).unwrap();
        let refresh = v
            .open(
                record_id(&rec),
                field::REFRESH_TOKEN,
                rec.refresh_token.as_ref().unwrap(),
            )
            .unwrap();
        assert_eq!(refresh.expose_secret(), "R1");
        // A 60 s token: the 300 s margin is capped at half its lifetime.
        assert_eq!(rec.lifetime, Some(60));
        assert_eq!(rec.due_at, Some(2060 - 30));
    }

    #[test]
    fn a_secret_captured_value_is_sealed_for_its_connection_and_name_and_opens_again() {
        let v = vault();
        let tag = Tag::parse("crm:1").unwrap();
        let client = ClientId::stored("c1");
        let r = response(r#"{"access_token":"A1","token_type":"Bearer"}"#);
        let mut rec = seal_new(
            &v,
            grant(&tag, &client, &[]),
            &r,
            &Lifetimes::margin_only(300),
            1000,
        )
        .unwrap();
        seal_metadata(&v, &mut rec, "signature", &SecretString::from("SIG-789")).unwrap();
        let json = serde_json::to_string(&rec).unwrap();
        assert!(!json.contains("SIG-789"), "{json}");
        let opened = open_metadata(&v, &rec, "signature").unwrap().unwrap();
        assert_eq!(opened.expose_secret(), "SIG-789");
        assert!(open_metadata(&v, &rec, "other").unwrap().is_none());
        // A replace is a new connection: the old connection's value does not open in it.
        let mut replaced = rec.clone();
        replaced.connection_id = Some(new_connection_id());
        assert!(matches!(
            open_metadata(&v, &replaced, "signature"),
            Err(KeyError::Tampered)
        ));
    }
}
