//! Secrets that rotate without a gap: setting a new value keeps the one it replaces as the
//! *previous* value (`<name>.previous`), which the users of the secret still accept or try while
//! the rotation is pending; the operator ends it once the other side uses the new value
//! (`authbridge secrets confirm`). Used by client secrets (a refused token request is tried again
//! with the previous secret), the WordPress token, and the webhook key (deliveries carry a
//! signature under each).
//!
//! Confirming overwrites the previous value with the current one instead of deleting it (Secrets
//! Manager keeps a deleted name for days, which would block the next rotation): a previous value
//! equal to the current one means no rotation is pending.

use secrecy::{ExposeSecret, SecretString};

use super::{SecretError, SecretStore};

/// The suffix of a secret's previous value.
pub const PREVIOUS_SUFFIX: &str = ".previous";

/// The name under which `name`'s previous value is kept.
pub fn previous_name(name: &str) -> String {
    format!("{name}{PREVIOUS_SUFFIX}")
}

/// A secret's current value and, during a rotation, the one it replaced.
#[derive(Debug, Clone)]
pub struct Versions {
    pub current: SecretString,
    /// `None` when no rotation is pending.
    pub previous: Option<SecretString>,
}

impl Versions {
    /// The current value, then the previous one when a rotation is pending.
    pub fn in_order(&self) -> impl Iterator<Item = &SecretString> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

/// Why a rotation step was refused or failed. Never carries a value.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The secret does not exist: set it first.
    #[error("the secret {0:?} does not exist; set it first")]
    Missing(String),
    /// A rotation is already pending: confirm it first, or the value it keeps would be lost.
    #[error(
        "a rotation of {0:?} is pending: once the other side uses the new value, confirm it \
         (authbridge secrets confirm) before rotating again"
    )]
    Pending(String),
}

/// The secret `name` and its pending previous value; `None` when there is no such secret.
pub async fn versions(
    store: &dyn SecretStore,
    name: &str,
) -> Result<Option<Versions>, SecretError> {
    let Some(current) = store.get_secret(name).await? else {
        return Ok(None);
    };
    let previous = store
        .get_secret(&previous_name(name))
        .await?
        .filter(|p| p.expose_secret() != current.expose_secret());
    Ok(Some(Versions { current, previous }))
}

/// Sets `value` as the secret `name`, keeping the value it replaces usable as the previous one
/// until [`confirm`]. Refused while another rotation of `name` is pending.
pub async fn rotate(
    store: &dyn SecretStore,
    name: &str,
    value: &SecretString,
) -> Result<(), RotationError> {
    let now = versions(store, name)
        .await?
        .ok_or_else(|| RotationError::Missing(name.to_string()))?;
    if now.previous.is_some() {
        return Err(RotationError::Pending(name.to_string()));
    }
    // The previous value first: at every moment, both values are where a reader looks.
    store.put_secret(&previous_name(name), &now.current).await?;
    store.put_secret(name, value).await?;
    Ok(())
}

/// Ends a pending rotation of `name`: only the current value is accepted from now on. `false`
/// when none was pending.
pub async fn confirm(store: &dyn SecretStore, name: &str) -> Result<bool, RotationError> {
    let now = versions(store, name)
        .await?
        .ok_or_else(|| RotationError::Missing(name.to_string()))?;
    if now.previous.is_none() {
        return Ok(false);
    }
    store.put_secret(&previous_name(name), &now.current).await?;
    Ok(true)
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn value(s: &str) -> SecretString {
        SecretString::from(s)
    }

    fn exposed(v: &Versions) -> (String, Option<String>) {
        (
            v.current.expose_secret().to_string(),
            v.previous.as_ref().map(|p| p.expose_secret().to_string()),
        )
    }

    #[tokio::test]
    async fn a_rotation_keeps_the_previous_value_until_confirmed() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(matches!(
            rotate(&store, "ab/clients/c1", &value("new")).await,
            Err(RotationError::Missing(_))
        ));
        store
            .put_secret("ab/clients/c1", &value("one"))
            .await
            .unwrap();
        rotate(&store, "ab/clients/c1", &value("two"))
            .await
            .unwrap();
        let pending = versions(&store, "ab/clients/c1").await.unwrap().unwrap();
        assert_eq!(exposed(&pending), ("two".into(), Some("one".into())));
        assert_eq!(pending.in_order().count(), 2);
        // Another rotation would lose "one" while it may still be in use.
        assert!(matches!(
            rotate(&store, "ab/clients/c1", &value("three")).await,
            Err(RotationError::Pending(_))
        ));
        assert!(confirm(&store, "ab/clients/c1").await.unwrap());
        let done = versions(&store, "ab/clients/c1").await.unwrap().unwrap();
        assert_eq!(exposed(&done), ("two".into(), None));
        assert!(!confirm(&store, "ab/clients/c1").await.unwrap());
        // The old value is gone from the store, and the next rotation goes ahead.
        let kept = store
            .get_secret("ab/clients/c1.previous")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.expose_secret(), "two");
        rotate(&store, "ab/clients/c1", &value("three"))
            .await
            .unwrap();
        assert!(store.changed_at("ab/clients/c1").await.unwrap().is_some());
    }
}
