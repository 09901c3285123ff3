//! Key wrapping: a [`KeyWrapper`] makes a fresh data key and hands back the key and its wrapped
//! form, and unwraps a stored form again. Only the wrapped form is ever stored.
//!
//! [`AesKek`] is the key-encryption key that lives with authbridge itself (derived from a secret
//! in the secret store, or read from the local key file); [`super::kms::KmsWrapper`] wraps under a
//! KMS key, which never leaves KMS.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use hkdf::Hkdf;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

use super::KeyError;
use crate::domain::KeyNumber;

/// Length of a data key and of a key-encryption key, in bytes (AES-256).
pub const KEY_BYTES: usize = 32;

/// AES-GCM nonce length in bytes.
const NONCE_BYTES: usize = 12;

/// HKDF `info` for the key-encryption key derived from a secret (distinct from the version-1
/// token key's, so the same secret never yields the same key for two purposes).
const KEK_INFO: &[u8] = b"authbridge key-encryption key v1";

/// A plaintext data key: zeroed when dropped, never printed.
pub struct DataKey(SecretBox<[u8; KEY_BYTES]>);

impl DataKey {
    /// A data key from its bytes (which the caller zeroes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| KeyError::BadDataKey)?;
        Ok(DataKey(SecretBox::new(Box::new(key))))
    }

    /// A fresh random data key.
    pub fn random() -> Self {
        let mut key = [0u8; KEY_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        let out = DataKey(SecretBox::new(Box::new(key)));
        key.zeroize();
        out
    }

    /// The AES-256-GCM cipher under this key.
    pub fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.0.expose_secret().into())
    }

    /// The key's bytes, for wrapping it and writing the local key file only.
    pub(crate) fn expose_bytes(&self) -> &[u8; KEY_BYTES] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

/// Makes and unwraps data keys under one key-encryption key.
#[async_trait]
pub trait KeyWrapper: Send + Sync {
    /// Which key-encryption key this is, as stored beside each version it wrapped (`kms:<id>`,
    /// `secret:<name>`, `file`); never key material.
    fn label(&self) -> String;
    /// A fresh data key for version `number`, and its wrapped form bound to that number.
    async fn generate(&self, number: KeyNumber) -> Result<(DataKey, Vec<u8>), KeyError>;
    /// The data key of version `number` from its wrapped form.
    async fn unwrap(&self, number: KeyNumber, wrapped: &[u8]) -> Result<DataKey, KeyError>;
}

/// A key-encryption key held by authbridge (AES-256-GCM key wrap with the version number as
/// associated data): from a secret, or the local key file.
pub struct AesKek {
    cipher: Aes256Gcm,
    label: String,
}

impl std::fmt::Debug for AesKek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AesKek {{ label: {:?}, key: [redacted] }}", self.label)
    }
}

impl AesKek {
    /// The key-encryption key of raw key bytes (the local key file).
    pub fn from_key(key: &DataKey, label: impl Into<String>) -> Self {
        AesKek {
            cipher: key.cipher(),
            label: label.into(),
        }
    }

    /// The key-encryption key derived by HKDF-SHA256 from `secret` (at least
    /// [`crate::vault::MIN_SECRET_CHARS`] characters), labelled `secret:<name>`.
    pub fn from_secret(secret: &SecretString, name: &str) -> Result<Self, KeyError> {
        let secret = secret.expose_secret();
        if secret.chars().count() < crate::vault::MIN_SECRET_CHARS {
            return Err(KeyError::SecretTooShort {
                name: name.to_string(),
            });
        }
        let mut key = [0u8; KEY_BYTES];
        Hkdf::<Sha256>::new(None, secret.as_bytes())
            .expand(KEK_INFO, &mut key)
            .map_err(|_| KeyError::BadDataKey)?;
        let data_key = DataKey::from_bytes(&key);
        key.zeroize();
        Ok(Self::from_key(&data_key?, format!("secret:{name}")))
    }

    fn aad(number: KeyNumber) -> Vec<u8> {
        let mut aad = b"authbridge data key ".to_vec();
        aad.extend_from_slice(&number.0.to_be_bytes());
        aad
    }

    /// `nonce ‖ ciphertext` of `key`, bound to `number`.
    pub fn wrap(&self, number: KeyNumber, key: &DataKey) -> Result<Vec<u8>, KeyError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = Self::aad(number);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: key.expose_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::BadDataKey)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// What [`wrap`](Self::wrap) made for `number`.
    pub fn unwrap_key(&self, number: KeyNumber, wrapped: &[u8]) -> Result<DataKey, KeyError> {
        if wrapped.len() < NONCE_BYTES {
            return Err(KeyError::Unwrap { number });
        }
        let (nonce, ciphertext) = wrapped.split_at(NONCE_BYTES);
        let aad = Self::aad(number);
        let mut plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Unwrap { number })?;
        let key = DataKey::from_bytes(&plain);
        plain.zeroize();
        key
    }
}

#[async_trait]
impl KeyWrapper for AesKek {
    fn label(&self) -> String {
        self.label.clone()
    }

    async fn generate(&self, number: KeyNumber) -> Result<(DataKey, Vec<u8>), KeyError> {
        let key = DataKey::random();
        let wrapped = self.wrap(number, &key)?;
        Ok((key, wrapped))
    }

    async fn unwrap(&self, number: KeyNumber, wrapped: &[u8]) -> Result<DataKey, KeyError> {
        self.unwrap_key(number, wrapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek() -> AesKek {
        AesKek::from_secret(&SecretString::from("s".repeat(40)), "ab/token-key").unwrap()
    }

    #[tokio::test]
    async fn a_wrapped_key_unwraps_only_under_its_own_number_and_kek() {
        let kek = kek();
        let (key, wrapped) = kek.generate(KeyNumber(2)).await.unwrap();
        let again = kek.unwrap(KeyNumber(2), &wrapped).await.unwrap();
        assert_eq!(key.expose_bytes(), again.expose_bytes());
        assert!(matches!(
            kek.unwrap(KeyNumber(3), &wrapped).await,
            Err(KeyError::Unwrap { .. })
        ));
        let other = AesKek::from_secret(&SecretString::from("t".repeat(40)), "x").unwrap();
        assert!(other.unwrap(KeyNumber(2), &wrapped).await.is_err());
        assert!(!wrapped.windows(KEY_BYTES).any(|w| w == key.expose_bytes()));
    }

    #[test]
    fn a_kek_prints_its_label_and_no_key() {
        let printed = format!("{:?} {:?}", kek(), DataKey::random());
        assert!(printed.contains("secret:ab/token-key") && printed.contains("redacted"));
        assert!(matches!(
            AesKek::from_secret(&SecretString::from("short"), "n"),
            Err(KeyError::SecretTooShort { .. })
        ));
    }
}
