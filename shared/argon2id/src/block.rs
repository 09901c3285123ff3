//! Argon2's unit of memory (RFC 9106 §3.2): a 1024-byte block, seen as 128 little-endian 64-bit
//! words grouped in the 64 pairs the compression function works on ("16-byte registers").

/// One 1 KiB block of Argon2 memory.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Block(pub(crate) [[u64; 2]; 64]);

/// The size of a block in bytes.
pub(crate) const BLOCK_BYTES: usize = 1024;

impl Block {
    /// The all-zero block.
    pub const ZERO: Block = Block([[0; 2]; 64]);

    /// The 64-bit word `i` (0..128) of the block.
    pub(crate) fn word(&self, i: usize) -> u64 {
        self.0[(i / 2) % 64][i % 2]
    }

    /// Sets the 64-bit word `i` (0..128) of the block.
    pub(crate) fn set_word(&mut self, i: usize, value: u64) {
        self.0[(i / 2) % 64][i % 2] = value;
    }

    /// The block read from 1024 bytes, little-endian.
    pub(crate) fn from_bytes(bytes: &[u8; BLOCK_BYTES]) -> Block {
        let mut block = Block::ZERO;
        for (i, word) in bytes.chunks_exact(8).enumerate() {
            let mut le = [0u8; 8];
            le.copy_from_slice(word);
            block.set_word(i, u64::from_le_bytes(le));
        }
        block
    }

    /// The block's 1024 bytes, little-endian.
    pub(crate) fn le_bytes(&self) -> [u8; BLOCK_BYTES] {
        let mut bytes = [0u8; BLOCK_BYTES];
        for (i, chunk) in bytes.chunks_exact_mut(8).enumerate() {
            chunk.copy_from_slice(&self.word(i).to_le_bytes());
        }
        bytes
    }

    /// XORs `other` into this block.
    pub(crate) fn xor_with(&mut self, other: &Block) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0.iter()) {
            mine[0] ^= theirs[0];
            mine[1] ^= theirs[1];
        }
    }
}

impl Default for Block {
    fn default() -> Block {
        Block::ZERO
    }
}
