//! Behaviour of the public API against hashes made by the real implementations.
//!
//! Vectors were generated once with PHP 8.2.36 (Debian 12 `php-cli`) and pasted here:
//! - phpass: the portable-hash functions of WordPress's `wp-includes/class-phpass.php`
//!   (`gensalt_private`, `crypt_private`, `encode64`) run as `new PasswordHash(8, true)` would, i.e.
//!   `crypt_private($p, gensalt_private(random_bytes(6)))`; `$H$` is the same with the id replaced;
//! - WordPress 6.8: `'$wp' . password_hash(base64_encode(hash_hmac('sha384', $p, 'wp-sha384', true)),
//!   PASSWORD_BCRYPT)`;
//! - bcrypt: `password_hash($p, PASSWORD_BCRYPT)`;  MD5: `md5($p)`;
//! - Argon2: `password_hash($p, PASSWORD_ARGON2ID or PASSWORD_ARGON2I, ['memory_cost' => m,
//!   'time_cost' => t, 'threads' => p])`.

use secrecy::SecretString;

use super::*;
use crate::domain::user::PasswordHash;

const PASSWORD: &str = "correct horse battery staple";

const PHPASS_WORDPRESS: &str = "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0";
const PHPASS_PHPBB: &str = "$H$BIEyoUk42hIJLf0jjqTB6NErCb5srz0";
/// Of "pässwörd ✓" (UTF-8).
const PHPASS_UTF8: &str = "$P$BcDKvYsm/OWRrUDBcgsI2.pmCi9cfj.";
const WORDPRESS_6_8: &str = "$wp$2y$10$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ83WKNTcRetPdj2JUGUBS";
/// Of 90 × "a" followed by "tail-1234" (99 bytes, beyond bcrypt's 72).
const WORDPRESS_6_8_LONG: &str = "$wp$2y$10$EqKgaoUf/UltvEG84D/gOun5tX9yvgUgNJVQ6Co9RlxZIglR4EKX.";
const BCRYPT_PHP: &str = "$2y$10$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq";
const MD5: &str = "9cc2ae8a1ba7a93da39b46fc1019c481";
/// m=19456, t=2, p=1: the policy.
const ARGON2ID_POLICY: &str = "$argon2id$v=19$m=19456,t=2,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag";
/// m=4096, t=1, p=1: weaker than the policy.
const ARGON2ID_WEAK: &str = "$argon2id$v=19$m=4096,t=1,p=1$TUhNTUNhRjE1Q0pzN2lIYg$IOWG0/NrSYDKg2v6mdtyojiHxKta3X3sc3qU7SqeJYs";
/// The policy's costs, but Argon2i.
const ARGON2I: &str = "$argon2i$v=19$m=19456,t=2,p=1$anFXd0cwYXBwc3VkNjNwWg$eIGhENuivbHqB6E+Y4tiLM1p8PZ3n9nWdr/vM1n3cRA";

fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

fn stored(s: &str) -> PasswordHash {
    PasswordHash(s.to_string())
}

fn check(password: &str, hash: &str) -> Verification {
    verify_password(&secret(password), &stored(hash)).unwrap()
}

const REHASH: Verification = Verification::Valid { needs_rehash: true };

/// The right password verifies and asks for a rehash; a wrong one and a near miss do not verify.
fn assert_legacy_hash_of(password: &str, hash: &str) {
    assert_eq!(check(password, hash), REHASH, "right password, {hash}");
    assert_eq!(
        check("wrong password", hash),
        Verification::Invalid,
        "{hash}"
    );
    assert_eq!(
        check(&format!("{password} "), hash),
        Verification::Invalid,
        "{hash}"
    );
    assert_eq!(check("", hash), Verification::Invalid, "{hash}");
}

#[test]
fn wordpress_phpass_hashes_verify_and_need_rehash() {
    assert_legacy_hash_of(PASSWORD, PHPASS_WORDPRESS);
    assert_legacy_hash_of("pässwörd ✓", PHPASS_UTF8);
}

#[test]
fn phpbb_phpass_hashes_verify_and_need_rehash() {
    assert_legacy_hash_of(PASSWORD, PHPASS_PHPBB);
}

#[test]
fn phpass_refuses_passwords_over_4096_bytes_as_wordpress_does() {
    let long = "x".repeat(4097);
    assert_eq!(check(&long, PHPASS_WORDPRESS), Verification::Invalid);
}

#[test]
fn wordpress_6_8_hashes_verify_and_need_rehash() {
    assert_legacy_hash_of(PASSWORD, WORDPRESS_6_8);
}

#[test]
fn wordpress_6_8_hashes_count_every_byte_of_a_long_password() {
    let password = format!("{}tail-1234", "a".repeat(90));
    assert_legacy_hash_of(&password, WORDPRESS_6_8_LONG);
    let differs_after_72_bytes = format!("{}tail-9999", "a".repeat(90));
    assert_eq!(
        check(&differs_after_72_bytes, WORDPRESS_6_8_LONG),
        Verification::Invalid
    );
}

#[test]
fn php_bcrypt_hashes_verify_and_need_rehash() {
    assert_legacy_hash_of(PASSWORD, BCRYPT_PHP);
    // The same hash under the other prefixes PHP and OpenBSD write.
    assert_legacy_hash_of(PASSWORD, &BCRYPT_PHP.replacen("$2y$", "$2b$", 1));
    assert_legacy_hash_of(PASSWORD, &BCRYPT_PHP.replacen("$2y$", "$2a$", 1));
}

#[test]
fn bare_md5_hashes_verify_in_either_case_and_need_rehash() {
    assert_legacy_hash_of(PASSWORD, MD5);
    assert_legacy_hash_of(PASSWORD, &MD5.to_ascii_uppercase());
}

#[test]
fn a_fresh_hash_verifies_without_rehash() {
    let hash = hash_password(&secret(PASSWORD)).unwrap();
    assert!(hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_eq!(
        verify_password(&secret(PASSWORD), &hash).unwrap(),
        Verification::Valid {
            needs_rehash: false
        }
    );
    assert_eq!(
        verify_password(&secret("wrong password"), &hash).unwrap(),
        Verification::Invalid
    );
}

#[test]
fn a_php_argon2id_hash_at_the_policy_verifies_without_rehash() {
    assert_eq!(
        check(PASSWORD, ARGON2ID_POLICY),
        Verification::Valid {
            needs_rehash: false
        }
    );
    assert_eq!(
        check("wrong password", ARGON2ID_POLICY),
        Verification::Invalid
    );
}

#[test]
fn a_weaker_argon2id_hash_verifies_and_needs_rehash() {
    assert_legacy_hash_of(PASSWORD, ARGON2ID_WEAK);
}

#[test]
fn an_argon2i_hash_verifies_and_needs_rehash() {
    assert_legacy_hash_of(PASSWORD, ARGON2I);
}

#[test]
fn an_unknown_format_is_an_error_that_does_not_quote_the_hash() {
    for hash in [
        "sha1$abc$0123456789abcdef0123456789abcdef01234567",
        "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
        "*",
        "",
    ] {
        let err = verify_password(&secret(PASSWORD), &stored(hash)).unwrap_err();
        assert!(matches!(err, PasswordError::UnknownFormat), "{hash}");
        assert_eq!(
            err.to_string(),
            "the stored password hash is in no recognised format"
        );
    }
}

#[test]
fn errors_and_hashes_never_show_the_password_or_the_hash() {
    let password = "hunter2-secret";
    let malformed = [
        "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0toolong",
        "$wp$2y$10$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ",
        "$2y$99$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq",
        "$argon2id$v=19$m=4096,t=1,p=1$TUhNTUNhRjE1Q0pzN2lIYg$",
        "unknown-format-hash-material",
    ];
    for hash in malformed {
        let err = verify_password(&secret(password), &stored(hash)).unwrap_err();
        for shown in [format!("{err:?}"), err.to_string()] {
            assert!(!shown.contains(password), "{shown}");
            assert!(!shown.contains(&hash[4..]), "{shown}");
        }
    }
    let hash = hash_password(&secret(password)).unwrap();
    let shown = format!("{hash:?}");
    assert!(
        !shown.contains(password) && !shown.contains("argon2"),
        "{shown}"
    );
}

#[test]
fn malformed_hashes_name_their_format() {
    let err = verify_password(&secret(PASSWORD), &stored("$P$Bshort")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the stored phpass password hash is malformed"
    );
    let err = verify_password(&secret(PASSWORD), &stored("$2y$10$short")).unwrap_err();
    assert!(matches!(err, PasswordError::Malformed(HashFormat::Bcrypt)));
}

#[tokio::test]
async fn the_blocking_wrappers_hash_and_verify_off_the_executor() {
    let password = secret(PASSWORD);
    let hash = hash_password_blocking(&password).await.unwrap();
    assert_eq!(
        verify_password_blocking(&password, &hash).await.unwrap(),
        Verification::Valid {
            needs_rehash: false
        }
    );
    assert_eq!(
        verify_password_blocking(&secret("wrong"), &stored(PHPASS_WORDPRESS))
            .await
            .unwrap(),
        Verification::Invalid
    );
    verify_dummy_blocking(&password).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_in_parallel_each_get_their_own_answer() {
    let tasks = [
        (PASSWORD, WORDPRESS_6_8, true),
        ("wrong", WORDPRESS_6_8, false),
        (PASSWORD, PHPASS_WORDPRESS, true),
        ("wrong", ARGON2ID_WEAK, false),
    ]
    .map(|(password, hash, valid)| async move {
        let outcome = verify_password_blocking(&secret(password), &stored(hash))
            .await
            .unwrap();
        assert_eq!(outcome.is_valid(), valid, "{password} against {hash}");
    });
    futures::future::join_all(tasks).await;
}

/// A stored hash that asks for more than authbridge runs is refused before any of it runs (a
/// 4 GiB Argon2 would otherwise be allocated, a bcrypt cost of 31 take days), by both entry points.
#[tokio::test]
async fn a_hash_beyond_the_cost_bounds_is_never_run() {
    for (hash, beyond) in [
        (
            ARGON2ID_POLICY.replace("m=19456", "m=4194304"),
            BeyondBounds::Argon2Memory,
        ),
        (
            ARGON2ID_POLICY.replace("t=2", "t=100000"),
            BeyondBounds::Argon2Iterations,
        ),
        (BCRYPT_PHP.replacen("$10$", "$31$", 1), BeyondBounds::Bcrypt),
        (
            PHPASS_WORDPRESS.replacen("$P$B", "$P$z", 1),
            BeyondBounds::Phpass,
        ),
    ] {
        for err in [
            verify_password(&secret(PASSWORD), &stored(&hash)).unwrap_err(),
            verify_password_blocking(&secret(PASSWORD), &stored(&hash))
                .await
                .unwrap_err(),
        ] {
            match err {
                PasswordError::CostBeyondBounds(b) => assert_eq!(b, beyond, "{hash}"),
                // phpass's own range stops at 2^30: 'z' is not a phpass cost at all.
                PasswordError::Malformed(HashFormat::Phpass) if beyond == BeyondBounds::Phpass => {}
                other => panic!("{hash}: {other:?}"),
            }
        }
    }
    let beyond_16 = PHPASS_WORDPRESS.replacen("$P$B", "$P$F", 1);
    assert!(matches!(
        verify_password(&secret(PASSWORD), &stored(&beyond_16)),
        Err(PasswordError::CostBeyondBounds(BeyondBounds::Phpass))
    ));
}
