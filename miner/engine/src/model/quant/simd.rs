//! AVX2 kernels for [`super::QuantMatrix`] × [`super::QuantizedActs`] (x86-64).
//!
//! Why: the portable loops in `quant.rs` do not vectorize (the compiler keeps the
//! 4-bit unpacking and the per-block scaling scalar), which left a decode step
//! compute-bound at ~17 tokens/s on SmolLM2. These kernels do what llama.cpp's AVX2
//! dot products do: a 32-element block becomes one 256-bit register (4-bit weights
//! unpacked low nibbles first), `vpmaddubsw` + `vpmaddwd` give eight `i32` partial
//! sums, which are converted to `f32` and accumulated with one FMA by `d_w · d_x`.
//! Q4_1's `m_w · s_x` term is summed separately, as in llama.cpp. Signed weights
//! (Q4_0 after subtracting 8, Q8_0) use the sign trick (`|w|` × `sign(x, w)`), since
//! `vpmaddubsw` takes one unsigned operand.
//!
//! A kernel computes a tile of `R` rows × `T` activation rows at once, so each weight
//! block is unpacked once per tile and every accumulator chain is independent. Every
//! (row, activation) pair runs the same operations in the same order whatever the tile
//! shape, so prefill (tiles of several tokens) and decode (one token) give bit-identical
//! dot products, and results do not depend on the thread count.
//!
//! Safety: the kernels are `#[target_feature(enable = "avx2,fma")]` functions; the only
//! `unsafe` is the call into them in [`rows_by_acts`], made after checking at run time
//! that the CPU has both features. Loads go through `pulp::cast` (plain value casts),
//! so there are no raw pointers.

use std::arch::x86_64::{
    __m128, __m128i, __m256, __m256i, _mm_add_ps, _mm_add_ss, _mm_and_si128, _mm_cvtss_f32,
    _mm_fmadd_ps, _mm_movehdup_ps, _mm_movehl_ps, _mm_set1_epi8, _mm_set1_ps, _mm_setzero_ps,
    _mm_srli_epi16, _mm256_castps256_ps128, _mm256_cvtepi32_ps, _mm256_extractf128_ps,
    _mm256_fmadd_ps, _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_mul_ps, _mm256_set_m128i,
    _mm256_set1_epi8, _mm256_set1_epi16, _mm256_set1_ps, _mm256_setzero_ps, _mm256_sign_epi8,
    _mm256_sub_epi8,
};

use super::{GROUP, Kind, QK, QuantMatrix, QuantizedActs};

/// Whether this CPU runs the kernels (AVX2 and FMA).
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Computes `out[i * acts.len() + t] = row_{r0 + i} · acts[t]` for `i < nrows`.
/// Returns `false` (and leaves `out` alone) when the CPU lacks AVX2/FMA.
pub(super) fn rows_by_acts(
    w: &QuantMatrix,
    r0: usize,
    nrows: usize,
    acts: &[QuantizedActs],
    out: &mut [f32],
) -> bool {
    if !available() {
        return false;
    }
    #[allow(unsafe_code)]
    // SAFETY: `rows_by_acts_avx2` is only `unsafe` to call because it is compiled for
    // AVX2 and FMA; `available()` just checked that this CPU has both. It has no other
    // precondition (all indexing is bounds-checked).
    unsafe {
        rows_by_acts_avx2(w, r0, nrows, acts, out);
    }
    true
}

const K_Q4_0: u8 = 0;
const K_Q4_1: u8 = 1;
const K_Q8_0: u8 = 2;

#[target_feature(enable = "avx2,fma")]
fn rows_by_acts_avx2(
    w: &QuantMatrix,
    r0: usize,
    nrows: usize,
    acts: &[QuantizedActs],
    out: &mut [f32],
) {
    match w.kind {
        Kind::Q4_0 => tiles::<K_Q4_0>(w, r0, nrows, acts, out),
        Kind::Q4_1 => tiles::<K_Q4_1>(w, r0, nrows, acts, out),
        Kind::Q8_0 => tiles::<K_Q8_0>(w, r0, nrows, acts, out),
    }
}

/// Splits the `nrows × acts.len()` output into kernel tiles of one row group (4 rows)
/// × 1 activation row (decode) or × 2 activation rows (prefill).
#[target_feature(enable = "avx2,fma")]
fn tiles<const K: u8>(
    w: &QuantMatrix,
    r0: usize,
    nrows: usize,
    acts: &[QuantizedActs],
    out: &mut [f32],
) {
    let n = acts.len();
    let mut put = |i: usize, t: usize, v: f32| {
        if i < nrows {
            out[i * n + t] = v;
        }
    };
    let g0 = r0 / GROUP;
    for g in 0..nrows.div_ceil(GROUP) {
        let base = g * GROUP;
        let mut t = 0;
        while t + 2 <= n {
            let o = group::<K, 2>(w, g0 + g, [&acts[t], &acts[t + 1]]);
            for (dt, rows) in o.iter().enumerate() {
                for (i, &v) in rows.iter().enumerate() {
                    put(base + i, t + dt, v);
                }
            }
            t += 2;
        }
        if t < n {
            let o = group::<K, 1>(w, g0 + g, [&acts[t]]);
            for (i, &v) in o[0].iter().enumerate() {
                put(base + i, t, v);
            }
        }
    }
}

/// Unpacks 16 bytes of 4-bit weights into 32 bytes: low nibbles (elements 0..16) in
/// the lower half, high nibbles (elements 16..32) in the upper half.
#[target_feature(enable = "avx2,fma")]
fn unpack_nibbles(q: [u8; 16]) -> __m256i {
    let v: __m128i = pulp::cast(q);
    let mask = _mm_set1_epi8(0x0f);
    let lo = _mm_and_si128(v, mask);
    let hi = _mm_and_si128(_mm_srli_epi16::<4>(v), mask);
    _mm256_set_m128i(hi, lo)
}

/// Sum of the eight lanes.
#[target_feature(enable = "avx2,fma")]
fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
}

/// Dot products of the 4 rows of row group `g` with the `T` activation rows `xs`:
/// `out[t][lane]`.
#[target_feature(enable = "avx2,fma")]
fn group<const K: u8, const T: usize>(
    w: &QuantMatrix,
    g: usize,
    xs: [&QuantizedActs; T],
) -> [[f32; GROUP]; T] {
    let nb = w.cols / QK;
    let qb = if K == K_Q8_0 { 32 } else { 16 };
    let s0 = g * nb * GROUP;
    let (wd, _) = w.d[s0..s0 + nb * GROUP].as_chunks::<GROUP>();
    let wm: &[[f32; GROUP]] = if K == K_Q4_1 {
        w.m[s0..s0 + nb * GROUP].as_chunks::<GROUP>().0
    } else {
        &[]
    };
    let wq = &w.qs[s0 * qb..(s0 + nb * GROUP) * qb];
    let xq: [&[[i8; QK]]; T] = std::array::from_fn(|t| xs[t].qs[..nb * QK].as_chunks::<QK>().0);
    let xd: [&[f32]; T] = std::array::from_fn(|t| &xs[t].d[..nb]);
    let xsum: [&[f32]; T] = std::array::from_fn(|t| if K == K_Q4_1 { &xs[t].s[..nb] } else { &[] });
    let ones = _mm256_set1_epi16(1);
    let eight = _mm256_set1_epi8(8);
    let mut acc = [[_mm256_setzero_ps(); GROUP]; T];
    let mut mins = [_mm_setzero_ps(); T];
    for b in 0..nb {
        let xv: [__m256i; T] = std::array::from_fn(|t| pulp::cast(xq[t][b]));
        let dx: [__m256; T] = std::array::from_fn(|t| _mm256_set1_ps(xd[t][b]));
        let blk = &wq[b * GROUP * qb..(b + 1) * GROUP * qb];
        for i in 0..GROUP {
            let wv = if K == K_Q8_0 {
                let q: [u8; 32] = blk[i * 32..(i + 1) * 32].try_into().unwrap_or([0; 32]);
                pulp::cast(q)
            } else {
                let q: [u8; 16] = blk[i * 16..(i + 1) * 16].try_into().unwrap_or([0; 16]);
                let u = unpack_nibbles(q);
                if K == K_Q4_0 {
                    _mm256_sub_epi8(u, eight)
                } else {
                    u
                }
            };
            // Unsigned operand for vpmaddubsw: the nibbles themselves (Q4_1) or |w|.
            let uw = if K == K_Q4_1 {
                wv
            } else {
                _mm256_sign_epi8(wv, wv)
            };
            let dw = _mm256_set1_ps(wd[b][i]);
            for t in 0..T {
                let sx = if K == K_Q4_1 {
                    xv[t]
                } else {
                    _mm256_sign_epi8(xv[t], wv)
                };
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(uw, sx), ones);
                let scale = _mm256_mul_ps(dw, dx[t]);
                acc[t][i] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(p), acc[t][i]);
            }
        }
        if K == K_Q4_1 {
            let m: __m128 = pulp::cast(wm[b]);
            for t in 0..T {
                mins[t] = _mm_fmadd_ps(m, _mm_set1_ps(xsum[t][b]), mins[t]);
            }
        }
    }
    let mut out = [[0.0f32; GROUP]; T];
    for t in 0..T {
        let mins: [f32; GROUP] = pulp::cast(mins[t]);
        for i in 0..GROUP {
            out[t][i] = hsum(acc[t][i]) + mins[i];
        }
    }
    out
}
