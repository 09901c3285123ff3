//! The webhook's signature scheme, documented in the book (`docs/book/src/events.md`):
//!
//! - `Authbridge-Timestamp: <epoch seconds>` and
//!   `Authbridge-Signature: v1=<hex HMAC-SHA256(key, "<timestamp>.<body>")>`;
//! - a receiver recomputes the HMAC over the timestamp it got and the raw body, compares in
//!   constant time, and refuses timestamps more than [`TOLERANCE`] seconds away from its clock
//!   (a replayed delivery).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::clock::Epoch;

/// The header carrying the signing time.
pub const TIMESTAMP_HEADER: &str = "authbridge-timestamp";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "authbridge-signature";
/// How far a receiver should accept a timestamp from its own clock, in seconds.
pub const TOLERANCE: Epoch = 300;

/// The `Authbridge-Signature` value for `body` signed at `timestamp` with `key`.
pub fn sign(key: &[u8], timestamp: Epoch, body: &[u8]) -> String {
    format!(
        "v1={}",
        hex::encode(mac(key, timestamp, body).unwrap_or_default())
    )
}

/// HMAC-SHA256 over `"<timestamp>.<body>"` (HMAC takes keys of any length, so this is `Some`).
fn mac(key: &[u8], timestamp: Epoch, body: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac.finalize().into_bytes().to_vec())
}

/// Whether `signature` is `key`'s for `body` at `timestamp`, and `timestamp` is within
/// [`TOLERANCE`] of `now`: what a receiver checks (the tests' receiver uses this very function).
pub fn verify(key: &[u8], timestamp: Epoch, body: &[u8], signature: &str, now: Epoch) -> bool {
    let Some(hex_mac) = signature.strip_prefix("v1=") else {
        return false;
    };
    let Ok(presented) = hex::decode(hex_mac) else {
        return false;
    };
    let Some(expected) = mac(key, timestamp, body) else {
        return false;
    };
    (now - timestamp).abs() <= TOLERANCE && bool::from(presented.ct_eq(&expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_tampered_body_or_old_timestamp_does_not() {
        let body = br#"{"type":"connection.created"}"#;
        let signature = sign(b"key", 1000, body);
        assert!(verify(b"key", 1000, body, &signature, 1010));
        assert!(!verify(
            b"key",
            1000,
            br#"{"type":"connection.deleted"}"#,
            &signature,
            1010
        ));
        assert!(!verify(b"other", 1000, body, &signature, 1010));
        assert!(!verify(b"key", 1001, body, &signature, 1010));
        assert!(!verify(
            b"key",
            1000,
            body,
            &signature,
            1000 + TOLERANCE + 1
        ));
        assert!(!verify(b"key", 1000, body, "v0=00", 1010));
    }
}
