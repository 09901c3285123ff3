//! Argon2id (RFC 9106) in the PHC string format: the only format authbridge writes.

use std::fmt;

use argon2::password_hash::{self, PasswordHash as PhcString, Salt, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use super::{HashFormat, PasswordError, Verification};
use crate::domain::user::PasswordHash;

/// Argon2id cost parameters of new hashes; stored hashes below them ask for a rehash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Memory per hash in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over the memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl Policy {
    /// The minimum of OWASP's Password Storage Cheat Sheet for Argon2id: m = 19 MiB, t = 2, p = 1.
    pub const CURRENT: Policy = Policy {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Length in bytes of the random salt of a new hash (the PHC recommendation).
    pub const SALT_LEN: usize = Salt::RECOMMENDED_LENGTH;

    fn hasher(self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| PasswordError::Hashing(e.into()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Whether a hash made with `algorithm`, `version` and `params` is as strong as this policy.
    fn is_met_by(self, algorithm: Algorithm, version: Option<u32>, params: &Params) -> bool {
        algorithm == Algorithm::Argon2id
            && version == Some(Version::V0x13.into())
            && params.m_cost() >= self.memory_kib
            && params.t_cost() >= self.iterations
            && params.p_cost() >= self.parallelism
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "argon2id m={} t={} p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }
}

/// Hashes a new password with Argon2id under [`Policy::CURRENT`] and a random salt.
///
/// CPU-heavy: from async code use [`super::hash_password_blocking`].
pub fn hash_password(password: &SecretString) -> Result<PasswordHash, PasswordError> {
    hash_with(Policy::CURRENT, password.expose_secret().as_bytes())
}

pub(super) fn hash_with(policy: Policy, password: &[u8]) -> Result<PasswordHash, PasswordError> {
    let mut salt = [0u8; Policy::SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(PasswordError::Hashing)?;
    let phc = policy
        .hasher()?
        .hash_password(password, &salt)
        .map_err(PasswordError::Hashing)?;
    Ok(PasswordHash(phc.to_string()))
}

/// Verifies against a PHC string of any Argon2 variant, with the parameters it names.
pub(super) fn verify(password: &[u8], stored: &str) -> Result<Verification, PasswordError> {
    let malformed = |_| PasswordError::Malformed(HashFormat::Argon2);
    let phc = PhcString::new(stored).map_err(malformed)?;
    let algorithm = Algorithm::try_from(phc.algorithm).map_err(malformed)?;
    let params = Params::try_from(&phc).map_err(malformed)?;
    let version = phc.version;
    // `Argon2::default()` only supplies defaults: algorithm, version and params come from `phc`.
    match Argon2::default().verify_password(password, &phc) {
        Ok(()) => Ok(Verification::Valid {
            needs_rehash: !Policy::CURRENT.is_met_by(algorithm, version, &params),
        }),
        Err(password_hash::Error::Password) => Ok(Verification::Invalid),
        Err(e) => Err(malformed(e)),
    }
}

/// An Argon2id hash under [`Policy::CURRENT`] of a random password nobody knows (generated once
/// with PHP's `password_hash(bin2hex(random_bytes(32)), PASSWORD_ARGON2ID, ['memory_cost' => 19456,
/// 'time_cost' => 2, 'threads' => 1])`). A test fails when it no longer matches the policy.
pub(super) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$V1JkLkxLQ2tnSFl1OWo1Lg$P3Z5vkzTFFBDkNOPHHQ+88EbjhaOqXFWj45fDnMpeKY";

/// Spends as long as verifying a current Argon2id hash, for a login whose user is unknown, so the
/// response time does not reveal which users exist. The outcome is discarded.
///
/// CPU-heavy: from async code use [`super::verify_dummy_blocking`].
pub fn verify_dummy(password: &SecretString) {
    // Nobody knows the dummy's password; whatever the result, only the time spent matters.
    let _ = verify(password.expose_secret().as_bytes(), DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed_policy(stored: &str) -> (String, Option<u32>, Params) {
        let phc = PhcString::new(stored).unwrap();
        (
            phc.algorithm.to_string(),
            phc.version,
            Params::try_from(&phc).unwrap(),
        )
    }

    #[test]
    fn a_fresh_hash_uses_the_policy_and_needs_no_rehash() {
        let password = SecretString::from("correct horse battery staple");
        let hash = hash_password(&password).unwrap();
        let (algorithm, version, params) = parsed_policy(&hash.0);
        assert_eq!(algorithm, "argon2id");
        assert_eq!(version, Some(0x13));
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (19_456, 2, 1)
        );
        assert_eq!(
            verify(b"correct horse battery staple", &hash.0).unwrap(),
            Verification::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(verify(b"wrong", &hash.0).unwrap(), Verification::Invalid);
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        let password = SecretString::from("same");
        assert_ne!(
            hash_password(&password).unwrap(),
            hash_password(&password).unwrap()
        );
    }

    #[test]
    fn the_policy_is_at_least_owasp_minimum_and_prints_its_parameters() {
        let policy = Policy::CURRENT;
        assert!(policy.memory_kib >= 19_456 && policy.iterations >= 2 && policy.parallelism >= 1);
        assert_eq!(policy.to_string(), "argon2id m=19456 t=2 p=1");
    }

    #[test]
    fn the_dummy_hash_costs_what_the_policy_costs() {
        let (algorithm, version, params) = parsed_policy(DUMMY_HASH);
        assert_eq!(algorithm, "argon2id");
        assert_eq!(version, Some(0x13));
        let p = Policy::CURRENT;
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (p.memory_kib, p.iterations, p.parallelism),
            "regenerate DUMMY_HASH with the current policy"
        );
    }

    #[test]
    fn the_dummy_hash_runs_a_full_verification_that_never_succeeds() {
        // An error would return early and make an unknown user cheaper than a wrong password.
        assert_eq!(verify(b"", DUMMY_HASH).unwrap(), Verification::Invalid);
        assert_eq!(
            verify(b"correct horse battery staple", DUMMY_HASH).unwrap(),
            Verification::Invalid
        );
    }

    #[test]
    fn a_hash_stronger_than_the_policy_needs_no_rehash() {
        let stronger = Policy {
            memory_kib: Policy::CURRENT.memory_kib * 2,
            ..Policy::CURRENT
        };
        let hash = hash_with(stronger, b"pw").unwrap();
        assert_eq!(
            verify(b"pw", &hash.0).unwrap(),
            Verification::Valid {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn a_garbled_argon2_hash_is_malformed() {
        for stored in [
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            "$argon2id$v=19$m=19456,t=2,p=1,x=3$c2FsdHNhbHQ$aGFzaGhhc2g",
        ] {
            assert!(matches!(
                verify(b"pw", stored),
                Err(PasswordError::Malformed(HashFormat::Argon2))
            ));
        }
    }
}
