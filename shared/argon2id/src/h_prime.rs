//! Argon2's uses of BLAKE2b (RFC 9106 §3.2 and §3.3): `H` with a chosen digest length, and the
//! variable-length hash `H'` built on it, which fills the first blocks of each lane and makes the
//! tag.

use blake2::Blake2bVar;
use blake2::digest::{Update, VariableOutput};

use super::Argon2Error;

/// `H^T(parts...)`: BLAKE2b with a digest length of `out.len()` (1 to 64 bytes) over the
/// concatenation of `parts`.
pub(crate) fn h(out: &mut [u8], parts: &[&[u8]]) -> Result<(), Argon2Error> {
    let mut hasher = Blake2bVar::new(out.len()).map_err(|_| Argon2Error::Internal)?;
    for part in parts {
        hasher.update(part);
    }
    hasher
        .finalize_variable(out)
        .map_err(|_| Argon2Error::Internal)
}

/// `H'^T(parts...)` of RFC 9106 §3.3, `T = out.len()` bytes: up to 64 bytes a single BLAKE2b
/// over `LE32(T) || parts`; beyond, a chain of 64-byte BLAKE2b digests of which the output takes
/// the first 32 bytes of each, and the whole of a last digest of the remaining length.
pub(crate) fn h_prime(out: &mut [u8], parts: &[&[u8]]) -> Result<(), Argon2Error> {
    let tag_len = u32::try_from(out.len()).map_err(|_| Argon2Error::Parameters)?;
    let tag_len = tag_len.to_le_bytes();
    let mut hasher = Blake2bVar::new(out.len().min(64)).map_err(|_| Argon2Error::Parameters)?;
    hasher.update(&tag_len);
    for part in parts {
        hasher.update(part);
    }
    if out.len() <= 64 {
        return hasher
            .finalize_variable(out)
            .map_err(|_| Argon2Error::Internal);
    }
    // r = ceil(T / 32) - 2 digests of 64 bytes (V_1..V_r), then V_{r+1} of T - 32r bytes.
    let r = out.len().div_ceil(32) - 2;
    let mut v = [0u8; 64];
    hasher
        .finalize_variable(&mut v)
        .map_err(|_| Argon2Error::Internal)?;
    let (halves, last) = out.split_at_mut(32 * r);
    let mut chunks = halves.chunks_exact_mut(32);
    if let Some(first) = chunks.next() {
        first.copy_from_slice(&v[..32]);
    }
    for chunk in chunks {
        let previous = v;
        h(&mut v, &[&previous])?;
        chunk.copy_from_slice(&v[..32]);
    }
    h(last, &[&v])
}
