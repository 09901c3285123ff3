//! The format-1 token vault: how tokens were sealed before key versions ([`crate::keys`] seals
//! them now, in format 2). The keyring opens format-1 values with it until the re-seal has
//! rewritten them; nothing seals in format 1 any more but tests and the benchmarks' baseline.
//!
//! The AES key is derived with HKDF-SHA256 (RFC 5869) from a secret held in the secret store, so the
//! database alone reveals no token. Each seal uses a fresh random 96-bit nonce, and binds the
//! ciphertext to its record and field through the associated data: a sealed access token moved to
//! another token's record, or into the refresh-token slot, no longer opens.
//!
//! A sealed value is base64 (standard alphabet) of `version ‖ nonce (12 bytes) ‖ ciphertext and tag`.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hkdf::Hkdf;
use rand::Rng;
use rand::distr::Alphanumeric;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::domain::Tag;
use crate::domain::token::Sealed;
use crate::secrets::{SecretError, SecretStore};

/// The format version written as the first byte of every sealed value.
const VERSION: u8 = 1;

/// HKDF `info` for the version-1 token key (RFC 5869 §3.2: binds the key to its purpose).
const KEY_INFO: &[u8] = b"authbridge token key v1";

/// Shortest accepted token-key secret, in characters.
pub const MIN_SECRET_CHARS: usize = 32;

/// Length of a generated token-key secret (alphanumeric: about 381 bits).
const GENERATED_SECRET_CHARS: usize = 64;

/// AES-GCM nonce length in bytes (96 bits, NIST SP 800-38D §8.2).
const NONCE_BYTES: usize = 12;

/// The field labels of a [`StoredToken`](crate::domain::StoredToken), for the `field` argument.
pub mod field {
    /// `access_token`.
    pub const ACCESS_TOKEN: &str = "access_token";
    /// `refresh_token`.
    pub const REFRESH_TOKEN: &str = "refresh_token";
    /// `id_token`.
    pub const ID_TOKEN: &str = "id_token";
    /// `raw`: the token endpoint's whole response.
    pub const RAW: &str = "raw";
    /// The prefix of a secret captured value's label (`metadata.NAME`).
    pub const METADATA: &str = "metadata.";

    /// The label of the secret captured value `name` (`metadata.NAME`).
    pub fn metadata(name: &str) -> String {
        format!("{METADATA}{name}")
    }
}

/// Why sealing or opening failed, or the key could not be had. Never carries a key or a plaintext.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The token-key secret is too short to derive a key from.
    #[error("the token key secret must have at least {MIN_SECRET_CHARS} characters")]
    SecretTooShort,
    /// The token-key secret does not exist and may not be created here.
    #[error("the token key secret {secret_id:?} does not exist")]
    MissingSecret { secret_id: String },
    /// The secret store failed.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The value is not a sealed value (bad base64, too short, or an unknown version).
    #[error("not a sealed value: {0}")]
    Malformed(&'static str),
    /// Authentication failed: the value was altered, sealed under another key, or belongs to
    /// another record or field.
    #[error("the sealed value was altered, or belongs to another key, token or field")]
    Tampered,
    /// The cipher refused the operation (only for absurdly long plaintexts).
    #[error("the cipher refused the operation")]
    Crypto,
}

/// Seals and opens token credentials under one data key.
#[derive(Clone)]
pub struct TokenVault {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenVault { key: [redacted] }")
    }
}

impl TokenVault {
    /// A vault whose key is derived from `secret` (at least [`MIN_SECRET_CHARS`] characters).
    pub fn from_secret(secret: &SecretString) -> Result<Self, VaultError> {
        let secret = secret.expose_secret();
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(VaultError::SecretTooShort);
        }
        let mut key = [0u8; 32];
        let derived = Hkdf::<Sha256>::new(None, secret.as_bytes()).expand(KEY_INFO, &mut key);
        let cipher = derived
            .ok()
            .and_then(|()| Aes256Gcm::new_from_slice(&key).ok());
        key.zeroize();
        Ok(TokenVault {
            cipher: cipher.ok_or(VaultError::Crypto)?,
        })
    }

    /// The vault keyed by the secret `secret_id` of `secrets`. When the secret is absent and
    /// `create_if_missing` (the local stack, tests), a random 64-character secret is stored first;
    /// otherwise that is an error naming the secret id.
    ///
    /// Of two processes creating the secret at the same moment, one wins and both use its key.
    pub async fn load(
        secrets: &dyn SecretStore,
        secret_id: &str,
        create_if_missing: bool,
    ) -> Result<Self, VaultError> {
        if let Some(secret) = secrets.get_secret(secret_id).await? {
            return Self::from_secret(&secret);
        }
        if !create_if_missing {
            return Err(VaultError::MissingSecret {
                secret_id: secret_id.to_string(),
            });
        }
        let generated = generate_secret();
        if secrets.create_secret(secret_id, &generated).await? {
            return Self::from_secret(&generated);
        }
        // Another process created it first: use its key.
        let secret =
            secrets
                .get_secret(secret_id)
                .await?
                .ok_or_else(|| VaultError::MissingSecret {
                    secret_id: secret_id.to_string(),
                })?;
        Self::from_secret(&secret)
    }

    /// Encrypts `plaintext` for the `field` (see [`field`]) of the token record `tag`.
    pub fn seal(
        &self,
        tag: &Tag,
        field: &str,
        plaintext: &SecretString,
    ) -> Result<Sealed, VaultError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = associated_data(tag, field);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Crypto)?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(Sealed(STANDARD.encode(out)))
    }

    /// Decrypts what [`seal`](Self::seal) made for the same `tag` and `field`.
    pub fn open(
        &self,
        tag: &Tag,
        field: &str,
        sealed: &Sealed,
    ) -> Result<SecretString, VaultError> {
        let bytes = STANDARD
            .decode(&sealed.0)
            .map_err(|_| VaultError::Malformed("not base64"))?;
        let (&version, rest) = bytes.split_first().ok_or(VaultError::Malformed("empty"))?;
        if version != VERSION {
            return Err(VaultError::Malformed("unknown version"));
        }
        if rest.len() < NONCE_BYTES {
            return Err(VaultError::Malformed("too short"));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
        let aad = associated_data(tag, field);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Tampered)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|e| {
                e.into_bytes().zeroize();
                VaultError::Malformed("not UTF-8")
            })
    }
}

/// The associated data binding a ciphertext to its record and field: the version byte, the tag's
/// length (so no tag/field pair can imitate another), the tag, then the field.
fn associated_data(tag: &Tag, field: &str) -> Vec<u8> {
    let tag = tag.as_str();
    let mut aad = Vec::with_capacity(9 + tag.len() + field.len());
    aad.push(VERSION);
    aad.extend_from_slice(&(tag.len() as u64).to_be_bytes());
    aad.extend_from_slice(tag.as_bytes());
    aad.extend_from_slice(field.as_bytes());
    aad
}

/// A fresh random token-key secret.
fn generate_secret() -> SecretString {
    let secret: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(GENERATED_SECRET_CHARS)
        .map(char::from)
        .collect();
    SecretString::from(secret)
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;

    fn tag(raw: &str) -> Tag {
        Tag::parse(raw).unwrap()
    }
    use crate::store::sqlite::SqliteStore;

    fn vault(secret: &str) -> TokenVault {
        TokenVault::from_secret(&SecretString::from(secret)).unwrap()
    }

    const KEY_A: &str = "an-example-token-key-secret-of-40-chars!";
    const KEY_B: &str = "another-token-key-secret-of-at-least-32c";

    fn secret(s: &str) -> SecretString {
        SecretString::from(s)
    }

    #[test]
    fn a_sealed_token_opens_to_the_same_value() {
        let v = vault(KEY_A);
        let sealed = v
            .seal(
                &tag("MailSettings:3"),
                field::ACCESS_TOKEN,
                &secret("ya29.a0AfH6"),
            )
            .unwrap();
        assert!(!sealed.0.contains("ya29"));
        let opened = v
            .open(&tag("MailSettings:3"), field::ACCESS_TOKEN, &sealed)
            .unwrap();
        assert_eq!(opened.expose_secret(), "ya29.a0AfH6");
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let v = vault(KEY_A);
        let a = v
            .seal(&tag("t"), field::REFRESH_TOKEN, &secret("same"))
            .unwrap();
        let b = v
            .seal(&tag("t"), field::REFRESH_TOKEN, &secret("same"))
            .unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_flipped_bit_is_detected() {
        let v = vault(KEY_A);
        let sealed = v
            .seal(&tag("t"), field::ACCESS_TOKEN, &secret("value"))
            .unwrap();
        let mut bytes = STANDARD.decode(&sealed.0).unwrap();
        let last = bytes.len() - 1;
        for index in [1 + NONCE_BYTES, last, 5] {
            let mut altered = bytes.clone();
            altered[index] ^= 0x01;
            let err = v
                .open(
                    &tag("t"),
                    field::ACCESS_TOKEN,
                    &Sealed(STANDARD.encode(&altered)),
                )
                .unwrap_err();
            assert!(matches!(err, VaultError::Tampered), "byte {index}: {err}");
        }
        bytes[0] = 9;
        let err = v
            .open(
                &tag("t"),
                field::ACCESS_TOKEN,
                &Sealed(STANDARD.encode(&bytes)),
            )
            .unwrap_err();
        assert!(matches!(err, VaultError::Malformed(_)), "{err}");
        assert!(matches!(
            v.open(&tag("t"), field::ACCESS_TOKEN, &Sealed("%%%".into())),
            Err(VaultError::Malformed(_))
        ));
    }

    #[test]
    fn a_ciphertext_moved_to_another_token_or_field_does_not_open() {
        let v = vault(KEY_A);
        let sealed = v
            .seal(&tag("MailSettings:3"), field::ACCESS_TOKEN, &secret("at"))
            .unwrap();
        assert!(matches!(
            v.open(&tag("MailSettings:4"), field::ACCESS_TOKEN, &sealed),
            Err(VaultError::Tampered)
        ));
        assert!(matches!(
            v.open(&tag("MailSettings:3"), field::REFRESH_TOKEN, &sealed),
            Err(VaultError::Tampered)
        ));
        // The tag/field boundary cannot be shifted to forge a match.
        let shifted = v.seal(&tag("ab"), "c", &secret("x")).unwrap();
        assert!(matches!(
            v.open(&tag("a"), "bc", &shifted),
            Err(VaultError::Tampered)
        ));
    }

    #[test]
    fn another_key_does_not_open() {
        let sealed = vault(KEY_A)
            .seal(&tag("t"), field::RAW, &secret("{}"))
            .unwrap();
        assert!(matches!(
            vault(KEY_B).open(&tag("t"), field::RAW, &sealed),
            Err(VaultError::Tampered)
        ));
    }

    #[test]
    fn a_short_secret_is_refused_and_the_vault_prints_no_key() {
        let short = "x".repeat(MIN_SECRET_CHARS - 1);
        let err = TokenVault::from_secret(&secret(&short)).unwrap_err();
        assert!(matches!(err, VaultError::SecretTooShort));
        assert!(!err.to_string().contains(&short));
        let printed = format!("{:?}", vault(KEY_A));
        assert!(
            !printed.contains(KEY_A) && printed.contains("redacted"),
            "{printed}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_loads_agree_on_one_key() {
        let store = std::sync::Arc::new(SqliteStore::in_memory().unwrap());
        let loads = (0..8).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { TokenVault::load(store.as_ref(), "race/key", true).await })
        });
        let vaults: Vec<TokenVault> = futures::future::join_all(loads)
            .await
            .into_iter()
            .map(|r| r.unwrap().unwrap())
            .collect();
        let sealed = vaults[0].seal(&tag("t"), field::RAW, &secret("v")).unwrap();
        for vault in &vaults {
            assert_eq!(
                vault
                    .open(&tag("t"), field::RAW, &sealed)
                    .unwrap()
                    .expose_secret(),
                "v"
            );
        }
    }

    #[tokio::test]
    async fn load_creates_the_key_once_when_allowed() {
        let store = SqliteStore::in_memory().unwrap();
        let err = TokenVault::load(&store, "ab/token-key", false)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("ab/token-key"), "{err}");

        let first = TokenVault::load(&store, "ab/token-key", true)
            .await
            .unwrap();
        let stored = store.get_secret("ab/token-key").await.unwrap().unwrap();
        assert_eq!(stored.expose_secret().len(), GENERATED_SECRET_CHARS);
        assert!(
            stored
                .expose_secret()
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        );

        let sealed = first
            .seal(&tag("t"), field::ACCESS_TOKEN, &secret("v"))
            .unwrap();
        let again = TokenVault::load(&store, "ab/token-key", false)
            .await
            .unwrap();
        assert_eq!(
            again
                .open(&tag("t"), field::ACCESS_TOKEN, &sealed)
                .unwrap()
                .expose_secret(),
            "v"
        );
    }
}
