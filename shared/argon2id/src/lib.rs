//! authbridge's own Argon2 computation (RFC 9106, version 0x13, and 0x10 for old stored hashes),
//! used for every hash and verification: the `argon2` crate still parses and writes the PHC
//! strings and carries the parameters, but its compression is left to the compiler's vectoriser,
//! which the size-optimised release build turns off (the loop and SLP vectorisers do not run at
//! opt-level "s", and fat LTO optimises the whole binary at that level); here the compression is
//! written with the vector instructions of the architecture (see `compress`), which no
//! optimisation level undoes.
//!
//! A crate of its own so that debug builds (the tests) can optimise it like the other hashes.
//!
//! Argon2id is what authbridge writes; Argon2i and Argon2d differ only in how the referenced
//! blocks are chosen, and are computed too so that imported hashes of those types verify. Lanes
//! are computed one after the other within each slice (they are independent there), in memory the
//! caller gives (a pool worker's reused [`Block`]s).

mod block;
mod compress;
mod h_prime;
mod index;

#[cfg(test)]
mod tests;

use argon2::{Algorithm, Params, Version};

use block::BLOCK_BYTES;
pub use block::Block;
use compress::{Lanes, compress};
use h_prime::{h, h_prime};
use index::{Addresses, Position, Shape, reference_column};

/// Why an Argon2 computation did not run. Never carries an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Argon2Error {
    /// Parameters outside RFC 9106's ranges (or the `argon2` crate's: a salt of 8 bytes or more,
    /// an output of 4 bytes or more).
    #[error("Argon2 parameters out of range")]
    Parameters,
    /// Fewer blocks given than the parameters ask for.
    #[error("less Argon2 memory given than the parameters ask for")]
    Memory,
    /// A step that cannot fail did (a bug).
    #[error("internal Argon2 error")]
    Internal,
}

/// What is hashed: the password (`P`), the salt (`S`) and the optional secret key (`K`). The
/// associated data (`X`) is the parameters' [`Params::data`].
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The password or message `P`.
    pub password: &'a [u8],
    /// The salt `S`, 8 bytes or more.
    pub salt: &'a [u8],
    /// The secret key `K` (empty when none).
    pub secret: &'a [u8],
}

/// The smallest salt accepted, as in the reference implementation and the `argon2` crate.
const MIN_SALT_LEN: usize = 8;
/// The smallest output accepted (RFC 9106 §3.1).
const MIN_OUTPUT_LEN: usize = 4;

/// The Argon2 tag of `inputs` under `algorithm`, `version` and `params` into `out` (its length
/// is the tag length `T`), working in the first `m'` of `blocks` (`m` rounded down to a multiple
/// of `4p`; see [`block_count`]).
pub fn hash_into(
    blocks: &mut [Block],
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    inputs: &Inputs<'_>,
    out: &mut [u8],
) -> Result<(), Argon2Error> {
    hash_with::<compress::Native>(blocks, algorithm, version, params, inputs, out)
}

/// The number of blocks `params` works through (`m'`).
pub fn block_count(params: &Params) -> usize {
    let per_slice_and_lane = params.m_cost() as usize / (4 * params.p_cost().max(1) as usize);
    per_slice_and_lane * 4 * params.p_cost() as usize
}

/// [`hash_into`] computing with the lanes `V` (the tests compare the implementations).
fn hash_with<V: Lanes>(
    blocks: &mut [Block],
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    inputs: &Inputs<'_>,
    out: &mut [u8],
) -> Result<(), Argon2Error> {
    let (memory, passes, lanes) = (params.m_cost(), params.t_cost(), params.p_cost());
    let kind: u32 = match algorithm {
        Algorithm::Argon2d => 0,
        Algorithm::Argon2i => 1,
        Algorithm::Argon2id => 2,
    };
    if lanes == 0
        || passes == 0
        || memory / 8 < lanes
        || inputs.salt.len() < MIN_SALT_LEN
        || out.len() < MIN_OUTPUT_LEN
    {
        return Err(Argon2Error::Parameters);
    }
    let segment_len = memory as usize / (4 * lanes as usize);
    let shape = Shape {
        lanes,
        lane_len: 4 * segment_len,
        segment_len,
    };
    let total = shape.lane_len * lanes as usize;
    let blocks = blocks.get_mut(..total).ok_or(Argon2Error::Memory)?;

    let h0 = initial_hash(kind, u32::from(version), params, inputs, out.len())?;
    for lane in 0..lanes {
        for column in 0..2u32 {
            let mut bytes = [0u8; BLOCK_BYTES];
            h_prime(
                &mut bytes,
                &[&h0, &column.to_le_bytes(), &lane.to_le_bytes()],
            )?;
            blocks[lane as usize * shape.lane_len + column as usize] = Block::from_bytes(&bytes);
        }
    }
    let xor_from_pass_1 = version == Version::V0x13;
    for pass in 0..passes {
        for slice in 0..4 {
            for lane in 0..lanes {
                let at = Position { pass, slice, lane };
                let xor_into = xor_from_pass_1 && pass > 0;
                fill_segment::<V>(blocks, shape, at, kind, passes, xor_into)?;
            }
        }
    }
    let last = shape.lane_len - 1;
    let mut final_block = blocks[last];
    for lane in 1..lanes as usize {
        final_block.xor_with(&blocks[lane * shape.lane_len + last]);
    }
    h_prime(out, &[&final_block.le_bytes()])
}

/// `H0` (RFC 9106 §3.2): BLAKE2b-512 over the parameters and the length-prefixed inputs.
fn initial_hash(
    kind: u32,
    version: u32,
    params: &Params,
    inputs: &Inputs<'_>,
    tag_len: usize,
) -> Result<[u8; 64], Argon2Error> {
    let len = |bytes: &[u8]| {
        u32::try_from(bytes.len())
            .map(u32::to_le_bytes)
            .map_err(|_| Argon2Error::Parameters)
    };
    let tag_len = u32::try_from(tag_len).map_err(|_| Argon2Error::Parameters)?;
    let data = params.data();
    let mut h0 = [0u8; 64];
    h(
        &mut h0,
        &[
            &params.p_cost().to_le_bytes(),
            &tag_len.to_le_bytes(),
            &params.m_cost().to_le_bytes(),
            &params.t_cost().to_le_bytes(),
            &version.to_le_bytes(),
            &kind.to_le_bytes(),
            &len(inputs.password)?,
            inputs.password,
            &len(inputs.salt)?,
            inputs.salt,
            &len(inputs.secret)?,
            inputs.secret,
            &len(data)?,
            data,
        ],
    )?;
    Ok(h0)
}

/// Computes the segment at `at` (§3.4): each block is `G(previous, reference)`, XORed into the
/// block it overwrites when `xor_into`.
fn fill_segment<V: Lanes>(
    blocks: &mut [Block],
    shape: Shape,
    at: Position,
    kind: u32,
    passes: u32,
    xor_into: bool,
) -> Result<(), Argon2Error> {
    // Argon2i, and Argon2id in the first half of the first pass, choose without the password.
    let data_independent = kind == 1 || (kind == 2 && at.pass == 0 && at.slice < 2);
    // The first two blocks of each lane come from H'.
    let start = if at.pass == 0 && at.slice == 0 { 2 } else { 0 };
    let mut addresses = data_independent.then(|| Addresses::new(at, blocks.len(), passes, kind));
    if let Some(addresses) = &mut addresses {
        addresses.prepare::<V>(start);
    }
    let lane_base = at.lane as usize * shape.lane_len;
    for index in start..shape.segment_len {
        let column = at.slice as usize * shape.segment_len + index;
        let previous = lane_base + (column + shape.lane_len - 1) % shape.lane_len;
        let pseudo_random = match &mut addresses {
            Some(addresses) => addresses.value::<V>(index),
            None => blocks[previous].word(0),
        };
        let (j1, j2) = (pseudo_random as u32, (pseudo_random >> 32) as u32);
        // In the first slice of the first pass, only the own lane has blocks yet.
        let ref_lane = if at.pass == 0 && at.slice == 0 {
            at.lane
        } else {
            j2 % shape.lanes
        };
        let ref_column = reference_column(shape, at, index, ref_lane == at.lane, j1);
        let reference = ref_lane as usize * shape.lane_len + ref_column;
        let (x, y, out) = inputs_and_output(blocks, previous, reference, lane_base + column)?;
        compress::<V>(x, y, out, xor_into);
    }
    Ok(())
}

/// The blocks `x` and `y` read and the block `out` written, from one slice of memory (`out` is
/// never one of the other two: the reference set excludes the previous and the current block).
fn inputs_and_output(
    blocks: &mut [Block],
    x: usize,
    y: usize,
    out: usize,
) -> Result<(&Block, &Block, &mut Block), Argon2Error> {
    if x == out || y == out || out >= blocks.len() {
        return Err(Argon2Error::Internal);
    }
    let (before, rest) = blocks.split_at_mut(out);
    let (out, after) = rest.split_first_mut().ok_or(Argon2Error::Internal)?;
    let (before, after): (&[Block], &[Block]) = (before, after);
    let pick = |i: usize| {
        if i < before.len() {
            before.get(i)
        } else {
            after.get(i - before.len() - 1)
        }
    };
    match (pick(x), pick(y)) {
        (Some(x), Some(y)) => Ok((x, y, out)),
        _ => Err(Argon2Error::Internal),
    }
}
