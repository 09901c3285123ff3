//! Recognising the format of a stored password hash from its prefix, as WordPress's
//! `wp_check_password` does.

use std::fmt;

use crate::domain::user::PasswordHash;

/// The formats of stored password hashes that [`super::verify_password`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFormat {
    /// PHC string `$argon2id$…`, `$argon2i$…` or `$argon2d$…`: what authbridge writes.
    Argon2,
    /// phpass portable hash `$P$…` (WordPress before 6.8) or `$H$…` (phpBB): iterated MD5.
    Phpass,
    /// WordPress 6.8+ `$wp$2y$…`: bcrypt of base64(HMAC-SHA384(key "wp-sha384", password)).
    WordpressBcrypt,
    /// Plain bcrypt `$2y$…`, `$2b$…` or `$2a$…` (PHP `password_hash`).
    Bcrypt,
    /// A bare MD5 of the password in 32 hex digits, from very old WordPress sites.
    Md5,
}

const ARGON2_PREFIXES: [&str; 3] = ["$argon2id$", "$argon2i$", "$argon2d$"];
const PHPASS_PREFIXES: [&str; 2] = ["$P$", "$H$"];
const BCRYPT_PREFIXES: [&str; 3] = ["$2y$", "$2b$", "$2a$"];
/// What WordPress 6.8+ puts before a bcrypt hash of the pre-hashed password.
pub(super) const WORDPRESS_PREFIX: &str = "$wp";

impl HashFormat {
    /// The format of a stored hash, or `None` when it is none of the recognised ones.
    pub fn of(hash: &PasswordHash) -> Option<Self> {
        Self::detect(&hash.0)
    }

    pub(super) fn detect(stored: &str) -> Option<Self> {
        let starts_with_any =
            |s: &str, prefixes: &[&str]| prefixes.iter().any(|p| s.starts_with(p));
        if starts_with_any(stored, &ARGON2_PREFIXES) {
            Some(HashFormat::Argon2)
        } else if starts_with_any(stored, &PHPASS_PREFIXES) {
            Some(HashFormat::Phpass)
        } else if stored
            .strip_prefix(WORDPRESS_PREFIX)
            .is_some_and(|rest| starts_with_any(rest, &BCRYPT_PREFIXES))
        {
            Some(HashFormat::WordpressBcrypt)
        } else if starts_with_any(stored, &BCRYPT_PREFIXES) {
            Some(HashFormat::Bcrypt)
        } else if stored.len() == 32 && stored.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(HashFormat::Md5)
        } else {
            None
        }
    }
}

impl fmt::Display for HashFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashFormat::Argon2 => "Argon2",
            HashFormat::Phpass => "phpass",
            HashFormat::WordpressBcrypt => "WordPress bcrypt",
            HashFormat::Bcrypt => "bcrypt",
            HashFormat::Md5 => "MD5",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::HashFormat;

    #[test]
    fn formats_are_told_apart_by_prefix() {
        let cases = [
            (
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                Some(HashFormat::Argon2),
            ),
            (
                "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                Some(HashFormat::Argon2),
            ),
            (
                "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0",
                Some(HashFormat::Phpass),
            ),
            (
                "$H$BIEyoUk42hIJLf0jjqTB6NErCb5srz0",
                Some(HashFormat::Phpass),
            ),
            ("$wp$2y$10$abc", Some(HashFormat::WordpressBcrypt)),
            ("$2b$10$abc", Some(HashFormat::Bcrypt)),
            ("9CC2AE8A1BA7A93DA39B46FC1019C481", Some(HashFormat::Md5)),
            ("9cc2ae8a1ba7a93da39b46fc1019c48", None),
            ("$2x$10$abc", None),
            ("$wp$P$B", None),
            ("$1$salt$hash", None),
            ("*", None),
            ("", None),
        ];
        for (stored, expected) in cases {
            assert_eq!(HashFormat::detect(stored), expected, "{stored}");
        }
    }
}
