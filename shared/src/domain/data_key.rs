//! Data-key versions: the keys that seal stored tokens, each stored only wrapped by a
//! key-encryption key (a KMS key, a secret, or the local key file) and named in every value it
//! sealed, so several versions can open side by side while a rotation re-seals the records.

use serde::{Deserialize, Serialize};

use crate::clock::Epoch;

/// The number of a data-key version: 1 for the first, one more for each rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyNumber(pub u32);

impl KeyNumber {
    /// The first version a keyring makes.
    pub const FIRST: KeyNumber = KeyNumber(1);

    /// The version after this one.
    pub fn next(self) -> KeyNumber {
        KeyNumber(self.0.saturating_add(1))
    }

    /// Parses an operator's `N` (a positive whole number).
    pub fn parse(raw: &str) -> Result<KeyNumber, String> {
        match raw.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(KeyNumber(n)),
            _ => Err(format!(
                "{raw:?} is not a key version (a whole number from 1)"
            )),
        }
    }
}

impl std::fmt::Display for KeyNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One data-key version as stored: never the key itself, only the key wrapped by the
/// key-encryption key named in `wrapped_by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVersion {
    pub number: KeyNumber,
    /// The wrapped data key (base64); `None` once the version is retired (nothing it sealed is
    /// left, and the key is gone with it).
    pub wrapped: Option<String>,
    /// Which key-encryption key wrapped it (`kms:<key id>`, `secret:<name>`, `file`).
    pub wrapped_by: String,
    pub created: Epoch,
    /// When it was retired; a retired version opens nothing.
    #[serde(default)]
    pub retired: Option<Epoch>,
    /// Where the last re-seal under this version stopped (an opaque listing cursor), so the next
    /// run goes on from there; `None` before the first run and after a complete pass.
    #[serde(default)]
    pub reseal_after: Option<String>,
    /// Records the current re-seal pass left for a later one (a refresh held them, or they
    /// kept changing); a pass that ends with some left starts again.
    #[serde(default)]
    pub reseal_left: u64,
    /// When a re-seal pass under this version went through every record and left none: nothing
    /// is sealed under another version any more, and the sweep stops re-sealing.
    #[serde(default)]
    pub resealed_at: Option<Epoch>,
    /// Optimistic-concurrency version of this item (see `store/version.rs`).
    pub version: u64,
}

impl KeyVersion {
    /// Whether the version still opens what it sealed.
    pub fn is_live(&self) -> bool {
        self.retired.is_none()
    }
}

/// The version new seals use: the newest live one.
pub fn active(versions: &[KeyVersion]) -> Option<&KeyVersion> {
    versions
        .iter()
        .filter(|v| v.is_live())
        .max_by_key(|v| v.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(n: u32, retired: Option<Epoch>) -> KeyVersion {
        KeyVersion {
            number: KeyNumber(n),
            wrapped: Some("w".into()),
            wrapped_by: "file".into(),
            created: 0,
            retired,
            reseal_after: None,
            reseal_left: 0,
            resealed_at: None,
            version: 1,
        }
    }

    #[test]
    fn the_newest_live_version_is_active() {
        assert!(active(&[]).is_none());
        let versions = [version(1, Some(5)), version(3, None), version(2, None)];
        assert_eq!(active(&versions).map(|v| v.number), Some(KeyNumber(3)));
    }

    #[test]
    fn an_operator_names_a_version_by_a_positive_number() {
        assert_eq!(KeyNumber::parse(" 7 "), Ok(KeyNumber(7)));
        assert!(KeyNumber::parse("0").is_err());
        assert!(KeyNumber::parse("v2").is_err());
    }
}
