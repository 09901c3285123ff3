//! The keys one operation seals and opens with ([`KeySet`]): taken from the [`Keyring`] for the
//! values at hand, then used without further I/O.
//!
//! [`Keyring`]: super::Keyring

use std::collections::HashMap;
use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use secrecy::SecretString;

use super::KeyError;
use super::sealed::{self, RecordId, SealedBy};
use crate::domain::KeyNumber;
use crate::domain::token::Sealed;
use crate::vault::{TokenVault, VaultError};

/// The keys one operation seals and opens with: the active version's, those of the versions its
/// values name, and the format-1 key when a value needs it.
#[derive(Clone)]
pub struct KeySet {
    pub(super) active: KeyNumber,
    pub(super) keys: HashMap<KeyNumber, Arc<Aes256Gcm>>,
    pub(super) legacy: Option<TokenVault>,
    pub(super) retired: Vec<KeyNumber>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySet {{ active: {}, keys: [redacted] }}", self.active)
    }
}

impl KeySet {
    /// A key set of one data key, numbered `number`, with no format-1 key (tests, benchmarks).
    pub fn of_key(number: KeyNumber, key: &super::DataKey) -> Self {
        KeySet {
            active: number,
            keys: HashMap::from([(number, Arc::new(key.cipher()))]),
            legacy: None,
            retired: Vec::new(),
        }
    }

    /// The version new seals use.
    pub fn active(&self) -> KeyNumber {
        self.active
    }

    /// Seals `plaintext` for `field` of `record` under the active version.
    pub fn seal(
        &self,
        record: RecordId<'_>,
        field: &str,
        plaintext: &SecretString,
    ) -> Result<Sealed, KeyError> {
        let key = self
            .keys
            .get(&self.active)
            .ok_or(KeyError::UnknownVersion(self.active))?;
        sealed::seal(key, self.active, record, field, plaintext)
    }

    /// Opens what was sealed for `field` of `record`, in either format.
    pub fn open(
        &self,
        record: RecordId<'_>,
        field: &str,
        value: &Sealed,
    ) -> Result<SecretString, KeyError> {
        match sealed::parts(value)? {
            None => {
                let legacy = self.legacy.as_ref().ok_or(KeyError::NoLegacyKey)?;
                legacy.open(record.tag, field, value).map_err(|e| match e {
                    VaultError::Malformed(why) => KeyError::Malformed(why),
                    _ => KeyError::Tampered,
                })
            }
            Some((number, rest)) => match self.keys.get(&number) {
                Some(key) => sealed::open(key, number, record, field, &rest),
                None if self.retired.contains(&number) => Err(KeyError::Retired(number)),
                None => Err(KeyError::UnknownVersion(number)),
            },
        }
    }

    /// Whether `value` is sealed under the active version already (nothing to re-seal).
    pub fn is_current(&self, value: &Sealed) -> bool {
        matches!(sealed::sealed_by(value), Ok(SealedBy::Version(n)) if n == self.active)
    }
}
