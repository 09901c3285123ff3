//! Verifying phpass "portable" hashes (`$P$` from WordPress before 6.8, `$H$` from phpBB).
//!
//! Implemented here on `md-5` because the one crate (`phpass` 0.1.3, last released 2021) compares
//! in variable time, accepts any cost (up to 2^63 rounds), reads `$P$` only, and pins old `rand`,
//! `base64` and `md5` versions. The algorithm is `crypt_private` of Solar Designer's phpass 0.5, as
//! shipped in WordPress's `wp-includes/class-phpass.php`:
//!
//! ```text
//! $P$ C SSSSSSSS HHHHHHHHHHHHHHHHHHHHHH      34 characters
//!     |    |            `- encode64(hash), 16 bytes in 22 characters
//!     |    `- salt, 8 characters, used as they are
//!     `- log2 of the round count, an index into ITOA64, 7..=30 (WordPress writes 'B' = 13)
//!
//! hash = md5(salt . password)
//! repeat 2^count_log2 times: hash = md5(hash . password)
//! ```

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::{HashFormat, PasswordError};

/// phpass's alphabet: cost character and encoded hash. Not base64's order.
const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The length of every portable hash.
const HASH_LEN: usize = 34;
/// The round counts phpass accepts, as powers of two (authbridge runs at most 2^16: `super::cost`).
const COST_RANGE: std::ops::RangeInclusive<usize> = 7..=30;
/// phpass (as in WordPress) refuses longer passwords, which would make each round costly.
const MAX_PASSWORD_LEN: usize = 4096;

/// Whether `password` matches the portable hash `stored`, compared in constant time.
pub(super) fn verify(password: &[u8], stored: &str) -> Result<bool, PasswordError> {
    let malformed = PasswordError::Malformed(HashFormat::Phpass);
    let stored = stored.as_bytes();
    if stored.len() != HASH_LEN || !(stored.starts_with(b"$P$") || stored.starts_with(b"$H$")) {
        return Err(malformed);
    }
    let count_log2 = cost_log2(stored[3]).ok_or(malformed)?;
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    let (salt, expected) = (&stored[4..12], &stored[12..]);

    let mut hash = Md5::new()
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    for _ in 0..(1u32 << count_log2) {
        hash = Md5::new()
            .chain_update(hash)
            .chain_update(password)
            .finalize();
    }
    Ok(encode64(&hash).ct_eq(expected).into())
}

/// The log2 of the round count that the cost character `c` stands for, when phpass accepts it.
pub(super) fn cost_log2(c: u8) -> Option<u32> {
    ITOA64
        .iter()
        .position(|&x| x == c)
        .filter(|n| COST_RANGE.contains(n))
        .and_then(|n| u32::try_from(n).ok())
}

/// phpass's `encode64`: like base64 over little-endian 24-bit groups, least significant six bits
/// first, with [`ITOA64`]; a final group of n < 3 bytes yields n + 1 characters, no padding.
fn encode64(input: &[u8]) -> Vec<u8> {
    let mut output = Vec::with_capacity(input.len().div_ceil(3) * 4);
    for group in input.chunks(3) {
        let value = group
            .iter()
            .enumerate()
            .fold(0u32, |value, (i, &byte)| value | u32::from(byte) << (8 * i));
        for k in 0..=group.len() {
            output.push(ITOA64[(value >> (6 * k)) as usize & 0x3f]);
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode64_matches_phpass_on_partial_groups() {
        // From phpass's encode64 in PHP: encode64("\x00", 1) = "..", encode64("\xff\xff", 2) = "zzD",
        // encode64("abc", 3) = "V7qM".
        assert_eq!(encode64(&[0]), b"..");
        assert_eq!(encode64(&[0xff, 0xff]), b"zzD");
        assert_eq!(encode64(b"abc"), b"V7qM");
    }

    #[test]
    fn a_cost_outside_phpass_range_is_malformed_not_computed() {
        // 'z' would be 2^63 rounds; '/' (2^1) is below phpass's minimum of 2^7.
        for stored in [
            "$P$zp0yk9i4TDmplt.CIArirkQ0fbLq6E0",
            "$P$/p0yk9i4TDmplt.CIArirkQ0fbLq6E0",
            "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E",
            "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0x",
        ] {
            assert!(matches!(
                verify(b"pw", stored),
                Err(PasswordError::Malformed(HashFormat::Phpass))
            ));
        }
    }
}
