//! The compression function `G` (RFC 9106 §3.5-3.6), written once over [`Lanes`], a pair of
//! 64-bit words (one "16-byte register"), with one implementation per instruction set: SSE2 on
//! x86_64 and NEON on aarch64 (both part of the architecture's baseline, so no detection), and a
//! portable one elsewhere.
//!
//! Written with explicit vector instructions rather than left to the compiler's vectoriser: the
//! release profile optimises for size, under which the vectorisers do not run, and scalar code
//! leaves most of Argon2's speed unused.

#[cfg(any(
    test,
    not(any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon")
    ))
))]
mod portable;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2;

use super::block::Block;

#[cfg(any(
    test,
    not(any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon")
    ))
))]
pub(crate) use portable::Portable;

/// The [`Lanes`] this architecture computes with.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) type Native = sse2::Sse2;
/// The [`Lanes`] this architecture computes with.
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
pub(crate) type Native = neon::Neon;
/// The [`Lanes`] this architecture computes with.
#[cfg(not(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    all(target_arch = "aarch64", target_feature = "neon")
)))]
pub(crate) type Native = Portable;

/// Two 64-bit words computed on together, `(lo, hi)`: the operations of BLAKE2b's round with
/// Argon2's multiplication (BlaMka).
pub(crate) trait Lanes: Copy {
    /// The pair `(pair[0], pair[1])`.
    fn load(pair: &[u64; 2]) -> Self;
    /// Writes the pair into `pair`.
    fn store(self, pair: &mut [u64; 2]);
    /// Word-wise XOR.
    fn xor(self, other: Self) -> Self;
    /// Word-wise `x + y + 2 · lo32(x) · lo32(y)` modulo 2^64 (BlaMka's `fBlaMka`).
    fn blamka(self, other: Self) -> Self;
    /// Word-wise rotation right by 32 bits.
    fn rotr32(self) -> Self;
    /// Word-wise rotation right by 24 bits.
    fn rotr24(self) -> Self;
    /// Word-wise rotation right by 16 bits.
    fn rotr16(self) -> Self;
    /// Word-wise rotation right by 63 bits.
    fn rotr63(self) -> Self;
    /// `(self.hi, other.lo)`: the shift of words between pairs that lines up BLAKE2b's diagonals.
    fn ext(self, other: Self) -> Self;
}

/// `GB(a, b, c, d)` of RFC 9106 §3.6 on two columns at once.
#[inline(always)]
fn gb<V: Lanes>(a: &mut V, b: &mut V, c: &mut V, d: &mut V) {
    *a = a.blamka(*b);
    *d = d.xor(*a).rotr32();
    *c = c.blamka(*d);
    *b = b.xor(*c).rotr24();
    *a = a.blamka(*b);
    *d = d.xor(*a).rotr16();
    *c = c.blamka(*d);
    *b = b.xor(*c).rotr63();
}

/// The permutation `P` of RFC 9106 §3.6 on the eight registers `r[base + k · stride]`
/// (`S_0..S_7`, `S_k = v_2k || v_2k+1`): GB on the four columns `(v0, v4, v8, v12)`..., then on
/// the four diagonals `(v0, v5, v10, v15)`..., two at a time.
#[inline(always)]
fn permute<V: Lanes>(r: &mut [V; 64], base: usize, stride: usize) {
    let at = |k: usize| (base + k * stride) % 64;
    let (mut a0, mut a1) = (r[at(0)], r[at(1)]);
    let (mut b0, mut b1) = (r[at(2)], r[at(3)]);
    let (mut c0, mut c1) = (r[at(4)], r[at(5)]);
    let (mut d0, mut d1) = (r[at(6)], r[at(7)]);
    gb(&mut a0, &mut b0, &mut c0, &mut d0);
    gb(&mut a1, &mut b1, &mut c1, &mut d1);
    // Diagonals: b = (v5, v6), (v7, v4); c = (v10, v11), (v8, v9); d = (v15, v12), (v13, v14).
    let (mut b0d, mut b1d) = (b0.ext(b1), b1.ext(b0));
    let (mut c0d, mut c1d) = (c1, c0);
    let (mut d0d, mut d1d) = (d1.ext(d0), d0.ext(d1));
    gb(&mut a0, &mut b0d, &mut c0d, &mut d0d);
    gb(&mut a1, &mut b1d, &mut c1d, &mut d1d);
    // Back to rows.
    r[at(0)] = a0;
    r[at(1)] = a1;
    r[at(2)] = b1d.ext(b0d);
    r[at(3)] = b0d.ext(b1d);
    r[at(4)] = c1d;
    r[at(5)] = c0d;
    r[at(6)] = d0d.ext(d1d);
    r[at(7)] = d1d.ext(d0d);
}

/// `G(x, y)` into `out` (RFC 9106 §3.5): `R = x ⊕ y` seen as 8×8 registers, `P` on each row,
/// then on each column, the result XORed with `R`; with `xor_into`, also XORed with `out`'s
/// previous content (version 0x13's passes after the first).
#[inline(always)]
pub(crate) fn compress<V: Lanes>(x: &Block, y: &Block, out: &mut Block, xor_into: bool) {
    let mut r: [V; 64] = core::array::from_fn(|k| V::load(&x.0[k]).xor(V::load(&y.0[k])));
    for row in 0..8 {
        permute(&mut r, row * 8, 1);
    }
    for column in 0..8 {
        permute(&mut r, column, 8);
    }
    for (k, register) in r.into_iter().enumerate() {
        let mut z = register.xor(V::load(&x.0[k])).xor(V::load(&y.0[k]));
        if xor_into {
            z = z.xor(V::load(&out.0[k]));
        }
        z.store(&mut out.0[k]);
    }
}
