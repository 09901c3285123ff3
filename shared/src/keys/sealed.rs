//! The sealed-value format, version 2: `2 ‖ key version (4 bytes, big-endian) ‖ nonce (12 bytes) ‖
//! ciphertext and tag`, in base64 (standard alphabet).
//!
//! The associated data binds a value to everything it belongs to: the format byte, the record
//! (its tag and its connection id, which a replace changes), the field, and the key version. A
//! value moved to another record, to another connection under the same tag, to another field, or
//! given another version byte or key number, no longer opens.
//!
//! Version 1 (`1 ‖ nonce ‖ ciphertext`, see [`crate::vault`]) still opens with the key derived
//! from the token-key secret, until the re-seal has rewritten it.

use aes_gcm::Aes256Gcm;
use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};

use super::KeyError;
use crate::domain::token::Sealed;
use crate::domain::{KeyNumber, Tag};

/// The format byte of version 1 (one secret-derived key).
pub const FORMAT_V1: u8 = 1;
/// The format byte of version 2 (key versions, record-bound).
pub const FORMAT_V2: u8 = 2;

const NUMBER_BYTES: usize = 4;
const NONCE_BYTES: usize = 12;

/// The record a sealed value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordId<'a> {
    /// The record's tag.
    pub tag: &'a Tag,
    /// The connection held under the tag: a replace makes a new one. Records written before
    /// connections had ids use their tag.
    pub connection: &'a str,
}

/// Which key sealed a value, read from its first bytes (no key needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SealedBy {
    /// Format 1: the key derived from the token-key secret.
    Legacy,
    /// Format 2 under this data-key version.
    Version(KeyNumber),
}

impl std::fmt::Display for SealedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealedBy::Legacy => f.write_str("legacy (format 1)"),
            SealedBy::Version(n) => write!(f, "{n}"),
        }
    }
}

/// Which key sealed `sealed`.
pub fn sealed_by(sealed: &Sealed) -> Result<SealedBy, KeyError> {
    let bytes = decode(sealed)?;
    header(&bytes).map(|(by, _)| by)
}

fn decode(sealed: &Sealed) -> Result<Vec<u8>, KeyError> {
    STANDARD
        .decode(&sealed.0)
        .map_err(|_| KeyError::Malformed("not base64"))
}

/// The key and the rest (nonce and ciphertext) of a decoded value.
fn header(bytes: &[u8]) -> Result<(SealedBy, &[u8]), KeyError> {
    match bytes.split_first() {
        None => Err(KeyError::Malformed("empty")),
        Some((&FORMAT_V1, _)) => Ok((SealedBy::Legacy, bytes)),
        Some((&FORMAT_V2, rest)) if rest.len() >= NUMBER_BYTES + NONCE_BYTES => {
            let (number, rest) = rest.split_at(NUMBER_BYTES);
            let mut be = [0u8; NUMBER_BYTES];
            be.copy_from_slice(number);
            Ok((SealedBy::Version(KeyNumber(u32::from_be_bytes(be))), rest))
        }
        Some((&FORMAT_V2, _)) => Err(KeyError::Malformed("too short")),
        Some(_) => Err(KeyError::Malformed("unknown format")),
    }
}

/// Length-prefixed parts, so no boundary can be shifted to imitate another record or field.
fn associated_data(record: RecordId<'_>, field: &str, number: KeyNumber) -> Vec<u8> {
    let parts: [&[u8]; 3] = [
        record.tag.as_str().as_bytes(),
        record.connection.as_bytes(),
        field.as_bytes(),
    ];
    let mut aad = Vec::with_capacity(1 + 24 + parts.iter().map(|p| p.len()).sum::<usize>() + 4);
    aad.push(FORMAT_V2);
    for part in parts {
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad.extend_from_slice(&number.0.to_be_bytes());
    aad
}

/// Seals `plaintext` for `field` of `record` under data-key version `number`.
pub fn seal(
    cipher: &Aes256Gcm,
    number: KeyNumber,
    record: RecordId<'_>,
    field: &str,
    plaintext: &SecretString,
) -> Result<Sealed, KeyError> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let aad = associated_data(record, field, number);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext.expose_secret().as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| KeyError::Crypto)?;
    let mut out = Vec::with_capacity(1 + NUMBER_BYTES + NONCE_BYTES + ciphertext.len());
    out.push(FORMAT_V2);
    out.extend_from_slice(&number.0.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(Sealed(STANDARD.encode(out)))
}

/// The format-2 parts of `sealed`: its key version and its nonce and ciphertext; `None` for a
/// format-1 value.
pub(crate) fn parts(sealed: &Sealed) -> Result<Option<(KeyNumber, Vec<u8>)>, KeyError> {
    let bytes = decode(sealed)?;
    match header(&bytes)? {
        (SealedBy::Legacy, _) => Ok(None),
        (SealedBy::Version(n), rest) => Ok(Some((n, rest.to_vec()))),
    }
}

/// Opens a format-2 value's `rest` (nonce and ciphertext) sealed under version `number`.
pub(crate) fn open(
    cipher: &Aes256Gcm,
    number: KeyNumber,
    record: RecordId<'_>,
    field: &str,
    rest: &[u8],
) -> Result<SecretString, KeyError> {
    let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
    let aad = associated_data(record, field, number);
    let plaintext = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| KeyError::Tampered)?;
    String::from_utf8(plaintext)
        .map(SecretString::from)
        .map_err(|e| {
            e.into_bytes().zeroize();
            KeyError::Malformed("not UTF-8")
        })
}
