//! [`Lanes`] in plain Rust, for architectures without a vector implementation here (and the tests'
//! second opinion on the vector ones).

use super::Lanes;

/// Two 64-bit words, `(lo, hi)`.
#[derive(Clone, Copy)]
pub(crate) struct Portable([u64; 2]);

impl Portable {
    #[inline(always)]
    fn map(self, f: impl Fn(u64) -> u64) -> Portable {
        Portable([f(self.0[0]), f(self.0[1])])
    }

    #[inline(always)]
    fn zip(self, other: Portable, f: impl Fn(u64, u64) -> u64) -> Portable {
        Portable([f(self.0[0], other.0[0]), f(self.0[1], other.0[1])])
    }
}

impl Lanes for Portable {
    #[inline(always)]
    fn load(pair: &[u64; 2]) -> Portable {
        Portable(*pair)
    }

    #[inline(always)]
    fn store(self, pair: &mut [u64; 2]) {
        *pair = self.0;
    }

    #[inline(always)]
    fn xor(self, other: Portable) -> Portable {
        self.zip(other, |a, b| a ^ b)
    }

    #[inline(always)]
    fn blamka(self, other: Portable) -> Portable {
        self.zip(other, |x, y| {
            let product = u64::from(x as u32) * u64::from(y as u32);
            x.wrapping_add(y).wrapping_add(product.wrapping_mul(2))
        })
    }

    #[inline(always)]
    fn rotr32(self) -> Portable {
        self.map(|x| x.rotate_right(32))
    }

    #[inline(always)]
    fn rotr24(self) -> Portable {
        self.map(|x| x.rotate_right(24))
    }

    #[inline(always)]
    fn rotr16(self) -> Portable {
        self.map(|x| x.rotate_right(16))
    }

    #[inline(always)]
    fn rotr63(self) -> Portable {
        self.map(|x| x.rotate_right(63))
    }

    #[inline(always)]
    fn ext(self, other: Portable) -> Portable {
        Portable([self.0[1], other.0[0]])
    }
}
