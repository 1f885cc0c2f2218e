//! ggml block formats: their byte layouts and dequantization to `f32`/`f16`.
//!
//! Each `dequantize_row_*` function takes a whole number of blocks (`src`) and
//! writes `blocks × block_size` values into `dst`; a length mismatch is an error,
//! never a panic. Layouts follow ggml (`ggml-common.h`, `ggml-quants.c`); scales
//! are little-endian IEEE f16.

use half::{bf16, f16};

use super::{GgmlType, GgufError};

/// Elements per block of the 32-element formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0).
pub const QK: usize = 32;
/// Elements per super-block of the k-quants (Q4_K, Q6_K).
pub const QK_K: usize = 256;

/// Bytes per Q4_0 block: `d: f16`, `qs: [u8; 16]` (low nibbles hold elements 0–15,
/// high nibbles 16–31); `x = (q - 8) · d`.
pub const Q4_0_BYTES: usize = 18;
/// Bytes per Q4_1 block: `d: f16`, `m: f16`, `qs: [u8; 16]`; `x = q · d + m`.
pub const Q4_1_BYTES: usize = 20;
/// Bytes per Q5_0 block: `d: f16`, `qh: u32` (fifth bits), `qs: [u8; 16]`;
/// `x = (q - 16) · d`.
pub const Q5_0_BYTES: usize = 22;
/// Bytes per Q5_1 block: `d: f16`, `m: f16`, `qh: u32`, `qs: [u8; 16]`; `x = q · d + m`.
pub const Q5_1_BYTES: usize = 24;
/// Bytes per Q8_0 block: `d: f16`, `qs: [i8; 32]`; `x = q · d`.
pub const Q8_0_BYTES: usize = 34;
/// Bytes per Q4_K super-block: `d: f16`, `dmin: f16`, `scales: [u8; 12]` (eight
/// 6-bit scales and mins), `qs: [u8; 128]`.
pub const Q4_K_BYTES: usize = 144;
/// Bytes per Q6_K super-block: `ql: [u8; 128]`, `qh: [u8; 64]`, `scales: [i8; 16]`, `d: f16`.
pub const Q6_K_BYTES: usize = 210;

/// Reads the little-endian f16 at `b[i..i + 2]` as `f32`.
#[inline]
fn f16_at(b: &[u8], i: usize) -> f32 {
    f16::from_le_bytes([b[i], b[i + 1]]).to_f32()
}

/// Checks that `src` is `n` blocks of `block_bytes` and `dst` holds `n × per_block`.
fn check(
    name: &str,
    src: &[u8],
    dst_len: usize,
    block_bytes: usize,
    per_block: usize,
) -> Result<(), GgufError> {
    if !src.len().is_multiple_of(block_bytes) || src.len() / block_bytes * per_block != dst_len {
        return Err(GgufError::SizeMismatch(format!(
            "{name}: {} source bytes (blocks of {block_bytes}) cannot fill {dst_len} values \
             ({per_block} per block)",
            src.len()
        )));
    }
    Ok(())
}

/// Dequantizes F32 bytes.
pub fn dequantize_row_f32(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("F32", src, dst.len(), 4, 1)?;
    for (o, c) in dst.iter_mut().zip(src.chunks_exact(4)) {
        *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Ok(())
}

/// Dequantizes F16 bytes.
pub fn dequantize_row_f16(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("F16", src, dst.len(), 2, 1)?;
    for (o, c) in dst.iter_mut().zip(src.chunks_exact(2)) {
        *o = f16::from_le_bytes([c[0], c[1]]).to_f32();
    }
    Ok(())
}

/// Dequantizes BF16 bytes.
pub fn dequantize_row_bf16(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("BF16", src, dst.len(), 2, 1)?;
    for (o, c) in dst.iter_mut().zip(src.chunks_exact(2)) {
        *o = bf16::from_le_bytes([c[0], c[1]]).to_f32();
    }
    Ok(())
}

/// Dequantizes Q4_0 blocks.
pub fn dequantize_row_q4_0(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("Q4_0", src, dst.len(), Q4_0_BYTES, QK)?;
    for (b, y) in src.chunks_exact(Q4_0_BYTES).zip(dst.chunks_exact_mut(QK)) {
        let d = f16_at(b, 0);
        let qs = &b[2..18];
        for j in 0..16 {
            y[j] = (i32::from(qs[j] & 0x0f) - 8) as f32 * d;
            y[j + 16] = (i32::from(qs[j] >> 4) - 8) as f32 * d;
        }
    }
    Ok(())
}

/// Dequantizes Q4_1 blocks.
pub fn dequantize_row_q4_1(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("Q4_1", src, dst.len(), Q4_1_BYTES, QK)?;
    for (b, y) in src.chunks_exact(Q4_1_BYTES).zip(dst.chunks_exact_mut(QK)) {
        let d = f16_at(b, 0);
        let m = f16_at(b, 2);
        let qs = &b[4..20];
        for j in 0..16 {
            y[j] = f32::from(qs[j] & 0x0f) * d + m;
            y[j + 16] = f32::from(qs[j] >> 4) * d + m;
        }
    }
    Ok(())
}

/// Dequantizes Q5_0 blocks.
pub fn dequantize_row_q5_0(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("Q5_0", src, dst.len(), Q5_0_BYTES, QK)?;
    for (b, y) in src.chunks_exact(Q5_0_BYTES).zip(dst.chunks_exact_mut(QK)) {
        let d = f16_at(b, 0);
        let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        let qs = &b[6..22];
        for j in 0..16 {
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            let x0 = (u32::from(qs[j] & 0x0f) | h0) as i32 - 16;
            let x1 = (u32::from(qs[j] >> 4) | h1) as i32 - 16;
            y[j] = x0 as f32 * d;
            y[j + 16] = x1 as f32 * d;
        }
    }
    Ok(())
}

/// Dequantizes Q5_1 blocks.
pub fn dequantize_row_q5_1(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("Q5_1", src, dst.len(), Q5_1_BYTES, QK)?;
    for (b, y) in src.chunks_exact(Q5_1_BYTES).zip(dst.chunks_exact_mut(QK)) {
        let d = f16_at(b, 0);
        let m = f16_at(b, 2);
        let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        let qs = &b[8..24];
        for j in 0..16 {
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            y[j] = (u32::from(qs[j] & 0x0f) | h0) as f32 * d + m;
            y[j + 16] = (u32::from(qs[j] >> 4) | h1) as f32 * d + m;
        }
    }
    Ok(())
}

/// Dequantizes Q8_0 blocks.
pub fn dequantize_row_q8_0(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("Q8_0", src, dst.len(), Q8_0_BYTES, QK)?;
    for (b, y) in src.chunks_exact(Q8_0_BYTES).zip(dst.chunks_exact_mut(QK)) {
        let d = f16_at(b, 0);
        for (o, &q) in y.iter_mut().zip(&b[2..34]) {
            *o = f32::from(q as i8) * d;
        }
    }
    Ok(())
}

/// Scale and minimum `j` (0..8) of a Q4_K/Q5_K super-block's packed 6-bit scales.
#[inline]
pub fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Dequantizes Q4_K super-blocks.
pub fn dequantize_row_q4_k(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("Q4_K", src, dst.len(), Q4_K_BYTES, QK_K)?;
    for (b, y) in src.chunks_exact(Q4_K_BYTES).zip(dst.chunks_exact_mut(QK_K)) {
        let d = f16_at(b, 0);
        let dmin = f16_at(b, 2);
        let scales = &b[4..16];
        let qs = &b[16..144];
        for (g, (q, out)) in qs.chunks_exact(32).zip(y.chunks_exact_mut(64)).enumerate() {
            let (sc1, m1) = scale_min_k4(2 * g, scales);
            let (sc2, m2) = scale_min_k4(2 * g + 1, scales);
            let (d1, m1) = (d * f32::from(sc1), dmin * f32::from(m1));
            let (d2, m2) = (d * f32::from(sc2), dmin * f32::from(m2));
            for l in 0..32 {
                out[l] = d1 * f32::from(q[l] & 0x0f) - m1;
                out[l + 32] = d2 * f32::from(q[l] >> 4) - m2;
            }
        }
    }
    Ok(())
}

/// Dequantizes Q6_K super-blocks.
pub fn dequantize_row_q6_k(src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    check("Q6_K", src, dst.len(), Q6_K_BYTES, QK_K)?;
    for (b, y) in src.chunks_exact(Q6_K_BYTES).zip(dst.chunks_exact_mut(QK_K)) {
        let d = f16_at(b, 208);
        for half_idx in 0..2 {
            let ql = &b[half_idx * 64..half_idx * 64 + 64];
            let qh = &b[128 + half_idx * 32..128 + half_idx * 32 + 32];
            let sc = &b[192 + half_idx * 8..192 + half_idx * 8 + 8];
            let out = &mut y[half_idx * 128..half_idx * 128 + 128];
            for l in 0..32 {
                let is = l / 16;
                let q1 = i32::from((ql[l] & 0x0f) | ((qh[l] & 3) << 4)) - 32;
                let q2 = i32::from((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
                let q3 = i32::from((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                let q4 = i32::from((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                let s = |k: usize| d * f32::from(sc[is + k] as i8);
                out[l] = s(0) * q1 as f32;
                out[l + 32] = s(2) * q2 as f32;
                out[l + 64] = s(4) * q3 as f32;
                out[l + 96] = s(6) * q4 as f32;
            }
        }
    }
    Ok(())
}

/// Dequantizes `src` of type `ty` into `dst` (`dst.len()` = element count).
pub fn dequantize(ty: GgmlType, src: &[u8], dst: &mut [f32]) -> Result<(), GgufError> {
    match ty {
        GgmlType::F32 => dequantize_row_f32(src, dst),
        GgmlType::F16 => dequantize_row_f16(src, dst),
        GgmlType::BF16 => dequantize_row_bf16(src, dst),
        GgmlType::Q4_0 => dequantize_row_q4_0(src, dst),
        GgmlType::Q4_1 => dequantize_row_q4_1(src, dst),
        GgmlType::Q5_0 => dequantize_row_q5_0(src, dst),
        GgmlType::Q5_1 => dequantize_row_q5_1(src, dst),
        GgmlType::Q8_0 => dequantize_row_q8_0(src, dst),
        GgmlType::Q4_K => dequantize_row_q4_k(src, dst),
        GgmlType::Q6_K => dequantize_row_q6_k(src, dst),
        other => Err(GgufError::UnsupportedType {
            tensor: String::new(),
            ty: other,
        }),
    }
}

/// Dequantizes `src` of type `ty` into `f16` values, a block at a time (F16 is copied).
pub fn dequantize_f16(ty: GgmlType, src: &[u8], dst: &mut [f16]) -> Result<(), GgufError> {
    if ty == GgmlType::F16 {
        check("F16", src, dst.len(), 2, 1)?;
        for (o, c) in dst.iter_mut().zip(src.chunks_exact(2)) {
            *o = f16::from_le_bytes([c[0], c[1]]);
        }
        return Ok(());
    }
    let block = usize::try_from(ty.block_size()).unwrap_or(usize::MAX);
    let bytes = usize::try_from(ty.block_bytes()).unwrap_or(usize::MAX);
    // Convert in chunks of many blocks to keep the f32 scratch small.
    let per_chunk = 64;
    check(&format!("{ty:?}"), src, dst.len(), bytes, block)?;
    let mut scratch = vec![0.0f32; block * per_chunk];
    for (s, d) in src
        .chunks(bytes * per_chunk)
        .zip(dst.chunks_mut(block * per_chunk))
    {
        let tmp = &mut scratch[..d.len()];
        dequantize(ty, s, tmp)?;
        for (o, &v) in d.iter_mut().zip(tmp.iter()) {
            *o = f16::from_f32(v);
        }
    }
    Ok(())
}
