//! The webhook's signature scheme, documented in the book (`docs/book/src/events.md`):
//!
//! - `Authbridge-Timestamp: <epoch seconds>` and
//!   `Authbridge-Signature: v1=<hex HMAC-SHA256(key, "<timestamp>.<body>")>`; while a rotation of
//!   the key is pending (`authbridge secrets rotate`), one `v1=` value per key, comma-separated,
//!   the new key's first, so a receiver holding either key accepts the delivery;
//! - a receiver recomputes the HMAC over the timestamp it got and the raw body, compares in
//!   constant time with each `v1=` value, and refuses timestamps more than [`TOLERANCE`] seconds
//!   away from its clock (a replayed delivery).

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

/// The `Authbridge-Signature` value for `body` signed at `timestamp` with each of `keys` (the
/// current key, then a previous one while its rotation is pending).
pub fn sign_all<'a>(
    keys: impl IntoIterator<Item = &'a [u8]>,
    timestamp: Epoch,
    body: &[u8],
) -> String {
    keys.into_iter()
        .map(|key| sign(key, timestamp, body))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether one of the `v1=` values of `signature` is `key`'s for `body` at `timestamp`, and
/// `timestamp` is within [`TOLERANCE`] of `now`: what a receiver checks (the tests' receiver uses
/// this very function).
pub fn verify(key: &[u8], timestamp: Epoch, body: &[u8], signature: &str, now: Epoch) -> bool {
    let Some(expected) = mac(key, timestamp, body) else {
        return false;
    };
    let matches = signature.split(',').any(|value| {
        value
            .trim()
            .strip_prefix("v1=")
            .and_then(|hex_mac| hex::decode(hex_mac).ok())
            .is_some_and(|presented| bool::from(presented.ct_eq(&expected)))
    });
    (now - timestamp).abs() <= TOLERANCE && matches
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

    #[test]
    fn during_a_rotation_a_receiver_with_either_key_accepts_and_others_do_not() {
        let body = br#"{"type":"connection.created"}"#;
        let both = sign_all([b"new".as_slice(), b"old".as_slice()], 1000, body);
        assert_eq!(both.matches("v1=").count(), 2);
        assert!(verify(b"new", 1000, body, &both, 1000));
        assert!(verify(b"old", 1000, body, &both, 1000));
        assert!(!verify(b"third", 1000, body, &both, 1000));
        assert_eq!(
            sign_all([b"new".as_slice()], 1000, body),
            sign(b"new", 1000, body)
        );
    }
}
