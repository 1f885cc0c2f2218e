//! The CPU path: block-quantized matrix kernels and a host-side forward pass.
//!
//! Why: a decode step multiplies every weight once by one vector, so it is bound by
//! how many bytes of weights stream through the core. Dequantized `f32` (or `f16`)
//! weights are 6.4× (3.2×) the bytes of the file's Q4_1 blocks, which caps burn-flex's
//! matrix-vector product far below llama.cpp on this model. This module keeps the
//! file's own blocks (Q4_0, Q4_1, Q8_0; scales pre-widened to `f32` at load) and
//! computes each dot product the way llama.cpp's CPU backend does: the activation row is
//! quantized to 8-bit blocks of 32 (`d = max|x| / 127`, rounded to nearest-even, `d`
//! and the block sum carried as `f16`-rounded values), products are summed in `i32`
//! per block and scaled by `d_w · d_x` (plus `m_w · s_x` for Q4_1). Rows are split
//! across rayon's pool, so `--threads` (the pool size) bounds the compute threads.
//!
//! On the CPU with quantized weights, every forward (prefill batched through each
//! matrix, and decode) runs here, so prompt and continuation see the same numerics, as
//! in llama.cpp. The rest of the step (RMSNorm with an `f64` sum, RoPE, attention over
//! an `f16`-precision KV cache like llama.cpp's, SwiGLU) runs on plain `f32` slices: at
//! these sizes burn's per-operation dispatch costs more than the math. burn's tensor
//! path ([`super::Llama::forward_all`], and every forward on GPU backends or for
//! unquantized files) is the reference the tests compare this path against.

use half::f16;
use rayon::prelude::*;

use super::{KvCache, Llama, LlamaConfig, ModelError};
use crate::gguf::{GgmlType, GgufFile, TensorView};

/// Errors of the quantized kernels.
#[derive(Debug, thiserror::Error)]
pub enum QuantError {
    /// The tensor's byte length does not match its dims and type.
    #[error("tensor `{name}`: {found} bytes, expected {expected} for its dims and type")]
    ByteLength {
        /// Tensor name.
        name: String,
        /// Bytes present.
        found: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The row length is not a whole number of 32-element blocks.
    #[error("row length {0} is not a multiple of 32")]
    RowLength(usize),
}

/// Whether [`QuantMatrix`] can hold weights of this type.
pub fn supported(t: GgmlType) -> bool {
    matches!(t, GgmlType::Q4_0 | GgmlType::Q4_1 | GgmlType::Q8_0)
}

const QK: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Q4_0,
    Q4_1,
    Q8_0,
}

/// A `[rows, cols]` weight matrix kept in 32-element blocks.
pub struct QuantMatrix {
    kind: Kind,
    rows: usize,
    cols: usize,
    /// Per block: scale.
    d: Vec<f32>,
    /// Per block (Q4_1 only): minimum.
    m: Vec<f32>,
    /// Packed quants: 16 bytes per block (4-bit: low nibble = element j, high nibble =
    /// element j+16) or 32 bytes (8-bit, two's complement).
    qs: Vec<u8>,
}

impl std::fmt::Debug for QuantMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuantMatrix")
            .field("kind", &self.kind)
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .finish()
    }
}

fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

impl QuantMatrix {
    /// Builds the matrix from a GGUF tensor with `rows` rows of `cols` elements;
    /// `Ok(None)` when its type has no quantized kernel here.
    pub fn from_view(
        view: &TensorView<'_>,
        rows: usize,
        cols: usize,
    ) -> Result<Option<Self>, QuantError> {
        let kind = match view.info.ggml_type {
            GgmlType::Q4_0 => Kind::Q4_0,
            GgmlType::Q4_1 => Kind::Q4_1,
            GgmlType::Q8_0 => Kind::Q8_0,
            _ => return Ok(None),
        };
        Self::from_blocks(kind, &view.info.name, view.data, rows, cols).map(Some)
    }

    fn from_blocks(
        kind: Kind,
        name: &str,
        data: &[u8],
        rows: usize,
        cols: usize,
    ) -> Result<Self, QuantError> {
        if !cols.is_multiple_of(QK) {
            return Err(QuantError::RowLength(cols));
        }
        let block_bytes = match kind {
            Kind::Q4_0 => 18,
            Kind::Q4_1 => 20,
            Kind::Q8_0 => 34,
        };
        let nb = rows * cols / QK;
        if data.len() != nb * block_bytes {
            return Err(QuantError::ByteLength {
                name: name.to_owned(),
                found: data.len(),
                expected: nb * block_bytes,
            });
        }
        let qbytes = if kind == Kind::Q8_0 { 32 } else { 16 };
        let mut d = Vec::with_capacity(nb);
        let mut m = Vec::with_capacity(if kind == Kind::Q4_1 { nb } else { 0 });
        let mut qs = Vec::with_capacity(nb * qbytes);
        for blk in data.chunks_exact(block_bytes) {
            d.push(f16_at(blk, 0));
            let start = if kind == Kind::Q4_1 {
                m.push(f16_at(blk, 2));
                4
            } else {
                2
            };
            qs.extend_from_slice(&blk[start..start + qbytes]);
        }
        Ok(Self {
            kind,
            rows,
            cols,
            d,
            m,
            qs,
        })
    }

    /// Rows (outputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns (inputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Dequantizes row `r` into `out` (`cols` values); used for embedding lookups.
    pub fn row_f32(&self, r: usize, out: &mut [f32]) {
        let nbr = self.cols / QK;
        for b in 0..nbr {
            let bi = r * nbr + b;
            let o = &mut out[b * QK..(b + 1) * QK];
            match self.kind {
                Kind::Q8_0 => {
                    let q = &self.qs[bi * 32..bi * 32 + 32];
                    for j in 0..QK {
                        o[j] = self.d[bi] * f32::from(q[j] as i8);
                    }
                }
                Kind::Q4_0 | Kind::Q4_1 => {
                    let q = &self.qs[bi * 16..bi * 16 + 16];
                    let (off, m) = if self.kind == Kind::Q4_0 {
                        (8.0, 0.0)
                    } else {
                        (0.0, self.m[bi])
                    };
                    for j in 0..16 {
                        o[j] = self.d[bi] * (f32::from(q[j] & 15) - off) + m;
                        o[j + 16] = self.d[bi] * (f32::from(q[j] >> 4) - off) + m;
                    }
                }
            }
        }
    }

    /// `out[r] = row_r · x` for every row, with `x` quantized as [`QuantizedActs`].
    pub fn matvec(&self, x: &QuantizedActs, out: &mut [f32]) {
        const CHUNK: usize = 16;
        let nbr = self.cols / QK;
        out[..self.rows]
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(ci, chunk)| {
                pulp::Arch::new().dispatch(|| {
                    for (i, o) in chunk.iter_mut().enumerate() {
                        let r = ci * CHUNK + i;
                        *o = self.dot_row(r, nbr, x);
                    }
                })
            });
    }

    /// `out[t * rows + r] = row_r · x_t` for every activation row `x_t`: the weights are
    /// read once for all rows (prefill).
    pub fn matmat(&self, xs: &[QuantizedActs], out: &mut [f32]) {
        if xs.len() == 1 {
            self.matvec(&xs[0], &mut out[..self.rows]);
            return;
        }
        const CHUNK: usize = 16;
        let nbr = self.cols / QK;
        let rows = self.rows;
        // Row-chunk-major scratch, transposed into `out` afterwards.
        let mut tmp = vec![0.0f32; rows * xs.len()];
        tmp.par_chunks_mut(CHUNK * xs.len())
            .enumerate()
            .for_each(|(ci, chunk)| {
                pulp::Arch::new().dispatch(|| {
                    let n = chunk.len() / xs.len();
                    for i in 0..n {
                        let r = ci * CHUNK + i;
                        for (t, x) in xs.iter().enumerate() {
                            chunk[i * xs.len() + t] = self.dot_row(r, nbr, x);
                        }
                    }
                })
            });
        for r in 0..rows {
            for t in 0..xs.len() {
                out[t * rows + r] = tmp[r * xs.len() + t];
            }
        }
    }

    #[inline(always)]
    fn dot_row(&self, r: usize, nbr: usize, x: &QuantizedActs) -> f32 {
        let b0 = r * nbr;
        let mut sum = 0.0f32;
        match self.kind {
            Kind::Q8_0 => {
                let qs = &self.qs[b0 * 32..(b0 + nbr) * 32];
                let ds = &self.d[b0..b0 + nbr];
                for (b, (q, &dw)) in qs.chunks_exact(32).zip(ds).enumerate() {
                    let acc = dot_q8(as32(q), as32i(&x.qs[b * 32..b * 32 + 32]));
                    sum += dw * x.d[b] * acc as f32;
                }
            }
            Kind::Q4_0 => {
                let qs = &self.qs[b0 * 16..(b0 + nbr) * 16];
                let ds = &self.d[b0..b0 + nbr];
                for (b, (q, &dw)) in qs.chunks_exact(16).zip(ds).enumerate() {
                    let xq = as32i(&x.qs[b * 32..b * 32 + 32]);
                    // Σ (q - 8)·x = Σ q·x - 8·Σ x
                    let acc = dot_q4(as16(q), xq).wrapping_sub(8 * x.isum[b]);
                    sum += dw * x.d[b] * acc as f32;
                }
            }
            Kind::Q4_1 => {
                let qs = &self.qs[b0 * 16..(b0 + nbr) * 16];
                let ds = &self.d[b0..b0 + nbr];
                let ms = &self.m[b0..b0 + nbr];
                for (b, ((q, &dw), &mw)) in qs.chunks_exact(16).zip(ds).zip(ms).enumerate() {
                    let acc = dot_q4(as16(q), as32i(&x.qs[b * 32..b * 32 + 32]));
                    sum += dw * x.d[b] * acc as f32 + mw * x.s[b];
                }
            }
        }
        sum
    }
}

/// An activation row quantized to 8-bit blocks of 32, as llama.cpp's Q8_0/Q8_1.
#[derive(Debug, Default, Clone)]
pub struct QuantizedActs {
    qs: Vec<i8>,
    /// Per block: scale (rounded through `f16`).
    d: Vec<f32>,
    /// Per block: `d · Σ q` (rounded through `f16`).
    s: Vec<f32>,
    /// Per block: `Σ q`.
    isum: Vec<i32>,
}

impl QuantizedActs {
    /// Quantizes `x` (length a multiple of 32) into `self`, reusing its buffers.
    pub fn quantize(&mut self, x: &[f32]) -> Result<(), QuantError> {
        if !x.len().is_multiple_of(QK) {
            return Err(QuantError::RowLength(x.len()));
        }
        let nb = x.len() / QK;
        self.qs.resize(x.len(), 0);
        self.d.resize(nb, 0.0);
        self.s.resize(nb, 0.0);
        self.isum.resize(nb, 0);
        for (b, xb) in x.chunks_exact(QK).enumerate() {
            let amax = xb.iter().fold(0.0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
            let mut sum = 0i32;
            for (q, &v) in self.qs[b * QK..(b + 1) * QK].iter_mut().zip(xb) {
                let r = (v * id).round_ties_even() as i32;
                sum += r;
                *q = r.clamp(-127, 127) as i8;
            }
            self.d[b] = f16::from_f32(d).to_f32();
            self.s[b] = f16::from_f32(d * sum as f32).to_f32();
            self.isum[b] = sum;
        }
        Ok(())
    }
}

/// Host-side copies of what the single-token step needs besides the matrices.
pub struct HostModel {
    attn_norm: Vec<Vec<f32>>,
    ffn_norm: Vec<Vec<f32>>,
    output_norm: Vec<f32>,
    /// Token embedding, block-quantized (rows = vocabulary).
    embed: QuantMatrix,
    /// RoPE tables `[context, head_dim / 2]`.
    cos: Vec<f32>,
    sin: Vec<f32>,
}

/// The host KV cache of one layer: `[pos][kv_head][head_dim]`, stored as `f16` like
/// llama.cpp's default cache.
#[derive(Default, Clone)]
pub(super) struct HostKv {
    pub(super) k: Vec<f32>,
    pub(super) v: Vec<f32>,
}

impl HostModel {
    /// Builds the host parts; `Ok(None)` when some matrix has no quantized kernel
    /// (`all_quant == false`) or the embedding's type is unsupported.
    pub(super) fn build(
        file: &GgufFile,
        cfg: &LlamaConfig,
        all_quant: bool,
        cos: &[f32],
        sin: &[f32],
    ) -> Result<Option<Self>, ModelError> {
        if !all_quant || !cfg.hidden.is_multiple_of(QK) || !cfg.ff.is_multiple_of(QK) {
            return Ok(None);
        }
        let view = file.tensor("token_embd.weight")?;
        let Some(embed) = QuantMatrix::from_view(&view, cfg.vocab_size, cfg.hidden)? else {
            return Ok(None);
        };
        let vec1 =
            |name: String| -> Result<Vec<f32>, ModelError> { Ok(file.tensor(&name)?.to_f32()?) };
        let mut attn_norm = Vec::with_capacity(cfg.n_layers);
        let mut ffn_norm = Vec::with_capacity(cfg.n_layers);
        for i in 0..cfg.n_layers {
            attn_norm.push(vec1(format!("blk.{i}.attn_norm.weight"))?);
            ffn_norm.push(vec1(format!("blk.{i}.ffn_norm.weight"))?);
        }
        Ok(Some(Self {
            attn_norm,
            ffn_norm,
            output_norm: vec1("output_norm.weight".into())?,
            embed,
            cos: cos.to_vec(),
            sin: sin.to_vec(),
        }))
    }

    /// Runs `tokens` at positions `cache.len()..` through the host path (all tokens
    /// batched through each weight matrix); returns the last token's logits.
    pub(super) fn forward(
        &self,
        model: &Llama,
        tokens: &[u32],
        cache: &mut KvCache,
    ) -> Result<Vec<f32>, ModelError> {
        let c = &model.config;
        cache.sync_to_host(c)?;
        let (h, hd, kvd, ff) = (c.hidden, c.head_dim, c.kv_dim(), c.ff);
        let n = tokens.len();
        let pos0 = cache.len;
        let group = c.n_heads / c.n_kv_heads;
        let half = hd / 2;

        let mut x = vec![0.0f32; n * h];
        for (t, &tok) in tokens.iter().enumerate() {
            self.embed.row_f32(tok as usize, &mut x[t * h..(t + 1) * h]);
        }
        let mut xn = vec![0.0f32; n * h];
        let mut acts = vec![QuantizedActs::default(); n];
        let mut q = vec![0.0f32; n * h];
        let mut k = vec![0.0f32; n * kvd];
        let mut v = vec![0.0f32; n * kvd];
        let mut att = vec![0.0f32; n * h];
        let mut proj = vec![0.0f32; n * h];
        let mut gate = vec![0.0f32; n * ff];
        let mut up = vec![0.0f32; n * ff];
        let mut scores = vec![0.0f32; pos0 + n];
        let mut qh = vec![0.0f32; hd];
        let scale = 1.0 / (hd as f32).sqrt();
        let quantize =
            |acts: &mut [QuantizedActs], rows: &[f32], width: usize| -> Result<(), QuantError> {
                for (a, row) in acts.iter_mut().zip(rows.chunks_exact(width)) {
                    a.quantize(row)?;
                }
                Ok(())
            };

        for (li, block) in model.blocks.iter().enumerate() {
            let (Some(wq), Some(wk), Some(wv), Some(wo), Some(wg), Some(wu), Some(wd)) = (
                &block.wq.quant,
                &block.wk.quant,
                &block.wv.quant,
                &block.wo.quant,
                &block.w_gate.quant,
                &block.w_up.quant,
                &block.w_down.quant,
            ) else {
                return Err(ModelError::BadConfig("quantized weights missing".into()));
            };
            for t in 0..n {
                rms_norm(
                    &x[t * h..(t + 1) * h],
                    &self.attn_norm[li],
                    c.rms_eps,
                    &mut xn[t * h..(t + 1) * h],
                );
            }
            quantize(&mut acts, &xn, h)?;
            wq.matmat(&acts, &mut q);
            wk.matmat(&acts, &mut k);
            wv.matmat(&acts, &mut v);
            for t in 0..n {
                let pos = pos0 + t;
                let cos = &self.cos[pos * half..(pos + 1) * half];
                let sin = &self.sin[pos * half..(pos + 1) * half];
                rope(&mut q[t * h..(t + 1) * h], hd, cos, sin);
                rope(&mut k[t * kvd..(t + 1) * kvd], hd, cos, sin);
            }
            let kv = &mut cache.host[li];
            kv.k.extend(k.iter().map(|&f| round_f16(f)));
            kv.v.extend(v.iter().map(|&f| round_f16(f)));
            for t in 0..n {
                let total = pos0 + t + 1;
                for head in 0..c.n_heads {
                    let g = head / group;
                    // Q and the softmax row stay f32 against the f16 cache: of the variants
                    // measured against llama.cpp's greedy ids (rounding Q and/or the
                    // softmax row to f16 as its non-flash path does), this one matched
                    // the most reference tokens (see tests/smollm2_greedy.rs).
                    qh.copy_from_slice(&q[t * h + head * hd..t * h + (head + 1) * hd]);
                    let mut max = f32::NEG_INFINITY;
                    for (p, sc) in scores[..total].iter_mut().enumerate() {
                        let kt = &kv.k[p * kvd + g * hd..p * kvd + (g + 1) * hd];
                        let dot: f32 = qh.iter().zip(kt).map(|(a, b)| a * b).sum();
                        *sc = dot * scale;
                        max = max.max(*sc);
                    }
                    let mut sum = 0.0f32;
                    for sc in &mut scores[..total] {
                        *sc = (*sc - max).exp();
                        sum += *sc;
                    }
                    let inv = 1.0 / sum;
                    let out = &mut att[t * h + head * hd..t * h + (head + 1) * hd];
                    out.fill(0.0);
                    for (p, &e) in scores[..total].iter().enumerate() {
                        let w = e * inv;
                        let vt = &kv.v[p * kvd + g * hd..p * kvd + (g + 1) * hd];
                        for (o, vv) in out.iter_mut().zip(vt) {
                            *o += w * vv;
                        }
                    }
                }
            }
            quantize(&mut acts, &att, h)?;
            wo.matmat(&acts, &mut proj);
            for (a, b) in x.iter_mut().zip(&proj) {
                *a += b;
            }
            for t in 0..n {
                rms_norm(
                    &x[t * h..(t + 1) * h],
                    &self.ffn_norm[li],
                    c.rms_eps,
                    &mut xn[t * h..(t + 1) * h],
                );
            }
            quantize(&mut acts, &xn, h)?;
            wg.matmat(&acts, &mut gate);
            wu.matmat(&acts, &mut up);
            for (g, u) in gate.iter_mut().zip(&up) {
                *g = *g / (1.0 + (-*g).exp()) * u;
            }
            quantize(&mut acts, &gate, ff)?;
            wd.matmat(&acts, &mut proj);
            for (a, b) in x.iter_mut().zip(&proj) {
                *a += b;
            }
        }
        cache.len += n;
        cache.host_len = cache.len;

        let last = &x[(n - 1) * h..];
        let mut xl = vec![0.0f32; h];
        rms_norm(last, &self.output_norm, c.rms_eps, &mut xl);
        acts[0].quantize(&xl)?;
        let Some(out) = &model.output.quant else {
            return Err(ModelError::BadConfig(
                "quantized output weights missing".into(),
            ));
        };
        let mut logits = vec![0.0f32; c.vocab_size];
        out.matvec(&acts[0], &mut logits);
        Ok(logits)
    }
}

/// `x` rounded to the nearest `f16` (the KV cache keeps llama.cpp's f16 precision,
/// stored widened so the attention loops need no conversion).
pub(super) fn round_f16(x: f32) -> f32 {
    f16::from_f32(x).to_f32()
}

fn as16(q: &[u8]) -> &[u8; 16] {
    q.try_into().unwrap_or(&[0; 16])
}

fn as32(q: &[u8]) -> &[u8; 32] {
    q.try_into().unwrap_or(&[0; 32])
}

fn as32i(q: &[i8]) -> &[i8; 32] {
    q.try_into().unwrap_or(&[0; 32])
}

/// `Σ q_j · x_j` over a 4-bit block (low nibbles = elements 0..16, high = 16..32).
/// Wrapping arithmetic: it cannot overflow (|sum| ≤ 32·15·127), and it keeps the loop
/// free of overflow checks so it vectorizes in every profile.
#[inline(always)]
fn dot_q4(q: &[u8; 16], x: &[i8; 32]) -> i32 {
    let mut acc = 0i32;
    for j in 0..16 {
        let lo = i32::from(q[j] & 15).wrapping_mul(i32::from(x[j]));
        let hi = i32::from(q[j] >> 4).wrapping_mul(i32::from(x[j + 16]));
        acc = acc.wrapping_add(lo).wrapping_add(hi);
    }
    acc
}

/// `Σ q_j · x_j` over an 8-bit block.
#[inline(always)]
fn dot_q8(q: &[u8; 32], x: &[i8; 32]) -> i32 {
    let mut acc = 0i32;
    for j in 0..32 {
        acc = acc.wrapping_add(i32::from(q[j] as i8).wrapping_mul(i32::from(x[j])));
    }
    acc
}

fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    // ggml sums the squares in f64.
    let ms = (x.iter().map(|&v| f64::from(v * v)).sum::<f64>() / x.len() as f64) as f32;
    let scale = 1.0 / (ms + eps).sqrt();
    for ((o, &v), &g) in out.iter_mut().zip(x).zip(w) {
        *o = v * scale * g;
    }
}

/// Adjacent-pair RoPE over every head of `x` (heads of width `hd`).
fn rope(x: &mut [f32], hd: usize, cos: &[f32], sin: &[f32]) {
    for head in x.chunks_exact_mut(hd) {
        for (i, pair) in head.chunks_exact_mut(2).enumerate() {
            let (x0, x1) = (pair[0], pair[1]);
            pair[0] = x0 * cos[i] - x1 * sin[i];
            pair[1] = x0 * sin[i] + x1 * cos[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_dot(m: &QuantMatrix, r: usize, x: &[f32]) -> f32 {
        let mut row = vec![0.0; m.cols];
        m.row_f32(r, &mut row);
        row.iter().zip(x).map(|(a, b)| a * b).sum()
    }

    fn blocks(kind: Kind, rows: usize, cols: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut s = 12345u32;
        let mut next = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as u8
        };
        for _ in 0..rows * cols / QK {
            out.extend_from_slice(&f16::from_f32(0.01 + f32::from(next()) / 5000.0).to_le_bytes());
            let n = match kind {
                Kind::Q4_1 => {
                    out.extend_from_slice(&f16::from_f32(-0.05).to_le_bytes());
                    16
                }
                Kind::Q4_0 => 16,
                Kind::Q8_0 => 32,
            };
            for _ in 0..n {
                out.push(next());
            }
        }
        out
    }

    #[test]
    fn matvec_matches_dequantized_dot_for_every_kind() {
        let (rows, cols) = (37, 96);
        let x: Vec<f32> = (0..cols)
            .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1)
            .collect();
        let mut acts = QuantizedActs::default();
        acts.quantize(&x).unwrap();
        for kind in [Kind::Q4_0, Kind::Q4_1, Kind::Q8_0] {
            let m =
                QuantMatrix::from_blocks(kind, "w", &blocks(kind, rows, cols), rows, cols).unwrap();
            let mut out = vec![0.0; rows];
            m.matvec(&acts, &mut out);
            for (r, &o) in out.iter().enumerate() {
                let want = reference_dot(&m, r, &x);
                // Bound of the activation quantization error: Σ|w| · (max|x| / 127),
                // doubled for the f16 rounding of the block scales.
                let mut row = vec![0.0; cols];
                m.row_f32(r, &mut row);
                let amax = x.iter().fold(0.0f32, |a, v| a.max(v.abs()));
                let tol = 2.0 * row.iter().map(|w| w.abs()).sum::<f32>() * amax / 127.0 + 1e-4;
                assert!((o - want).abs() < tol, "{kind:?} row {r}: {o} vs {want}");
            }
        }
    }

    #[test]
    fn wrong_byte_length_is_an_error() {
        let data = blocks(Kind::Q8_0, 2, 32);
        assert!(matches!(
            QuantMatrix::from_blocks(Kind::Q8_0, "w", &data[..data.len() - 1], 2, 32),
            Err(QuantError::ByteLength { .. })
        ));
        assert!(matches!(
            QuantMatrix::from_blocks(Kind::Q8_0, "w", &data, 2, 30),
            Err(QuantError::RowLength(30))
        ));
    }

    #[test]
    fn activation_quantization_round_trips_within_half_step() {
        let x: Vec<f32> = (0..64).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut a = QuantizedActs::default();
        a.quantize(&x).unwrap();
        for (i, &v) in x.iter().enumerate() {
            let d = a.d[i / QK];
            let back = f32::from(a.qs[i]) * d;
            assert!((back - v).abs() <= d * 0.51 + 1e-3, "{i}: {back} vs {v}");
        }
        assert!(a.quantize(&x[..31]).is_err());
    }
}
