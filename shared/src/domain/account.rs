//! The provider account behind a token record, under its client: what decides whether revoking one
//! record's grant would end another's.
//!
//! Providers such as Google keep one grant per account and client: every refresh token issued to
//! that client for that account belongs to it, and revoking any of them ends them all. So before a
//! grant is revoked, authbridge looks for another record with the same [`AccountKey`] and keeps the
//! grant when there is one (`crate::oauth::revocation`).
//!
//! The account is the resource owner's stable identifier, `sub` (OpenID Connect Core §2), else `id`
//! (the owner endpoints of GitHub, Microsoft Graph and most others): never a display name, which
//! two people may share. A record without either (a client-credentials token, an owner the provider
//! did not describe) has no key and shares its grant with nobody.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ClientId, StoredToken};

/// One provider account under one client, as an index key: the SHA-256 (hex) of the client id and
/// the owner's stable id, so the key has a fixed length whatever the provider's ids look like.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountKey(String);

impl AccountKey {
    /// The key of the account `resource_owner` describes, under `client`; `None` when it has no
    /// stable id (`sub`, else `id`, a non-empty string or a number).
    pub fn of(client: &ClientId, resource_owner: &Value) -> Option<Self> {
        let id = ["sub", "id"]
            .iter()
            .find_map(|field| match resource_owner.get(field) {
                Some(Value::String(s)) if !s.is_empty() => Some(Value::String(s.clone())),
                Some(Value::Number(n)) => Some(Value::Number(n.clone())),
                _ => None,
            })?;
        // JSON keeps the parts apart (no separator a client id or an owner id could contain) and
        // tells the string "42" from the number 42.
        let parts = serde_json::to_string(&(client.as_str(), id)).ok()?;
        let digest = Sha256::new()
            .chain_update(b"authbridge account\0")
            .chain_update(parts.as_bytes())
            .finalize();
        Some(AccountKey(hex::encode(digest)))
    }

    /// Wraps a key read from the store.
    pub fn from_stored(raw: impl Into<String>) -> Self {
        AccountKey(raw.into())
    }

    /// The key as the store keeps it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl StoredToken {
    /// The account whose grant this record holds, when the provider named one with a stable id.
    pub fn account_key(&self) -> Option<AccountKey> {
        self.resource_owner
            .as_ref()
            .and_then(|owner| AccountKey::of(&self.client_id, owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_account_under_one_client_is_one_key_whatever_its_name() {
        let c1 = ClientId::stored("c1");
        let alice = AccountKey::of(&c1, &json!({"sub": "alice", "name": "Alice"})).unwrap();
        let renamed = AccountKey::of(&c1, &json!({"sub": "alice", "name": "Alice B."})).unwrap();
        assert_eq!(alice, renamed);
        assert_eq!(alice.as_str().len(), 64);
        // Another person with the same name is another account.
        let other = AccountKey::of(&c1, &json!({"sub": "alice2", "name": "Alice"})).unwrap();
        assert_ne!(alice, other);
        // The same account under another client holds another grant.
        let elsewhere = AccountKey::of(&ClientId::stored("c2"), &json!({"sub": "alice"})).unwrap();
        assert_ne!(alice, elsewhere);
    }

    #[test]
    fn sub_comes_first_then_id_and_a_name_alone_is_no_account() {
        let c = ClientId::stored("c");
        assert_eq!(
            AccountKey::of(&c, &json!({"sub": "s", "id": 7})),
            AccountKey::of(&c, &json!({"sub": "s"}))
        );
        assert_eq!(
            AccountKey::of(&c, &json!({"id": 7, "login": "octo"})),
            AccountKey::of(&c, &json!({"id": 7}))
        );
        assert_ne!(
            AccountKey::of(&c, &json!({"id": 7})),
            AccountKey::of(&c, &json!({"id": "7"}))
        );
        assert_eq!(AccountKey::of(&c, &json!({"name": "Alice"})), None);
        assert_eq!(AccountKey::of(&c, &json!({"sub": ""})), None);
        assert_eq!(
            AccountKey::of(&c, &json!({"sub": null, "email": "a@x"})),
            None
        );
    }
}
