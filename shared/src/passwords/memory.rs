//! The memory one Argon2 computation works through: each worker of the [`super::pool`] allocates
//! it once and reuses it, since Argon2 overwrites every block before reading it (no clearing is
//! needed between uses).

use authbridge_argon2id::Block;

/// A worker's Argon2 blocks, allocated on first use.
#[derive(Default)]
pub(super) struct Memory {
    blocks: Vec<Block>,
}

/// How many times a [`Memory`] allocated its blocks, in this process (for the tests).
#[cfg(test)]
pub(super) static ALLOCATIONS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

impl Memory {
    /// Runs `work` on `count` blocks: this memory's, allocated at `kept` blocks (the policy's size)
    /// on first use; for a computation that asks for more than `kept`, a temporary allocation freed
    /// after.
    pub(super) fn with_blocks<T>(
        &mut self,
        count: usize,
        kept: usize,
        work: impl FnOnce(&mut [Block]) -> T,
    ) -> T {
        if count > kept {
            return work(&mut vec![Block::ZERO; count]);
        }
        if self.blocks.len() < kept {
            #[cfg(test)]
            ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.blocks = vec![Block::ZERO; kept];
        }
        work(&mut self.blocks[..count])
    }
}
