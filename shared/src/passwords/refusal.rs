//! Refusals that cost the same whatever was refused, so that the time of an answer does not tell
//! an unknown name from an account, nor an account that still holds an imported hash from one
//! that was migrated.
//!
//! Every refused password check spends one Argon2id verification under [`super::Policy::CURRENT`]
//! and one bcrypt verification at WordPress's cost (10): the stored hash's own verification counts
//! as the one of its kind, and dummy hashes of random passwords nobody knows make up the rest, both
//! on one Argon2 worker (so a flood of refusals stays within the pool). An unknown name spends both
//! dummies; a wrong password against Argon2id spends the bcrypt dummy; against bcrypt or `$wp$`
//! bcrypt, the Argon2id dummy; against phpass or MD5, both dummies after their own few
//! milliseconds (phpass 2^13 rounds) or microseconds (MD5). Before, a refusal spent one Argon2id
//! verification only, and a wrong password against bcrypt (which takes longer than Argon2id by
//! itself) was the dearest by the cost of a bcrypt: `bench-login` prints each refusal's cost as a
//! ratio to an unknown name's.
//!
//! A hash stored at a higher cost than those (bcrypt 12, Argon2id above the policy) still costs
//! more to refuse than an unknown name, by its extra cost.

use secrecy::{ExposeSecret, SecretString};

use super::PasswordError;
use super::argon;
use super::cost::Cost;
use super::pool::Pool;
use super::work::{Kind, record};

/// A bcrypt hash at cost 10 of a random password nobody knows (generated once with PHP's
/// `password_hash(bin2hex(random_bytes(32)), PASSWORD_BCRYPT, ['cost' => 10])`).
pub(super) const DUMMY_BCRYPT: &str =
    "$2y$10$VcoNvLY58K5jGj86cUIAwerLbXuWyKH5S0PmGR53aHeIjz2k4X.6y";

/// Spends what a refusal still owes after the check of a stored hash of cost `checked` failed
/// (`None`: no stored hash was run, e.g. an unknown name, no usable password, an unusable hash),
/// so that every refusal spends the same; the outcome of the dummies is discarded. Fails only when
/// the work does not complete.
#[tracing::instrument(name = "finish refusal", skip_all)]
pub async fn finish_refusal(
    password: &SecretString,
    checked: Option<Cost>,
) -> Result<(), PasswordError> {
    let argon2 = !checked.is_some_and(Cost::spends_policy_argon2);
    let bcrypt = !checked.is_some_and(Cost::spends_wordpress_bcrypt);
    if argon2 {
        record(Kind::Argon2);
    }
    if bcrypt {
        record(Kind::Bcrypt);
    }
    if !argon2 && !bcrypt {
        return Ok(());
    }
    let password = password.clone();
    Pool::global()
        .run_async(move |memory| {
            let password = password.expose_secret().as_bytes();
            if argon2 {
                argon::verify_dummy_in(memory, password);
            }
            if bcrypt {
                // Nobody knows the dummy's password; only the time spent matters.
                let _ = bcrypt::verify(password, DUMMY_BCRYPT);
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::PasswordHash;
    use crate::passwords::work::{Work, counting};

    #[test]
    fn the_bcrypt_dummy_costs_what_wordpress_writes_and_never_matches() {
        let cost = Cost::of(&PasswordHash(DUMMY_BCRYPT.into())).unwrap();
        assert!(cost.spends_wordpress_bcrypt() && !cost.spends_policy_argon2());
        assert_eq!(cost, Cost::Bcrypt { cost: 10 });
        assert!(!bcrypt::verify("", DUMMY_BCRYPT).unwrap());
        assert!(!bcrypt::verify("correct horse battery staple", DUMMY_BCRYPT).unwrap());
    }

    #[tokio::test]
    async fn every_refusal_spends_one_argon2id_and_one_bcrypt_whatever_was_checked() {
        let password = SecretString::from("wrong");
        let argon2 = Cost::Argon2 {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        };
        let weak_argon2 = Cost::Argon2 {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        };
        let cases = [
            (
                None,
                Work {
                    argon2: 1,
                    bcrypt: 1,
                    legacy: 0,
                },
            ),
            (
                Some(argon2),
                Work {
                    argon2: 0,
                    bcrypt: 1,
                    legacy: 0,
                },
            ),
            (
                Some(weak_argon2),
                Work {
                    argon2: 1,
                    bcrypt: 1,
                    legacy: 0,
                },
            ),
            (
                Some(Cost::Bcrypt { cost: 10 }),
                Work {
                    argon2: 1,
                    bcrypt: 0,
                    legacy: 0,
                },
            ),
            (
                Some(Cost::Bcrypt { cost: 12 }),
                Work {
                    argon2: 1,
                    bcrypt: 0,
                    legacy: 0,
                },
            ),
            (
                Some(Cost::Bcrypt { cost: 8 }),
                Work {
                    argon2: 1,
                    bcrypt: 1,
                    legacy: 0,
                },
            ),
            (
                Some(Cost::Phpass { log2: 13 }),
                Work {
                    argon2: 1,
                    bcrypt: 1,
                    legacy: 0,
                },
            ),
            (
                Some(Cost::Md5),
                Work {
                    argon2: 1,
                    bcrypt: 1,
                    legacy: 0,
                },
            ),
        ];
        for (checked, owed) in cases {
            let (done, work) = counting(finish_refusal(&password, checked)).await;
            done.unwrap();
            assert_eq!(work, owed, "{checked:?}");
        }
    }
}
