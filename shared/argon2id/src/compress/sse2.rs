//! [`Lanes`] in SSE2 registers (x86_64's baseline: every x86_64 CPU has it, no detection). Compiled only
//! where the target enables SSE2 (every x86_64 target does), which makes its intrinsics sound to call.

use core::arch::x86_64::{
    __m128i, _mm_add_epi64, _mm_castpd_si128, _mm_castsi128_pd, _mm_loadu_si128, _mm_mul_epu32,
    _mm_or_si128, _mm_shuffle_epi32, _mm_shuffle_pd, _mm_shufflehi_epi16, _mm_shufflelo_epi16,
    _mm_slli_epi64, _mm_srli_epi64, _mm_storeu_si128, _mm_xor_si128,
};

use super::Lanes;

/// Two 64-bit words in one SSE2 register.
#[derive(Clone, Copy)]
pub(crate) struct Sse2(__m128i);

impl Lanes for Sse2 {
    #[inline(always)]
    fn load(pair: &[u64; 2]) -> Sse2 {
        // SAFETY: `pair` is a reference to 16 readable bytes; the unaligned load needs no
        // alignment, and SSE2 is enabled on every x86_64 target.
        Sse2(unsafe { _mm_loadu_si128(pair.as_ptr().cast()) })
    }

    #[inline(always)]
    fn store(self, pair: &mut [u64; 2]) {
        // SAFETY: `pair` is an exclusive reference to 16 writable bytes; the unaligned store
        // needs no alignment, and SSE2 is enabled on every x86_64 target.
        unsafe { _mm_storeu_si128(pair.as_mut_ptr().cast(), self.0) }
    }

    #[inline(always)]
    fn xor(self, other: Sse2) -> Sse2 {
        // SAFETY: SSE2 arithmetic on registers, no memory access; SSE2 is enabled (see the
        // module's `cfg`).
        unsafe { Sse2(_mm_xor_si128(self.0, other.0)) }
    }

    #[inline(always)]
    fn blamka(self, other: Sse2) -> Sse2 {
        // `pmuludq` multiplies the low 32 bits of each 64-bit word into a 64-bit product.
        // SAFETY: SSE2 arithmetic on registers, no memory access; SSE2 is enabled (see the
        // module's `cfg`).
        unsafe {
            let product = _mm_mul_epu32(self.0, other.0);
            Sse2(_mm_add_epi64(
                _mm_add_epi64(self.0, other.0),
                _mm_add_epi64(product, product),
            ))
        }
    }

    #[inline(always)]
    fn rotr32(self) -> Sse2 {
        // Swap the 32-bit halves of each word: dwords (1, 0, 3, 2).
        // SAFETY: SSE2 arithmetic on registers, no memory access; SSE2 is enabled (see the
        // module's `cfg`).
        unsafe { Sse2(_mm_shuffle_epi32::<0b10_11_00_01>(self.0)) }
    }

    #[inline(always)]
    fn rotr24(self) -> Sse2 {
        // SAFETY: SSE2 arithmetic on registers, no memory access; SSE2 is enabled (see the
        // module's `cfg`).
        unsafe {
            Sse2(_mm_or_si128(
                _mm_srli_epi64::<24>(self.0),
                _mm_slli_epi64::<40>(self.0),
            ))
        }
    }

    #[inline(always)]
    fn rotr16(self) -> Sse2 {
        // Rotate the four 16-bit pieces of each word by one: (1, 2, 3, 0) in each half.
        // SAFETY: SSE2 arithmetic on registers, no memory access; SSE2 is enabled (see the
        // module's `cfg`).
        unsafe {
            Sse2(_mm_shufflehi_epi16::<0b00_11_10_01>(_mm_shufflelo_epi16::<
                0b00_11_10_01,
            >(self.0)))
        }
    }

    #[inline(always)]
    fn rotr63(self) -> Sse2 {
        // Left by one: the word added to itself, with the top bit brought round.
        // SAFETY: SSE2 arithmetic on registers, no memory access; SSE2 is enabled (see the
        // module's `cfg`).
        unsafe {
            Sse2(_mm_or_si128(
                _mm_srli_epi64::<63>(self.0),
                _mm_add_epi64(self.0, self.0),
            ))
        }
    }

    #[inline(always)]
    fn ext(self, other: Sse2) -> Sse2 {
        // `shufpd` with 0b01: low word from `self`'s high, high word from `other`'s low.
        // SAFETY: SSE2 arithmetic on registers, no memory access; SSE2 is enabled (see the
        // module's `cfg`).
        unsafe {
            Sse2(_mm_castpd_si128(_mm_shuffle_pd::<0b01>(
                _mm_castsi128_pd(self.0),
                _mm_castsi128_pd(other.0),
            )))
        }
    }
}
