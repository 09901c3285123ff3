//! [`Lanes`] in NEON registers (aarch64's baseline: every aarch64 CPU has it, no detection). Compiled only
//! where the target enables NEON (every aarch64 Linux target does), which makes its intrinsics sound to call.

use core::arch::aarch64::{
    uint64x2_t, vaddq_u64, veorq_u64, vextq_u64, vld1q_u64, vmovn_u64, vmull_u32,
    vreinterpretq_u32_u64, vreinterpretq_u64_u32, vrev64q_u32, vshlq_n_u64, vsriq_n_u64, vst1q_u64,
};

use super::Lanes;

/// Two 64-bit words in one NEON register.
#[derive(Clone, Copy)]
pub(crate) struct Neon(uint64x2_t);

impl Lanes for Neon {
    #[inline(always)]
    fn load(pair: &[u64; 2]) -> Neon {
        // SAFETY: `pair` is a reference to two readable `u64`s, the two lanes `vld1q_u64` reads;
        // NEON is enabled on every aarch64 target.
        Neon(unsafe { vld1q_u64(pair.as_ptr()) })
    }

    #[inline(always)]
    fn store(self, pair: &mut [u64; 2]) {
        // SAFETY: `pair` is an exclusive reference to two writable `u64`s, the two lanes
        // `vst1q_u64` writes; NEON is enabled on every aarch64 target.
        unsafe { vst1q_u64(pair.as_mut_ptr(), self.0) }
    }

    #[inline(always)]
    fn xor(self, other: Neon) -> Neon {
        // SAFETY: NEON arithmetic on registers, no memory access; NEON is enabled (see the
        // module's `cfg`).
        unsafe { Neon(veorq_u64(self.0, other.0)) }
    }

    #[inline(always)]
    fn blamka(self, other: Neon) -> Neon {
        // The low 32 bits of each word, multiplied into 64-bit products.
        // SAFETY: NEON arithmetic on registers, no memory access; NEON is enabled (see the
        // module's `cfg`).
        unsafe {
            let product = vmull_u32(vmovn_u64(self.0), vmovn_u64(other.0));
            Neon(vaddq_u64(
                vaddq_u64(self.0, other.0),
                vaddq_u64(product, product),
            ))
        }
    }

    #[inline(always)]
    fn rotr32(self) -> Neon {
        // Swap the 32-bit halves of each word.
        // SAFETY: NEON arithmetic on registers, no memory access; NEON is enabled (see the
        // module's `cfg`).
        unsafe {
            Neon(vreinterpretq_u64_u32(vrev64q_u32(vreinterpretq_u32_u64(
                self.0,
            ))))
        }
    }

    // The other rotations: the word shifted left, with the word shifted right inserted below.
    #[inline(always)]
    fn rotr24(self) -> Neon {
        // SAFETY: NEON arithmetic on registers, no memory access; NEON is enabled (see the
        // module's `cfg`).
        unsafe { Neon(vsriq_n_u64::<24>(vshlq_n_u64::<40>(self.0), self.0)) }
    }

    #[inline(always)]
    fn rotr16(self) -> Neon {
        // SAFETY: NEON arithmetic on registers, no memory access; NEON is enabled (see the
        // module's `cfg`).
        unsafe { Neon(vsriq_n_u64::<16>(vshlq_n_u64::<48>(self.0), self.0)) }
    }

    #[inline(always)]
    fn rotr63(self) -> Neon {
        // SAFETY: NEON arithmetic on registers, no memory access; NEON is enabled (see the
        // module's `cfg`).
        unsafe { Neon(vsriq_n_u64::<63>(vshlq_n_u64::<1>(self.0), self.0)) }
    }

    #[inline(always)]
    fn ext(self, other: Neon) -> Neon {
        // The high word of `self`, then the low word of `other`.
        // SAFETY: NEON arithmetic on registers, no memory access; NEON is enabled (see the
        // module's `cfg`).
        unsafe { Neon(vextq_u64::<1>(self.0, other.0)) }
    }
}
