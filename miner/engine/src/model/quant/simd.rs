//! x86-64 kernels for [`super::QuantMatrix`] × [`super::QuantizedActs`], activation
//! quantization and attention.
//!
//! Why: the portable loops in `quant.rs` do not vectorize (the compiler keeps the
//! 4-bit unpacking and the per-block scaling scalar), which left a decode step
//! compute-bound at ~17 tokens/s on SmolLM2. These kernels do what llama.cpp's AVX2
//! dot products do: a 32-element block becomes one 256-bit register (4-bit weights
//! unpacked low nibbles first), `vpmaddubsw` + `vpmaddwd` (or one AVX-512 VNNI
//! `vpdpbusd`) give eight `i32` partial sums, which are converted to `f32` and
//! accumulated with one FMA by `d_w · d_x`. Q4_1's `m_w · s_x` term is summed
//! separately, as in llama.cpp. Signed weights (Q4_0 after subtracting 8, Q8_0) use the
//! sign trick (`|w|` × `sign(x, w)`), since both instructions take one unsigned operand.
//!
//! A kernel computes one row group (4 rows, stored interleaved) × `T` activation rows
//! at once, so each weight block is unpacked once per tile and the accumulator chains
//! are independent: `T` = 1 for decode, 2 (AVX2, 16 registers) or 4 (AVX-512, 32
//! registers) for prefill. Every (row, activation) pair runs the same operations in
//! the same order whatever the tile and instruction set, so prefill and decode give
//! bit-identical dot products, and results depend neither on the thread count nor on
//! which kernel the CPU gets (tested).
//!
//! Activation quantization and attention have AVX2 versions here too, written to give
//! exactly the bits of the portable loops (same lane layout and reduction order, no
//! FMA where the portable code multiplies and adds).
//!
//! Safety: the kernels are `#[target_feature]` functions; the only `unsafe` is the call
//! into them, made after checking at run time that the CPU has every feature they are
//! compiled for. Loads are `_mm*_setr_*` of array elements (which the compiler turns
//! into one vector load), so there are no raw pointers.

use std::arch::x86_64::{
    __m128, __m128i, __m256, __m256i, _MM_FROUND_NO_EXC, _MM_FROUND_TO_NEAREST_INT, _mm_add_ps,
    _mm_add_ss, _mm_and_si128, _mm_cvtss_f32, _mm_fmadd_ps, _mm_hadd_ps, _mm_max_ps, _mm_max_ss,
    _mm_movehdup_ps, _mm_movehl_ps, _mm_set1_epi8, _mm_set1_ps, _mm_setzero_ps, _mm_srli_epi16,
    _mm256_add_epi32, _mm256_add_ps, _mm256_andnot_ps, _mm256_castps256_ps128, _mm256_cvtepi32_ps,
    _mm256_cvtps_epi32, _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_madd_epi16,
    _mm256_maddubs_epi16, _mm256_max_ps, _mm256_mul_ps, _mm256_packs_epi16, _mm256_packs_epi32,
    _mm256_permutevar8x32_epi32, _mm256_round_ps, _mm256_set_m128i, _mm256_set1_epi8,
    _mm256_set1_epi16, _mm256_set1_ps, _mm256_setr_epi32, _mm256_setzero_ps, _mm256_sign_epi8,
    _mm256_sub_epi8,
};

use std::arch::x86_64::{
    _mm_setr_epi8, _mm_setr_ps, _mm256_dpbusd_epi32, _mm256_setr_epi8, _mm256_setr_ps,
    _mm256_setzero_si256,
};

use half::f16;

use super::{
    Attend, GROUP, Kind, MAX_HEAD_DIM, QK, QuantMatrix, QuantizedActs, softmax_numerators,
};

/// Whether this CPU runs the kernels (AVX2 and FMA).
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Whether this CPU has AVX-512 VNNI (with VL and BW): the matrix kernels then use
/// `vpdpbusd` and 32 vector registers (4-activation tiles).
fn vnni_available() -> bool {
    std::arch::is_x86_feature_detected!("avx512vnni")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512f")
        && available()
}

/// Computes `out[i * acts.len() + t] = row_{r0 + i} · acts[t]` for `i < nrows`
/// (`r0` a multiple of the row group). Returns `false` (and leaves `out` alone) when
/// the CPU lacks AVX2/FMA.
pub(super) fn rows_by_acts(
    w: &QuantMatrix,
    r0: usize,
    nrows: usize,
    acts: &[QuantizedActs],
    out: &mut [f32],
) -> bool {
    if vnni_available() {
        #[allow(unsafe_code)]
        // SAFETY: `vnni::rows_by_acts` is only `unsafe` to call because it is compiled
        // for AVX2, FMA, AVX-512 F/VL/BW and VNNI; `vnni_available()` just checked that
        // this CPU has all of them. It has no other precondition (all indexing is
        // bounds-checked).
        unsafe {
            vnni::rows_by_acts(w, r0, nrows, acts, out);
        }
        return true;
    }
    if !available() {
        return false;
    }
    #[allow(unsafe_code)]
    // SAFETY: as above, for `avx2::rows_by_acts`'s AVX2 and FMA, checked just above.
    unsafe {
        avx2::rows_by_acts(w, r0, nrows, acts, out);
    }
    true
}

/// Quantizes `x` (a whole number of 32-element blocks) into `a` like llama.cpp's AVX2
/// `quantize_row_q8_1`; `false` when the CPU lacks AVX2/FMA.
pub(super) fn quantize(x: &[f32], a: &mut QuantizedActs) -> bool {
    if !available() {
        return false;
    }
    #[allow(unsafe_code)]
    // SAFETY: as in `rows_by_acts`: the function needs AVX2 and FMA, checked just above.
    unsafe {
        quantize_avx2(x, a);
    }
    true
}

#[target_feature(enable = "avx2,fma")]
fn quantize_avx2(x: &[f32], a: &mut QuantizedActs) {
    let nb = x.len() / QK;
    let (xb, _) = x.as_chunks::<QK>();
    let (qb, _) = a.qs[..nb * QK].as_chunks_mut::<QK>();
    let sign_bit = _mm256_set1_ps(-0.0);
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (b, (xs, qs)) in xb.iter().zip(qb.iter_mut()).enumerate().take(nb) {
        // Plain loops, not `array::from_fn`: its closure would not be inlined into
        // this `#[target_feature]` function.
        let (xc, _) = xs.as_chunks::<8>();
        let mut v = [_mm256_setzero_ps(); 4];
        for (vk, c) in v.iter_mut().zip(xc) {
            *vk = _mm256_loadu8(c);
        }
        let mut m = _mm256_andnot_ps(sign_bit, v[0]);
        for vk in &v[1..] {
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign_bit, *vk));
        }
        let m4 = _mm_max_ps(_mm256_extractf128_ps::<1>(m), _mm256_castps256_ps128(m));
        let m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        let m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        let amax = _mm_cvtss_f32(m4);
        let d = amax / 127.0;
        let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
        let mul = _mm256_set1_ps(id);
        let mut i = [_mm256_setzero_si256(); 4];
        for (ik, vk) in i.iter_mut().zip(v) {
            *ik = _mm256_cvtps_epi32(_mm256_round_ps::<
                { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
            >(_mm256_mul_ps(vk, mul)));
        }
        let sum = _mm256_add_epi32(_mm256_add_epi32(i[0], i[1]), _mm256_add_epi32(i[2], i[3]));
        let lanes: [i32; 8] = pulp::cast(sum);
        let isum: i32 = lanes.iter().sum();
        // i32 → i16 → i8 with saturation (|q| ≤ 127 already), then undo the lane
        // interleaving of the packs.
        let p16a = _mm256_packs_epi32(i[0], i[1]);
        let p16b = _mm256_packs_epi32(i[2], i[3]);
        let p8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p16a, p16b), order);
        *qs = pulp::cast(p8);
        a.d[b] = f16::from_f32(d).to_f32();
        a.s[b] = f16::from_f32(d * isum as f32).to_f32();
        a.isum[b] = isum;
    }
}

/// [`Attend::run`] with AVX2; `false` when the CPU lacks AVX2/FMA or the head width
/// is not a multiple of 8.
pub(super) fn attend(job: &Attend<'_>, scores: &mut [f32], out: &mut [f32]) -> bool {
    if !available() || !job.q.len().is_multiple_of(8) {
        return false;
    }
    #[allow(unsafe_code)]
    // SAFETY: as in `rows_by_acts`: the function needs AVX2 and FMA, checked just above.
    unsafe {
        attend_avx2(job, scores, out);
    }
    true
}

#[target_feature(enable = "avx2,fma")]
fn attend_avx2(job: &Attend<'_>, scores: &mut [f32], out: &mut [f32]) {
    match job.q.len() {
        64 => attend_fixed::<8>(job, scores, out),
        128 => attend_fixed::<16>(job, scores, out),
        32 => attend_fixed::<4>(job, scores, out),
        _ => attend_any(job, scores, out),
    }
}

/// Sixteen bytes as a vector (the compiler merges the element reads into one load).
#[target_feature(enable = "avx2,fma")]
fn load_u8x16(a: &[u8; 16]) -> __m128i {
    _mm_setr_epi8(
        a[0] as i8,
        a[1] as i8,
        a[2] as i8,
        a[3] as i8,
        a[4] as i8,
        a[5] as i8,
        a[6] as i8,
        a[7] as i8,
        a[8] as i8,
        a[9] as i8,
        a[10] as i8,
        a[11] as i8,
        a[12] as i8,
        a[13] as i8,
        a[14] as i8,
        a[15] as i8,
    )
}

/// Thirty-two bytes as a vector.
#[target_feature(enable = "avx2,fma")]
fn load_u8x32(a: &[u8; 32]) -> __m256i {
    _mm256_setr_epi8(
        a[0] as i8,
        a[1] as i8,
        a[2] as i8,
        a[3] as i8,
        a[4] as i8,
        a[5] as i8,
        a[6] as i8,
        a[7] as i8,
        a[8] as i8,
        a[9] as i8,
        a[10] as i8,
        a[11] as i8,
        a[12] as i8,
        a[13] as i8,
        a[14] as i8,
        a[15] as i8,
        a[16] as i8,
        a[17] as i8,
        a[18] as i8,
        a[19] as i8,
        a[20] as i8,
        a[21] as i8,
        a[22] as i8,
        a[23] as i8,
        a[24] as i8,
        a[25] as i8,
        a[26] as i8,
        a[27] as i8,
        a[28] as i8,
        a[29] as i8,
        a[30] as i8,
        a[31] as i8,
    )
}

/// Thirty-two signed bytes as a vector.
#[target_feature(enable = "avx2,fma")]
fn load_i8x32(a: &[i8; 32]) -> __m256i {
    _mm256_setr_epi8(
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
        a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23], a[24], a[25], a[26],
        a[27], a[28], a[29], a[30], a[31],
    )
}

/// Four `f32` as a vector.
#[target_feature(enable = "avx2,fma")]
fn load_f32x4(a: &[f32; 4]) -> __m128 {
    _mm_setr_ps(a[0], a[1], a[2], a[3])
}

/// Eight `f32` lanes from an array (one unaligned load).
#[target_feature(enable = "avx2,fma")]
fn _mm256_loadu8(a: &[f32; 8]) -> __m256 {
    _mm256_setr_ps(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
}

/// `((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7))`, the portable `dot`'s order.
#[target_feature(enable = "avx2,fma")]
fn reduce_like_dot(acc: __m256) -> f32 {
    let h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps::<1>(acc));
    let h = _mm_hadd_ps(h, h);
    _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)))
}

/// [`attend_any`] for a head of `8 · NJ` values: the query and the output row stay in
/// registers, and four positions' dot products run side by side (each position's own
/// sum keeps its order, so the bits do not change).
#[target_feature(enable = "avx2,fma")]
fn attend_fixed<const NJ: usize>(job: &Attend<'_>, scores: &mut [f32], out: &mut [f32]) {
    let hd = NJ * 8;
    let (qc, _) = job.q.as_chunks::<8>();
    let mut q = [_mm256_setzero_ps(); NJ];
    for (qj, c) in q.iter_mut().zip(qc) {
        *qj = _mm256_loadu8(c);
    }
    let (k, v, kvd, off) = (job.k, job.v, job.kvd, job.off);
    let total = job.total;
    let scores = &mut scores[..total];
    let mut max = f32::NEG_INFINITY;
    let mut p = 0;
    while p + 4 <= total {
        let row = |u: usize| -> &[[f32; 8]] {
            let at = (p + u) * kvd + off;
            k[at..at + hd].as_chunks::<8>().0
        };
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
        let (mut a0, mut a1, mut a2, mut a3) = (
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
        );
        for j in 0..NJ {
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(q[j], _mm256_loadu8(&r0[j])));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(q[j], _mm256_loadu8(&r1[j])));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(q[j], _mm256_loadu8(&r2[j])));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(q[j], _mm256_loadu8(&r3[j])));
        }
        for (u, acc) in [a0, a1, a2, a3].into_iter().enumerate() {
            let sc = reduce_like_dot(acc) * job.scale;
            scores[p + u] = sc;
            max = max.max(sc);
        }
        p += 4;
    }
    while p < total {
        let at = p * kvd + off;
        let (row, _) = k[at..at + hd].as_chunks::<8>();
        let mut acc = _mm256_setzero_ps();
        for j in 0..NJ {
            acc = _mm256_add_ps(acc, _mm256_mul_ps(q[j], _mm256_loadu8(&row[j])));
        }
        let sc = reduce_like_dot(acc) * job.scale;
        scores[p] = sc;
        max = max.max(sc);
        p += 1;
    }
    let inv = 1.0 / softmax_numerators(scores, max);
    let mut o = [_mm256_setzero_ps(); NJ];
    for (p, &e) in scores.iter().enumerate() {
        let w = _mm256_set1_ps(e * inv);
        let at = p * kvd + off;
        let (row, _) = v[at..at + hd].as_chunks::<8>();
        for j in 0..NJ {
            o[j] = _mm256_add_ps(o[j], _mm256_mul_ps(w, _mm256_loadu8(&row[j])));
        }
    }
    for (dst, src) in out.chunks_exact_mut(8).zip(o.iter()) {
        let a: [f32; 8] = pulp::cast(*src);
        dst.copy_from_slice(&a);
    }
}

/// Any head width that is a multiple of 8.
#[target_feature(enable = "avx2,fma")]
fn attend_any(job: &Attend<'_>, scores: &mut [f32], out: &mut [f32]) {
    let hd = job.q.len();
    let (q, _) = job.q.as_chunks::<8>();
    let lanes = |s: &[f32]| -> __m256 {
        let a: [f32; 8] = s.try_into().unwrap_or([0.0; 8]);
        pulp::cast(a)
    };
    let mut max = f32::NEG_INFINITY;
    for (p, sc) in scores[..job.total].iter_mut().enumerate() {
        let at = p * job.kvd + job.off;
        let (k, _) = job.k[at..at + hd].as_chunks::<8>();
        // Separate multiply and add, lane j summing elements j, j+8, …: the same
        // operations as the portable `dot`.
        let mut acc = _mm256_setzero_ps();
        for (qc, kc) in q.iter().zip(k) {
            acc = _mm256_add_ps(acc, _mm256_mul_ps(pulp::cast(*qc), pulp::cast(*kc)));
        }
        // ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)), as the portable `dot`.
        let h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps::<1>(acc));
        let h = _mm_hadd_ps(h, h);
        *sc = _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h))) * job.scale;
        max = max.max(*sc);
    }
    let inv = 1.0 / softmax_numerators(&mut scores[..job.total], max);
    let mut o = [_mm256_setzero_ps(); MAX_HEAD_DIM / 8];
    let o = &mut o[..hd / 8];
    for (p, &e) in scores[..job.total].iter().enumerate() {
        let w = _mm256_set1_ps(e * inv);
        let at = p * job.kvd + job.off;
        for (j, oj) in o.iter_mut().enumerate() {
            *oj = _mm256_add_ps(
                *oj,
                _mm256_mul_ps(w, lanes(&job.v[at + j * 8..at + j * 8 + 8])),
            );
        }
    }
    for (dst, src) in out.chunks_exact_mut(8).zip(o.iter()) {
        let a: [f32; 8] = pulp::cast(*src);
        dst.copy_from_slice(&a);
    }
}

const K_Q4_0: u8 = 0;
const K_Q4_1: u8 = 1;
const K_Q8_0: u8 = 2;

/// The matrix kernels, instantiated once per instruction set: `$features` is what they
/// are compiled for, `$tt` the activation rows per tile, `$mul_sum(u, s, ones)` the
/// eight `i32` sums of `u8 × i8` products (`vpmaddubsw` + `vpmaddwd`, or one
/// `vpdpbusd`; the same integers either way, since `vpmaddubsw` cannot saturate on
/// these operands: |pair sum| ≤ 2 · 128 · 127).
macro_rules! matrix_kernels {
    ($module:ident, $features:literal, $tt:literal, |$u:ident, $s:ident, $ones:ident| $mul_sum:expr) => {
        mod $module {
            use super::*;

            /// Eight `i32` sums of `u8 × i8` products of `u` and `s`.
            #[target_feature(enable = $features)]
            fn mul_sum($u: __m256i, $s: __m256i, $ones: __m256i) -> __m256i {
                $mul_sum
            }

            const TT: usize = $tt;

            #[target_feature(enable = $features)]
            pub(super) fn rows_by_acts(
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
            /// × `TT` activation rows (prefill), then × 1 for what is left (decode).
            #[target_feature(enable = $features)]
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
                    while t + TT <= n {
                        let xs: [&QuantizedActs; TT] = std::array::from_fn(|k| &acts[t + k]);
                        let o = group::<K, TT>(w, g0 + g, xs);
                        for (dt, rows) in o.iter().enumerate() {
                            for (i, &v) in rows.iter().enumerate() {
                                put(base + i, t + dt, v);
                            }
                        }
                        t += TT;
                    }
                    while t < n {
                        let o = group::<K, 1>(w, g0 + g, [&acts[t]]);
                        for (i, &v) in o[0].iter().enumerate() {
                            put(base + i, t, v);
                        }
                        t += 1;
                    }
                }
            }

            /// Unpacks 16 bytes of 4-bit weights into 32 bytes: low nibbles (elements 0..16) in
            /// the lower half, high nibbles (elements 16..32) in the upper half.
            #[target_feature(enable = $features)]
            fn unpack_nibbles(q: &[u8; 16]) -> __m256i {
                let v = load_u8x16(q);
                let mask = _mm_set1_epi8(0x0f);
                let lo = _mm_and_si128(v, mask);
                let hi = _mm_and_si128(_mm_srli_epi16::<4>(v), mask);
                _mm256_set_m128i(hi, lo)
            }

            /// Sum of the eight lanes.
            #[target_feature(enable = $features)]
            fn hsum(v: __m256) -> f32 {
                let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
            }

            /// Dot products of the 4 rows of row group `g` with the `T` activation rows `xs`:
            /// `out[t][lane]`.
            #[target_feature(enable = $features)]
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
                let xq: [&[[i8; QK]]; T] =
                    std::array::from_fn(|t| xs[t].qs[..nb * QK].as_chunks::<QK>().0);
                let xd: [&[f32]; T] = std::array::from_fn(|t| &xs[t].d[..nb]);
                let xsum: [&[f32]; T] =
                    std::array::from_fn(|t| if K == K_Q4_1 { &xs[t].s[..nb] } else { &[] });
                let eight = _mm256_set1_epi8(8);
                let ones = _mm256_set1_epi16(1);
                let mut acc = [[_mm256_setzero_ps(); GROUP]; T];
                let mut mins = [_mm_setzero_ps(); T];
                for b in 0..nb {
                    // Plain loops, not `array::from_fn`: its closure would not be
                    // inlined into this `#[target_feature]` function.
                    let mut xv = [_mm256_setzero_si256(); T];
                    let mut dx = [_mm256_setzero_ps(); T];
                    for t in 0..T {
                        xv[t] = load_i8x32(&xq[t][b]);
                        dx[t] = _mm256_set1_ps(xd[t][b]);
                    }
                    let blk = &wq[b * GROUP * qb..(b + 1) * GROUP * qb];
                    for i in 0..GROUP {
                        let wv = if K == K_Q8_0 {
                            load_u8x32(&blk.as_chunks::<32>().0[i])
                        } else {
                            let u = unpack_nibbles(&blk.as_chunks::<16>().0[i]);
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
                            let p = mul_sum(uw, sx, ones);
                            let scale = _mm256_mul_ps(dw, dx[t]);
                            acc[t][i] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(p), acc[t][i]);
                        }
                    }
                    if K == K_Q4_1 {
                        let m = load_f32x4(&wm[b]);
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
        }
    };
}

matrix_kernels!(avx2, "avx2,fma", 2, |u, s, ones| _mm256_madd_epi16(
    _mm256_maddubs_epi16(u, s),
    ones
));

matrix_kernels!(
    vnni,
    "avx2,fma,avx512f,avx512vl,avx512bw,avx512vnni",
    4,
    |u, s, _ones| _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s)
);

#[cfg(test)]
mod tests {
    use super::super::tests_support::{acts_rows, matrix};
    use super::*;

    #[test]
    fn vnni_and_avx2_kernels_give_the_same_bits() {
        if !vnni_available() {
            // Only one of the two kernels exists on this CPU: nothing to compare, and
            // the portable comparison in `quant::tests` covers the AVX2 one.
            assert!(!available() || !std::arch::is_x86_feature_detected!("avx512vnni"));
            return;
        }
        let (rows, cols) = (21, 128);
        for kind in [Kind::Q4_0, Kind::Q4_1, Kind::Q8_0] {
            let m = matrix(kind, rows, cols);
            for n in [1, 3, 6] {
                let xs = acts_rows(n, cols);
                let (mut a, mut b) = (vec![0.0; rows * n], vec![0.0; rows * n]);
                #[allow(unsafe_code)]
                // SAFETY: `vnni_available()` checked every feature both kernels need.
                unsafe {
                    vnni::rows_by_acts(&m, 0, rows, &xs, &mut a);
                    avx2::rows_by_acts(&m, 0, rows, &xs, &mut b);
                }
                assert_eq!(a, b, "{kind:?} n={n}");
                assert!(a.iter().any(|v| *v != 0.0));
            }
        }
    }
}
