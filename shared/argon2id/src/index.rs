//! Which earlier block each new block mixes in (RFC 9106 §3.4): the 32-bit pseudo-random values
//! `J1`, `J2` (from the previous block, or from address blocks that do not depend on the
//! password), the reference lane, and the mapping of `J1` into the reference set.

use super::block::Block;
use super::compress::{Lanes, compress};

/// Where a block is computed: its pass, slice and lane, with the memory's shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    /// The pass (0..t).
    pub pass: u32,
    /// The slice (0..4) of the pass.
    pub slice: u32,
    /// The lane (0..p).
    pub lane: u32,
}

/// The shape of the memory: lanes, and blocks per lane and per segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Lanes (`p`).
    pub lanes: u32,
    /// Blocks per lane (`q = m' / p`).
    pub lane_len: usize,
    /// Blocks per segment (`q / 4`, at least 2).
    pub segment_len: usize,
}

/// The column (0..q) of the block referenced by the block at `index` (0..segment_len) of the
/// segment at `at`, in the lane `ref_lane` chosen by `J2`, given `J1`.
///
/// The reference set W (§3.4.2): in the current lane, every block already computed and not yet
/// overwritten, except the previous one; in another lane, the blocks of its last three finished
/// segments, without the very last when this block opens its segment. `J1` maps to a position in
/// W biased towards the most recent blocks: `x = J1² / 2³²`, `y = |W| · x / 2³²`,
/// `zz = |W| - 1 - y`, counted from W's first block.
pub(crate) fn reference_column(
    shape: Shape,
    at: Position,
    index: usize,
    same_lane: bool,
    j1: u32,
) -> usize {
    let finished = if at.pass == 0 {
        at.slice as usize * shape.segment_len
    } else {
        shape.lane_len - shape.segment_len
    };
    // Never zero: in the first slice of the first pass `index` is at least 2, elsewhere
    // `finished` is at least one segment of at least 2 blocks.
    let area = if same_lane {
        finished + index - 1
    } else if index == 0 {
        finished - 1
    } else {
        finished
    } as u64;
    let x = (u64::from(j1) * u64::from(j1)) >> 32;
    let y = (area * x) >> 32;
    let relative = (area - 1 - y) as usize;
    let start = if at.pass == 0 {
        0
    } else {
        (at.slice as usize + 1) * shape.segment_len % shape.lane_len
    };
    (start + relative) % shape.lane_len
}

/// The data-independent pseudo-random values of one segment (Argon2i, and Argon2id's first half
/// of the first pass): address blocks `G(0, G(0, Z))`, 128 values each, where `Z` holds the
/// position, the memory size, the passes, the type and a counter (§3.4.1.2).
pub(crate) struct Addresses {
    input: Block,
    addresses: Block,
}

impl Addresses {
    /// The generator of the segment at `at`, for `blocks` blocks in all (`m'`), `passes` passes
    /// and Argon2 type `kind` (0 d, 1 i, 2 id).
    pub(crate) fn new(at: Position, blocks: usize, passes: u32, kind: u32) -> Addresses {
        let mut input = Block::ZERO;
        input.set_word(0, u64::from(at.pass));
        input.set_word(1, u64::from(at.lane));
        input.set_word(2, u64::from(at.slice));
        input.set_word(3, blocks as u64);
        input.set_word(4, u64::from(passes));
        input.set_word(5, u64::from(kind));
        Addresses {
            input,
            addresses: Block::ZERO,
        }
    }

    /// The pseudo-random value of the block at `index` of the segment; the next address block is
    /// made when `index` opens one (and for the first one used, see [`Addresses::prepare`]).
    pub(crate) fn value<V: Lanes>(&mut self, index: usize) -> u64 {
        if index.is_multiple_of(128) {
            self.next::<V>();
        }
        self.addresses.word(index % 128)
    }

    /// Makes the first address block when the segment starts past its first block (the first
    /// segment starts at its third block, whose address is in the block made at index 0).
    pub(crate) fn prepare<V: Lanes>(&mut self, start: usize) {
        if !start.is_multiple_of(128) {
            self.next::<V>();
        }
    }

    fn next<V: Lanes>(&mut self) {
        self.input.set_word(6, self.input.word(6).wrapping_add(1));
        let mut once = Block::ZERO;
        compress::<V>(&Block::ZERO, &self.input, &mut once, false);
        compress::<V>(&Block::ZERO, &once, &mut self.addresses, false);
    }
}
