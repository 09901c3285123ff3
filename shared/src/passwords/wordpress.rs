//! WordPress's bcrypt hashes: `$wp$2y$…` since WordPress 6.8 (bcrypt of a pre-hashed password), and
//! plain `$2y$…` bcrypt written by PHP's `password_hash` on sites that switched to it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha384;

use super::format::WORDPRESS_PREFIX;
use super::{HashFormat, PasswordError};

/// The HMAC key of WordPress 6.8's pre-hash (`wp_hash_password` in `wp-includes/pluggable.php`).
const PREHASH_KEY: &[u8] = b"wp-sha384";

/// Whether `password` matches a WordPress 6.8+ hash: `$wp` followed by a bcrypt hash of
/// [`prehash`]`(password)`, as `wp_check_password` checks it.
pub(super) fn verify_wp_bcrypt(password: &[u8], stored: &str) -> Result<bool, PasswordError> {
    let bcrypt_hash = stored
        .strip_prefix(WORDPRESS_PREFIX)
        .ok_or(PasswordError::Malformed(HashFormat::WordpressBcrypt))?;
    bcrypt::verify(prehash(password).expose_secret(), bcrypt_hash)
        .map_err(|_| PasswordError::Malformed(HashFormat::WordpressBcrypt))
}

/// Whether `password` matches a plain bcrypt hash. Like PHP's `password_verify`, only the first 72
/// bytes of the password count.
pub(super) fn verify_bcrypt(password: &[u8], stored: &str) -> Result<bool, PasswordError> {
    bcrypt::verify(password, stored).map_err(|_| PasswordError::Malformed(HashFormat::Bcrypt))
}

/// PHP's `base64_encode(hash_hmac('sha384', $password, 'wp-sha384', true))`: standard base64 with
/// padding of the raw HMAC. It lets bcrypt see all of a long password within its 72 bytes.
fn prehash(password: &[u8]) -> SecretString {
    // `expect` on a constant: HMAC takes keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha384>::new_from_slice(PREHASH_KEY).expect("HMAC accepts any key length");
    mac.update(password);
    SecretString::from(STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prehash_matches_php() {
        // php -r 'echo base64_encode(hash_hmac("sha384", "correct horse battery staple", "wp-sha384", true));'
        assert_eq!(
            prehash(b"correct horse battery staple").expose_secret(),
            "ZdE8Fj+Jstdnfuy8gfBS5jYzA2ol4jygxc4hw2ZGfODU1BN7mOF8KA5pkAMhnf37"
        );
    }
}
