//! Argon2id (RFC 9106) in the PHC string format: the only format authbridge writes. Every hash and
//! verification runs on the bounded [`super::pool`], in a worker's reused [`Memory`], computed by
//! [`argon2id`] (the `argon2` crate parses and writes the strings).

use std::fmt;

use argon2::password_hash::{Output, ParamsString, PasswordHash as PhcString, Salt, SaltString};
use argon2::{Algorithm, Params, Version};
use authbridge_argon2id::{self as argon2id, Argon2Error, Inputs};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use super::memory::Memory;
use super::pool::Pool;
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

impl Policy {
    /// The number of 1 KiB blocks a hash under this policy works through.
    fn block_count(self) -> usize {
        self.params().map_or(0, |p| argon2id::block_count(&p))
    }

    fn params(self) -> Result<Params, argon2::Error> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
    }
}

/// Computes the raw Argon2 output of `algorithm`, `version` and `params` for `password` and
/// `salt` into `out`, in `memory` (see [`argon2id`]).
fn raw_hash(
    memory: &mut Memory,
    (algorithm, version): (Algorithm, Version),
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), Argon2Error> {
    let kept = Policy::CURRENT.block_count();
    let inputs = Inputs {
        password,
        salt,
        secret: &[],
    };
    memory.with_blocks(argon2id::block_count(params), kept, |blocks| {
        argon2id::hash_into(blocks, algorithm, version, params, &inputs, out)
    })
}

/// Hashes a new password with Argon2id under [`Policy::CURRENT`] and a random salt, on the Argon2
/// pool (blocking the calling thread until done).
///
/// From async code use [`super::hash_password_blocking`].
pub fn hash_password(password: &SecretString) -> Result<PasswordHash, PasswordError> {
    let password = password.clone();
    Pool::global()
        .run(move |memory| hash_in(memory, Policy::CURRENT, password.expose_secret().as_bytes()))?
}

/// [`hash_password`] under any policy, on the pool.
#[cfg(test)]
pub(super) fn hash_with(policy: Policy, password: &[u8]) -> Result<PasswordHash, PasswordError> {
    let password = password.to_vec();
    Pool::global().run(move |memory| hash_in(memory, policy, &password))?
}

/// Hashes `password` under `policy` with a random salt, working in `memory`; PHC string out.
pub(super) fn hash_in(
    memory: &mut Memory,
    policy: Policy,
    password: &[u8],
) -> Result<PasswordHash, PasswordError> {
    let hashing = |e: argon2::Error| PasswordError::Hashing(e.into());
    let mut salt = [0u8; Policy::SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let params = policy.params().map_err(hashing)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2id = (Algorithm::Argon2id, Version::V0x13);
    raw_hash(memory, argon2id, &params, password, &salt, &mut out)
        .map_err(|_| PasswordError::Hashing(argon2::password_hash::Error::Crypto))?;
    let salt = SaltString::encode_b64(&salt).map_err(PasswordError::Hashing)?;
    let phc = PhcString {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(PasswordError::Hashing)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(PasswordError::Hashing)?),
    };
    Ok(PasswordHash(phc.to_string()))
}

/// Verifies against a PHC string of any Argon2 variant, with the parameters it names, on the pool
/// (blocking the calling thread until done).
pub(super) fn verify(password: &[u8], stored: &str) -> Result<Verification, PasswordError> {
    let (password, stored) = (SecretSlice::from(password.to_vec()), stored.to_owned());
    Pool::global().run(move |memory| verify_in(memory, password.expose_secret(), &stored))?
}

/// Verifies against a PHC string of any Argon2 variant, working in `memory`.
///
/// Like `argon2`'s own `verify_password`, but into caller-given memory: the output is recomputed
/// with the stored algorithm, version, parameters and salt and compared in constant time.
pub(super) fn verify_in(
    memory: &mut Memory,
    password: &[u8],
    stored: &str,
) -> Result<Verification, PasswordError> {
    let malformed = |_| PasswordError::Malformed(HashFormat::Argon2);
    let phc = PhcString::new(stored).map_err(malformed)?;
    let algorithm = Algorithm::try_from(phc.algorithm).map_err(malformed)?;
    let version = phc
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .map_err(|_| PasswordError::Malformed(HashFormat::Argon2))?;
    let params = Params::try_from(&phc).map_err(malformed)?;
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        return Err(PasswordError::Malformed(HashFormat::Argon2));
    };
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(malformed)?;
    let mut out = vec![0u8; expected.len()];
    raw_hash(
        memory,
        (algorithm, version),
        &params,
        password,
        salt,
        &mut out,
    )
    .map_err(|_| PasswordError::Malformed(HashFormat::Argon2))?;
    // `Output`'s equality is constant-time.
    if Output::new(&out).map_err(malformed)? != expected {
        return Ok(Verification::Invalid);
    }
    Ok(Verification::Valid {
        needs_rehash: !Policy::CURRENT.is_met_by(algorithm, phc.version, &params),
    })
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

/// [`verify_dummy`] working in `memory`.
pub(super) fn verify_dummy_in(memory: &mut Memory, password: &[u8]) {
    let _ = verify_in(memory, password, DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passwords::memory::ALLOCATIONS;

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
    fn our_hashes_verify_with_the_argon2_crate() {
        use argon2::{Argon2, PasswordVerifier};
        let hash = hash_password(&SecretString::from("interop")).unwrap();
        let phc = PhcString::new(&hash.0).unwrap();
        assert!(Argon2::default().verify_password(b"interop", &phc).is_ok());
        assert!(
            Argon2::default()
                .verify_password(b"interopp", &phc)
                .is_err()
        );
    }

    #[test]
    fn the_argon2_crates_hashes_of_every_type_and_version_verify_here() {
        use argon2::{Argon2, PasswordHasher};
        let salt = SaltString::encode_b64(b"sixteen byte sal").unwrap();
        for algorithm in [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d] {
            for version in [Version::V0x13, Version::V0x10] {
                // Two lanes and a memory that is not a multiple of 4p, with associated data.
                let params = argon2::ParamsBuilder::new()
                    .m_cost(70)
                    .t_cost(3)
                    .p_cost(2)
                    .data(argon2::AssociatedData::new(b"ad").unwrap())
                    .build()
                    .unwrap();
                let theirs = Argon2::new(algorithm, version, params)
                    .hash_password(b"interop", &salt)
                    .unwrap()
                    .to_string();
                let case = format!("{algorithm} {version:?}: {theirs}");
                assert!(verify(b"interop", &theirs).unwrap().is_valid(), "{case}");
                assert_eq!(
                    verify(b"Interop", &theirs).unwrap(),
                    Verification::Invalid,
                    "{case}"
                );
            }
        }
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
    fn every_hash_and_verification_reuses_one_block_per_worker() {
        let hash = hash_password(&SecretString::from("pw")).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let hash = hash.clone();
                std::thread::spawn(move || {
                    for _ in 0..3 {
                        assert!(verify(b"pw", &hash.0).unwrap().is_valid());
                        verify_dummy(&SecretString::from("pw"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Other tests of this process hash too: all share the same workers and blocks.
        let allocations = ALLOCATIONS.load(std::sync::atomic::Ordering::SeqCst);
        assert!(allocations >= 1);
        assert!(
            allocations <= Pool::global().max_workers(),
            "{allocations} blocks for {} workers",
            Pool::global().max_workers()
        );
    }

    #[test]
    fn a_hash_without_salt_or_output_is_malformed_not_a_cheap_refusal() {
        for stored in [
            "$argon2id$v=19$m=19456,t=2,p=1",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
        ] {
            assert!(matches!(
                verify(b"pw", stored),
                Err(PasswordError::Malformed(HashFormat::Argon2))
            ));
        }
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
