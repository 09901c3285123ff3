//! Bare MD5 hashes (32 hex digits, unsalted) from very old WordPress sites.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// Whether `stored` (32 hex digits, either case) is the MD5 of `password`, compared in constant time.
pub(super) fn verify(password: &[u8], stored: &str) -> bool {
    let computed = format!("{:x}", Md5::digest(password));
    computed
        .as_bytes()
        .ct_eq(stored.to_ascii_lowercase().as_bytes())
        .into()
}
