//! What a stored hash asks its verification to spend, read from the hash itself, and the bounds
//! beyond which authbridge never runs it: a crafted hash could otherwise ask for terabytes of
//! memory (Argon2 `m`) or days of CPU (bcrypt cost 31, phpass 2^30 rounds) at every login. The
//! import refuses such hashes and the verification refuses them again, for any that got stored.
//!
//! The bounds sit well above what WordPress and authbridge write (bcrypt 10 to 12, phpass 2^13,
//! Argon2id 19 MiB × 2) and what OWASP and RFC 9106 recommend for Argon2id (at most 64 MiB to
//! 2 GiB with one to three passes; a login function has 1 GiB in all).

use argon2::Params;
use argon2::password_hash::PasswordHash as PhcString;

use super::format::WORDPRESS_PREFIX;
use super::{HashFormat, PasswordError, Policy};
use crate::domain::user::PasswordHash;

/// Largest Argon2 memory cost run, in KiB (256 MiB).
pub const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
/// Most Argon2 passes run.
pub const MAX_ARGON2_ITERATIONS: u32 = 10;
/// Most Argon2 lanes run.
pub const MAX_ARGON2_PARALLELISM: u32 = 16;
/// Highest bcrypt cost run (2^14 rounds, about a second on one core).
pub const MAX_BCRYPT_COST: u32 = 14;
/// Highest phpass cost run (2^16 MD5 rounds).
pub const MAX_PHPASS_LOG2: u32 = 16;

/// The bcrypt cost WordPress writes (PHP's default before 8.4), which the dummy of a refusal
/// spends (see [`super::refusal`]).
pub const WORDPRESS_BCRYPT_COST: u32 = 10;

/// The work a stored hash asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// Argon2 (any variant): memory in KiB, passes, lanes.
    Argon2 {
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    },
    /// bcrypt, plain or WordPress 6.8's `$wp$`: 2^cost rounds.
    Bcrypt { cost: u32 },
    /// phpass: 2^log2 MD5 rounds.
    Phpass { log2: u32 },
    /// One MD5.
    Md5,
}

/// Why a stored hash is not run: the part of its cost beyond authbridge's bounds. Never carries
/// the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BeyondBounds {
    #[error("Argon2 memory above 256 MiB")]
    Argon2Memory,
    #[error("more than 10 Argon2 passes")]
    Argon2Iterations,
    #[error("more than 16 Argon2 lanes")]
    Argon2Parallelism,
    #[error("a bcrypt cost above 14")]
    Bcrypt,
    #[error("a phpass cost above 16 (2^16 rounds)")]
    Phpass,
}

impl Cost {
    /// The cost `stored` asks for, once it is known to be within the bounds: `Err` when the hash
    /// is in no recognised format, malformed where its cost is written, or beyond the bounds
    /// ([`PasswordError::CostBeyondBounds`]). Reads the hash only; runs nothing.
    pub fn of(stored: &PasswordHash) -> Result<Cost, PasswordError> {
        Self::read(&stored.0)?.within_bounds()
    }

    pub(super) fn read(stored: &str) -> Result<Cost, PasswordError> {
        let format = HashFormat::detect(stored).ok_or(PasswordError::UnknownFormat)?;
        let malformed = || PasswordError::Malformed(format);
        match format {
            HashFormat::Argon2 => {
                let phc = PhcString::new(stored).map_err(|_| malformed())?;
                let params = Params::try_from(&phc).map_err(|_| malformed())?;
                Ok(Cost::Argon2 {
                    memory_kib: params.m_cost(),
                    iterations: params.t_cost(),
                    parallelism: params.p_cost(),
                })
            }
            HashFormat::WordpressBcrypt | HashFormat::Bcrypt => {
                let bcrypt = stored.strip_prefix(WORDPRESS_PREFIX).unwrap_or(stored);
                // `$2y$NN$…`: the cost is the two digits after the second `$`.
                let digits = bcrypt.get(4..6).ok_or_else(malformed)?;
                let cost = match (bcrypt.as_bytes().get(6), digits.parse::<u32>()) {
                    (Some(b'$'), Ok(cost)) if digits.bytes().all(|b| b.is_ascii_digit()) => cost,
                    _ => return Err(malformed()),
                };
                Ok(Cost::Bcrypt { cost })
            }
            HashFormat::Phpass => {
                let log2 = stored
                    .as_bytes()
                    .get(3)
                    .and_then(|c| super::phpass::cost_log2(*c))
                    .ok_or_else(malformed)?;
                Ok(Cost::Phpass { log2 })
            }
            HashFormat::Md5 => Ok(Cost::Md5),
        }
    }

    /// This cost, or why it is beyond the bounds.
    pub(super) fn within_bounds(self) -> Result<Cost, PasswordError> {
        let beyond = match self {
            Cost::Argon2 { memory_kib, .. } if memory_kib > MAX_ARGON2_MEMORY_KIB => {
                Some(BeyondBounds::Argon2Memory)
            }
            Cost::Argon2 { iterations, .. } if iterations > MAX_ARGON2_ITERATIONS => {
                Some(BeyondBounds::Argon2Iterations)
            }
            Cost::Argon2 { parallelism, .. } if parallelism > MAX_ARGON2_PARALLELISM => {
                Some(BeyondBounds::Argon2Parallelism)
            }
            Cost::Bcrypt { cost } if cost > MAX_BCRYPT_COST => Some(BeyondBounds::Bcrypt),
            Cost::Phpass { log2 } if log2 > MAX_PHPASS_LOG2 => Some(BeyondBounds::Phpass),
            _ => None,
        };
        match beyond {
            Some(beyond) => Err(PasswordError::CostBeyondBounds(beyond)),
            None => Ok(self),
        }
    }

    /// Whether verifying this hash spends at least one Argon2id verification under
    /// [`Policy::CURRENT`] (what the dummy of a refusal spends).
    pub(super) fn spends_policy_argon2(self) -> bool {
        let policy = Policy::CURRENT;
        matches!(self, Cost::Argon2 { memory_kib, iterations, parallelism }
            if memory_kib >= policy.memory_kib
                && iterations >= policy.iterations
                && parallelism >= policy.parallelism)
    }

    /// Whether verifying this hash spends at least one bcrypt verification at WordPress's cost.
    pub(super) fn spends_wordpress_bcrypt(self) -> bool {
        matches!(self, Cost::Bcrypt { cost } if cost >= WORDPRESS_BCRYPT_COST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(stored: &str) -> Result<Cost, PasswordError> {
        Cost::of(&PasswordHash(stored.to_string()))
    }

    #[test]
    fn costs_are_read_from_every_format() {
        assert_eq!(
            cost("$argon2id$v=19$m=19456,t=2,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag").unwrap(),
            Cost::Argon2 {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1
            }
        );
        assert_eq!(
            cost("$wp$2y$10$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ83WKNTcRetPdj2JUGUBS").unwrap(),
            Cost::Bcrypt { cost: 10 }
        );
        assert_eq!(
            cost("$2b$12$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq").unwrap(),
            Cost::Bcrypt { cost: 12 }
        );
        assert_eq!(
            cost("$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0").unwrap(),
            Cost::Phpass { log2: 13 }
        );
        assert_eq!(cost("9cc2ae8a1ba7a93da39b46fc1019c481").unwrap(), Cost::Md5);
    }

    #[test]
    fn costs_beyond_the_bounds_are_refused_by_what_is_beyond() {
        let cases = [
            // 4 GiB.
            (
                "$argon2id$v=19$m=4194304,t=2,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag",
                BeyondBounds::Argon2Memory,
            ),
            (
                "$argon2id$v=19$m=19456,t=1000,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag",
                BeyondBounds::Argon2Iterations,
            ),
            (
                "$argon2id$v=19$m=19456,t=2,p=255$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag",
                BeyondBounds::Argon2Parallelism,
            ),
            (
                "$2y$31$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq",
                BeyondBounds::Bcrypt,
            ),
            (
                "$wp$2y$15$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ83WKNTcRetPdj2JUGUBS",
                BeyondBounds::Bcrypt,
            ),
            // 'F' is 2^17.
            ("$P$Fp0yk9i4TDmplt.CIArirkQ0fbLq6E0", BeyondBounds::Phpass),
        ];
        for (stored, beyond) in cases {
            match cost(stored) {
                Err(PasswordError::CostBeyondBounds(b)) => assert_eq!(b, beyond, "{stored}"),
                other => panic!("{stored}: {other:?}"),
            }
        }
        // The bounds themselves are run.
        assert!(cost("$argon2id$v=19$m=262144,t=10,p=16$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag").is_ok());
        assert!(cost("$2y$14$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq").is_ok());
        assert!(cost("$P$Ep0yk9i4TDmplt.CIArirkQ0fbLq6E0").is_ok());
    }

    #[test]
    fn a_cost_that_cannot_be_read_is_malformed() {
        for (stored, format) in [
            ("$2y$1x$abc", HashFormat::Bcrypt),
            ("$2y$", HashFormat::Bcrypt),
            ("$2y$100$abc", HashFormat::Bcrypt),
            ("$wp$2y$+1$abc", HashFormat::WordpressBcrypt),
            (
                "$argon2id$v=19$m=abc,t=2,p=1$c2FsdA$aGFzaA",
                HashFormat::Argon2,
            ),
        ] {
            assert!(
                matches!(cost(stored), Err(PasswordError::Malformed(f)) if f == format),
                "{stored}"
            );
        }
    }
}
