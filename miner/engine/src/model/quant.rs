//! The CPU path: block-quantized matrix kernels and a host-side forward pass.
//!
//! Why: a decode step multiplies every weight once by one vector, so it is bound by
//! how many bytes of weights stream through the core. Dequantized `f32` (or `f16`)
//! weights are 6.4× (3.2×) the bytes of the file's Q4_1 blocks, which caps burn-flex's
//! matrix-vector product far below llama.cpp on this model. This module keeps the
//! file's own blocks (Q4_0, Q4_1, Q8_0; scales pre-widened to `f32` at load, rows
//! interleaved in groups of four, see [`QuantMatrix`]) and computes each dot product
//! the way llama.cpp's CPU backend does: the activation row is quantized to 8-bit
//! blocks of 32 (`d = max|x| / 127`, rounded to nearest-even, `d` and the block sum
//! carried as `f16`-rounded values), products are summed in `i32` per block and scaled
//! by `d_w · d_x` (plus `m_w · s_x` for Q4_1). The tied output projection stays in the
//! file's Q8_0, as in llama.cpp; no `f32` copy of any matrix is kept (burn tensors are
//! dequantized from these blocks only when the tensor path is used).
//!
//! Kernels: on x86-64 the products run in [`simd`] (AVX-512 VNNI where present, else
//! AVX2; chosen at run time, bit-identical to each other); elsewhere in a portable
//! loop. Rows are split across rayon's pool, so `--threads` (the pool size) bounds the
//! compute threads, and a whole forward runs on a pool worker (see
//! [`HostModel::forward`]).
//!
//! On the CPU with quantized weights, every forward (prefill batched through each
//! matrix, and decode) runs here, so prompt and continuation see the same numerics, as
//! in llama.cpp. The rest of the step (RMSNorm with an `f64` sum, RoPE, attention over
//! an `f16`-precision KV cache like llama.cpp's, SwiGLU) runs on plain `f32` slices: at
//! these sizes burn's per-operation dispatch costs more than the math. burn's tensor
//! path ([`super::Llama::forward_all`], and every forward on GPU backends or for
//! unquantized files) is the reference the tests compare this path against.
//!
//! Where the time went (SmolLM2-135M Q4_1, one thread, `perf record`), and what changed:
//! - 81% in the dot-product loops, which did not vectorize (scalar nibble unpacking and
//!   per-block scaling): now explicit AVX2 / AVX-512 VNNI kernels over 4-row groups
//!   (one weight stream per group instead of twelve, four independent accumulators).
//! - ~3% cross-thread wake-ups: every one of the ~210 matrix products of a token was
//!   started from outside rayon's pool; the forward now runs inside it.
//! - 11% activation quantization (`rintf` calls) and ~5% attention (a single-chain
//!   `f32` dot): both now AVX2, bit-identical to the portable loops kept beside them.
//! - RSS: `f32` copies of every weight were kept for the burn path (782 MiB); now
//!   built lazily, only when that path runs.
//!
//! Figures and the command that measures them: `miner/engine/README.md`.

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

#[cfg(target_arch = "x86_64")]
mod simd;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Q4_0,
    Q4_1,
    Q8_0,
}

/// Rows interleaved per block (see [`QuantMatrix`]).
const GROUP: usize = 4;

/// A `[rows, cols]` weight matrix kept in 32-element blocks.
///
/// Layout: rows are taken in groups of [`GROUP`] (the last group padded with zero
/// blocks), and within a group the blocks of its rows are interleaved: block `b` of
/// rows `4g..4g+4` sits at slot `(g · blocks_per_row + b) · 4 + lane`. A kernel that
/// computes four rows at once then streams three contiguous arrays instead of twelve.
pub struct QuantMatrix {
    kind: Kind,
    rows: usize,
    cols: usize,
    /// Per slot: scale.
    d: Vec<f32>,
    /// Per slot (Q4_1 only): minimum.
    m: Vec<f32>,
    /// Packed quants: 16 bytes per slot (4-bit: low nibble = element j, high nibble =
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

/// Slot of block `b` of row `r` in a [`QuantMatrix`] with `nbr` blocks per row.
#[inline(always)]
fn slot(nbr: usize, r: usize, b: usize) -> usize {
    ((r / GROUP) * nbr + b) * GROUP + r % GROUP
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
        let nbr = cols / QK;
        let slots = rows.div_ceil(GROUP) * GROUP * nbr;
        let mut d = vec![0.0f32; slots];
        let mut m = vec![0.0f32; if kind == Kind::Q4_1 { slots } else { 0 }];
        let mut qs = vec![0u8; slots * qbytes];
        for (i, blk) in data.chunks_exact(block_bytes).enumerate() {
            let at = slot(nbr, i / nbr, i % nbr);
            d[at] = f16_at(blk, 0);
            let start = if kind == Kind::Q4_1 {
                m[at] = f16_at(blk, 2);
                4
            } else {
                2
            };
            qs[at * qbytes..(at + 1) * qbytes].copy_from_slice(&blk[start..start + qbytes]);
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
            let bi = slot(nbr, r, b);
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

    /// The whole matrix dequantized, row-major `[rows, cols]`.
    pub fn to_f32(&self) -> Vec<f32> {
        let mut out = vec![0.0f32; self.rows * self.cols];
        for (r, row) in out.chunks_exact_mut(self.cols).enumerate() {
            self.row_f32(r, row);
        }
        out
    }

    /// `out[r] = row_r · x` for every row, with `x` quantized as [`QuantizedActs`].
    pub fn matvec(&self, x: &QuantizedActs, out: &mut [f32]) {
        const CHUNK: usize = 64;
        out[..self.rows]
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(ci, chunk)| {
                self.rows_by_acts(ci * CHUNK, chunk.len(), std::slice::from_ref(x), chunk)
            });
    }

    /// `out[t * rows + r] = row_r · x_t` for every activation row `x_t`: each block of
    /// rows is read once for all activation rows (prefill).
    pub fn matmat(&self, xs: &[QuantizedActs], out: &mut [f32]) {
        if xs.len() == 1 {
            self.matvec(&xs[0], &mut out[..self.rows]);
            return;
        }
        const CHUNK: usize = 16;
        let (rows, n) = (self.rows, xs.len());
        // Row-chunk-major scratch, transposed into `out` afterwards.
        let mut tmp = vec![0.0f32; rows * n];
        tmp.par_chunks_mut(CHUNK * n)
            .enumerate()
            .for_each(|(ci, chunk)| self.rows_by_acts(ci * CHUNK, chunk.len() / n, xs, chunk));
        for (t, dst) in out.chunks_exact_mut(rows).take(n).enumerate() {
            for (r, o) in dst.iter_mut().enumerate() {
                *o = tmp[r * n + t];
            }
        }
    }

    /// `out[i * xs.len() + t] = row_{r0 + i} · xs[t]` for `i < nrows`: the AVX2 kernels
    /// where the CPU has them, else the portable loop.
    fn rows_by_acts(&self, r0: usize, nrows: usize, xs: &[QuantizedActs], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if simd::rows_by_acts(self, r0, nrows, xs, out) {
            return;
        }
        self.rows_by_acts_portable(r0, nrows, xs, out);
    }

    /// The portable (scalar) version of [`Self::rows_by_acts`].
    fn rows_by_acts_portable(
        &self,
        r0: usize,
        nrows: usize,
        xs: &[QuantizedActs],
        out: &mut [f32],
    ) {
        let nbr = self.cols / QK;
        let n = xs.len();
        pulp::Arch::new().dispatch(|| {
            for i in 0..nrows {
                for (t, x) in xs.iter().enumerate() {
                    out[i * n + t] = self.dot_row(r0 + i, nbr, x);
                }
            }
        });
    }

    #[inline(always)]
    fn dot_row(&self, r: usize, nbr: usize, x: &QuantizedActs) -> f32 {
        let mut sum = 0.0f32;
        for b in 0..nbr {
            let at = slot(nbr, r, b);
            let dw = self.d[at];
            let xq = as32i(&x.qs[b * 32..b * 32 + 32]);
            match self.kind {
                Kind::Q8_0 => {
                    let acc = dot_q8(as32(&self.qs[at * 32..at * 32 + 32]), xq);
                    sum += dw * x.d[b] * acc as f32;
                }
                Kind::Q4_0 => {
                    // Σ (q - 8)·x = Σ q·x - 8·Σ x
                    let acc = dot_q4(as16(&self.qs[at * 16..at * 16 + 16]), xq)
                        .wrapping_sub(8 * x.isum[b]);
                    sum += dw * x.d[b] * acc as f32;
                }
                Kind::Q4_1 => {
                    let acc = dot_q4(as16(&self.qs[at * 16..at * 16 + 16]), xq);
                    sum += dw * x.d[b] * acc as f32 + self.m[at] * x.s[b];
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
        #[cfg(target_arch = "x86_64")]
        if simd::quantize(x, self) {
            return Ok(());
        }
        self.quantize_portable(x);
        Ok(())
    }

    /// The portable loop of [`Self::quantize`] (buffers already sized).
    fn quantize_portable(&mut self, x: &[f32]) {
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
    }
}

/// One transformer block's weights on the quantized path.
pub(super) struct HostBlock {
    pub(super) attn_norm: Vec<f32>,
    pub(super) wq: QuantMatrix,
    pub(super) wk: QuantMatrix,
    pub(super) wv: QuantMatrix,
    pub(super) wo: QuantMatrix,
    pub(super) ffn_norm: Vec<f32>,
    pub(super) w_gate: QuantMatrix,
    pub(super) w_up: QuantMatrix,
    pub(super) w_down: QuantMatrix,
}

/// Everything the quantized CPU forward needs: the file's blocks (never an `f32` copy
/// of a matrix), the norms and the RoPE tables.
pub struct HostModel {
    blocks: Vec<HostBlock>,
    output_norm: Vec<f32>,
    /// Token embedding, block-quantized (rows = vocabulary); also the output projection
    /// when the file ties them (llama.cpp likewise multiplies by the file's blocks).
    embed: QuantMatrix,
    /// The output projection when the file has its own `output.weight`.
    output: Option<QuantMatrix>,
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
    /// Builds the quantized model; `Ok(None)` when some matrix (or the embedding) has
    /// a type without a kernel here, or a width is not a whole number of blocks.
    pub(super) fn build(
        file: &GgufFile,
        cfg: &LlamaConfig,
        cos: &[f32],
        sin: &[f32],
    ) -> Result<Option<Self>, ModelError> {
        if !cfg.hidden.is_multiple_of(QK) || !cfg.ff.is_multiple_of(QK) {
            return Ok(None);
        }
        let (h, kv, ff) = (cfg.hidden, cfg.kv_dim(), cfg.ff);
        let mut mats: Vec<(String, usize, usize)> = vec![("token_embd".into(), cfg.vocab_size, h)];
        if !cfg.tied_embeddings {
            mats.push(("output".into(), cfg.vocab_size, h));
        }
        for i in 0..cfg.n_layers {
            for (name, out, inp) in [
                ("attn_q", h, h),
                ("attn_k", kv, h),
                ("attn_v", kv, h),
                ("attn_output", h, h),
                ("ffn_gate", ff, h),
                ("ffn_up", ff, h),
                ("ffn_down", h, ff),
            ] {
                mats.push((format!("blk.{i}.{name}"), out, inp));
            }
        }
        // Check every type first: nothing is built for a file this path cannot run.
        for (name, _, _) in &mats {
            if !supported(file.tensor(&format!("{name}.weight"))?.info.ggml_type) {
                return Ok(None);
            }
        }
        let mat = |name: &str, out: usize, inp: usize| -> Result<QuantMatrix, ModelError> {
            let name = format!("{name}.weight");
            let view = file.tensor(&name)?;
            if view.info.dims != [inp as u64, out as u64] {
                return Err(ModelError::BadShape {
                    name,
                    found: view.info.dims.clone(),
                    expected: vec![inp as u64, out as u64],
                });
            }
            let m = QuantMatrix::from_view(&view, out, inp)?
                .ok_or_else(|| ModelError::BadConfig(format!("{name}: no quantized kernel")))?;
            // Copied: the file's pages can leave the resident set.
            file.release(view.data);
            Ok(m)
        };
        let vec1 = |name: String, n: usize| -> Result<Vec<f32>, ModelError> {
            let view = file.tensor(&name)?;
            if view.info.dims != [n as u64] {
                return Err(ModelError::BadShape {
                    name,
                    found: view.info.dims.clone(),
                    expected: vec![n as u64],
                });
            }
            Ok(view.to_f32()?)
        };
        let mut blocks = Vec::with_capacity(cfg.n_layers);
        for i in 0..cfg.n_layers {
            let n = |s: &str| format!("blk.{i}.{s}");
            blocks.push(HostBlock {
                attn_norm: vec1(n("attn_norm.weight"), h)?,
                wq: mat(&n("attn_q"), h, h)?,
                wk: mat(&n("attn_k"), kv, h)?,
                wv: mat(&n("attn_v"), kv, h)?,
                wo: mat(&n("attn_output"), h, h)?,
                ffn_norm: vec1(n("ffn_norm.weight"), h)?,
                w_gate: mat(&n("ffn_gate"), ff, h)?,
                w_up: mat(&n("ffn_up"), ff, h)?,
                w_down: mat(&n("ffn_down"), h, ff)?,
            });
        }
        let output = if cfg.tied_embeddings {
            None
        } else {
            Some(mat("output", cfg.vocab_size, h)?)
        };
        Ok(Some(Self {
            blocks,
            output_norm: vec1("output_norm.weight".into(), h)?,
            embed: mat("token_embd", cfg.vocab_size, h)?,
            output,
            cos: cos.to_vec(),
            sin: sin.to_vec(),
        }))
    }

    /// The blocks.
    pub(super) fn blocks(&self) -> &[HostBlock] {
        &self.blocks
    }

    /// The token embedding.
    pub(super) fn embed(&self) -> &QuantMatrix {
        &self.embed
    }

    /// The output projection when it is not the embedding.
    pub(super) fn untied_output(&self) -> Option<&QuantMatrix> {
        self.output.as_ref()
    }

    /// The final norm's weights.
    pub(super) fn output_norm(&self) -> &[f32] {
        &self.output_norm
    }

    /// The RoPE tables `(cos, sin)`, `[context, head_dim / 2]` each.
    pub(super) fn rope_tables(&self) -> (&[f32], &[f32]) {
        (&self.cos, &self.sin)
    }

    /// Runs `tokens` at positions `cache.len()..` through the host path (all tokens
    /// batched through each weight matrix); returns the last token's logits.
    ///
    /// The step runs on a worker of rayon's pool, so each matrix's parallel loop starts
    /// from inside the pool: started from outside, every one of the ~200 matrix
    /// products of a token would wake a worker and put this thread to sleep.
    pub(super) fn forward(
        &self,
        model: &Llama,
        tokens: &[u32],
        cache: &mut KvCache,
    ) -> Result<Vec<f32>, ModelError> {
        if rayon::current_thread_index().is_some() {
            return self.forward_in_pool(model, tokens, cache);
        }
        rayon::scope(|_| self.forward_in_pool(model, tokens, cache))
    }

    fn forward_in_pool(
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
        if hd > MAX_HEAD_DIM {
            return Err(ModelError::BadConfig(format!(
                "head width {hd} is above the CPU path's limit of {MAX_HEAD_DIM}"
            )));
        }
        let scale = 1.0 / (hd as f32).sqrt();
        let quantize =
            |acts: &mut [QuantizedActs], rows: &[f32], width: usize| -> Result<(), QuantError> {
                for (a, row) in acts.iter_mut().zip(rows.chunks_exact(width)) {
                    a.quantize(row)?;
                }
                Ok(())
            };

        for (li, block) in self.blocks.iter().enumerate() {
            let (wq, wk, wv, wo) = (&block.wq, &block.wk, &block.wv, &block.wo);
            let (wg, wu, wd) = (&block.w_gate, &block.w_up, &block.w_down);
            for t in 0..n {
                rms_norm(
                    &x[t * h..(t + 1) * h],
                    &block.attn_norm,
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
            // One task per (token, head): each writes its own `head_dim` slice of `att`.
            let kv = &cache.host[li];
            att.par_chunks_mut(hd).enumerate().for_each_init(
                || vec![0.0f32; pos0 + n],
                |scores, (idx, out)| {
                    let (t, head) = (idx / c.n_heads, idx % c.n_heads);
                    let g = head / group;
                    // Q is rounded to f16 (as llama.cpp does before its f16 K·Q
                    // product), the softmax row stays f32. Of the four variants
                    // measured against llama.cpp's greedy ids with these kernels (Q
                    // and/or the softmax row rounded to f16), this one matched the
                    // most reference tokens (see tests/smollm2_greedy.rs); with f16 Q
                    // every product is exact in f32, so the sum barely depends on
                    // its order.
                    let mut qh = [0.0f32; MAX_HEAD_DIM];
                    let qh = &mut qh[..hd];
                    for (dst, &src) in qh.iter_mut().zip(out_q(&q, t, h, head, hd)) {
                        *dst = round_f16(src);
                    }
                    let job = Attend {
                        q: qh,
                        k: &kv.k,
                        v: &kv.v,
                        kvd,
                        off: g * hd,
                        total: pos0 + t + 1,
                        scale,
                    };
                    job.run(&mut scores[..pos0 + t + 1], out);
                },
            );
            quantize(&mut acts, &att, h)?;
            wo.matmat(&acts, &mut proj);
            for (a, b) in x.iter_mut().zip(&proj) {
                *a += b;
            }
            for t in 0..n {
                rms_norm(
                    &x[t * h..(t + 1) * h],
                    &block.ffn_norm,
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
        let out = self.output.as_ref().unwrap_or(&self.embed);
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

/// Widest head the CPU path handles (its per-task query buffer lives on the stack).
const MAX_HEAD_DIM: usize = 512;

/// Query row `head` of token `t`.
fn out_q(q: &[f32], t: usize, h: usize, head: usize, hd: usize) -> &[f32] {
    &q[t * h + head * hd..t * h + (head + 1) * hd]
}

/// Attention of one query head over the cached positions `0..total`.
struct Attend<'a> {
    /// The query (already rounded to `f16` precision), `head_dim` values.
    q: &'a [f32],
    /// Cached keys / values, `[pos][kvd]`.
    k: &'a [f32],
    v: &'a [f32],
    kvd: usize,
    /// Offset of this head's KV group in a cached row.
    off: usize,
    total: usize,
    scale: f32,
}

impl Attend<'_> {
    /// Writes `softmax(q · Kᵀ · scale) · V` into `out`; `scores` is scratch (`total`).
    /// The AVX2 version gives the same bits (same lanes, same order, no FMA).
    fn run(&self, scores: &mut [f32], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if simd::attend(self, scores, out) {
            return;
        }
        self.run_portable(scores, out);
    }

    fn run_portable(&self, scores: &mut [f32], out: &mut [f32]) {
        let hd = self.q.len();
        let mut max = f32::NEG_INFINITY;
        for (p, sc) in scores[..self.total].iter_mut().enumerate() {
            let at = p * self.kvd + self.off;
            *sc = dot(self.q, &self.k[at..at + hd]) * self.scale;
            max = max.max(*sc);
        }
        let inv = 1.0 / softmax_numerators(&mut scores[..self.total], max);
        out.fill(0.0);
        for (p, &e) in scores[..self.total].iter().enumerate() {
            let w = e * inv;
            let at = p * self.kvd + self.off;
            for (o, vv) in out.iter_mut().zip(&self.v[at..at + hd]) {
                *o += w * vv;
            }
        }
    }
}

/// Replaces each score by `exp(score - max)`; returns their sum.
fn softmax_numerators(scores: &mut [f32], max: f32) -> f32 {
    let mut sum = 0.0f32;
    for sc in scores {
        *sc = (*sc - max).exp();
        sum += *sc;
    }
    sum
}

/// `Σ a_j · b_j` with eight independent partial sums (so the loop vectorizes; a single
/// running sum is one long dependency chain). [`simd`]'s version reduces the lanes in
/// this same order and gives the same bits. (The order is not arbitrary: greedy
/// decoding of SmolLM2 meets near-ties where even this changes a token; this order is
/// the one measured to match llama.cpp on the prompt.)
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (ac, at) = a.as_chunks::<8>();
    let (bc, bt) = b.as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for (x, y) in ac.iter().zip(bc) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    let tail: f32 = at.iter().zip(bt).map(|(x, y)| x * y).sum();
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
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
mod tests_support {
    use super::*;

    /// Generated blocks of `kind` for a `rows × cols` matrix (fixed pseudo-random).
    pub(super) fn blocks(kind: Kind, rows: usize, cols: usize) -> Vec<u8> {
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

    /// A generated matrix.
    pub(super) fn matrix(kind: Kind, rows: usize, cols: usize) -> QuantMatrix {
        QuantMatrix::from_blocks(kind, "w", &blocks(kind, rows, cols), rows, cols).unwrap()
    }

    /// `n` generated activation rows of `cols` values.
    pub(super) fn acts_rows(n: usize, cols: usize) -> Vec<QuantizedActs> {
        (0..n)
            .map(|t| {
                let x: Vec<f32> = (0..cols)
                    .map(|i| (((i * 31 + t * 17) % 23) as f32 - 11.0) * 0.07)
                    .collect();
                let mut a = QuantizedActs::default();
                a.quantize(&x).unwrap();
                a
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::{acts_rows, blocks};
    use super::*;

    fn reference_dot(m: &QuantMatrix, r: usize, x: &[f32]) -> f32 {
        let mut row = vec![0.0; m.cols];
        m.row_f32(r, &mut row);
        row.iter().zip(x).map(|(a, b)| a * b).sum()
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
    fn batched_products_equal_single_products_bit_for_bit() {
        // Prefill (tiles of several activation rows) and decode (one row) must give the
        // same numbers, whatever the tile a (row, token) pair falls in.
        let (rows, cols) = (37, 96);
        for kind in [Kind::Q4_0, Kind::Q4_1, Kind::Q8_0] {
            let m =
                QuantMatrix::from_blocks(kind, "w", &blocks(kind, rows, cols), rows, cols).unwrap();
            for n in [2, 5, 9] {
                let xs = acts_rows(n, cols);
                let mut batched = vec![0.0; rows * n];
                m.matmat(&xs, &mut batched);
                for (t, x) in xs.iter().enumerate() {
                    let mut single = vec![0.0; rows];
                    m.matvec(x, &mut single);
                    assert_eq!(
                        &batched[t * rows..(t + 1) * rows],
                        &single[..],
                        "{kind:?} n={n} t={t}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_kernels_match_the_portable_loop() {
        let (rows, cols) = (13, 160);
        for kind in [Kind::Q4_0, Kind::Q4_1, Kind::Q8_0] {
            let m =
                QuantMatrix::from_blocks(kind, "w", &blocks(kind, rows, cols), rows, cols).unwrap();
            let xs = acts_rows(6, cols);
            let mut fast = vec![0.0; rows * xs.len()];
            m.rows_by_acts(0, rows, &xs, &mut fast);
            let mut portable = vec![0.0; rows * xs.len()];
            m.rows_by_acts_portable(0, rows, &xs, &mut portable);
            for (i, (a, b)) in fast.iter().zip(&portable).enumerate() {
                // Same integer block sums; only the order of the f32 additions differs.
                assert!(
                    (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                    "{kind:?} {i}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn to_f32_is_every_row_dequantized() {
        let m =
            QuantMatrix::from_blocks(Kind::Q4_1, "w", &blocks(Kind::Q4_1, 3, 64), 3, 64).unwrap();
        let all = m.to_f32();
        let mut row = vec![0.0; 64];
        m.row_f32(2, &mut row);
        assert_eq!(&all[128..], &row[..]);
    }

    #[test]
    fn fast_activation_quantization_equals_the_portable_loop() {
        let x: Vec<f32> = (0..256)
            .map(|i| ((i as f32 * 0.913).sin() * 3.0) + if i % 64 == 0 { 0.0 } else { 0.01 })
            .chain(std::iter::repeat_n(0.0, 32))
            .collect();
        let mut fast = QuantizedActs::default();
        fast.quantize(&x).unwrap();
        let mut portable = fast.clone();
        portable.quantize_portable(&x);
        assert_eq!(fast.qs, portable.qs);
        assert_eq!(fast.d, portable.d);
        assert_eq!(fast.s, portable.s);
        assert_eq!(fast.isum, portable.isum);
        assert!(fast.d[8] == 0.0 && fast.qs[256..].iter().all(|&q| q == 0));
    }

    #[test]
    fn fast_attention_gives_the_portable_bits() {
        for (hd, total) in [(64, 37), (64, 3), (32, 9), (128, 6), (24, 5)] {
            check_attention(hd, 2 * hd, total);
        }
    }

    fn check_attention(hd: usize, kvd: usize, total: usize) {
        let val = |i: usize, f: f32| round_f16(((i as f32) * f).sin());
        let q: Vec<f32> = (0..hd).map(|i| val(i, 0.37)).collect();
        let k: Vec<f32> = (0..total * kvd).map(|i| val(i, 0.11)).collect();
        let v: Vec<f32> = (0..total * kvd).map(|i| val(i, 0.23)).collect();
        let job = Attend {
            q: &q,
            k: &k,
            v: &v,
            kvd,
            off: hd,
            total,
            scale: 0.125,
        };
        let (mut s1, mut s2) = (vec![0.0; total], vec![0.0; total]);
        let (mut fast, mut portable) = (vec![0.0; hd], vec![0.0; hd]);
        job.run(&mut s1, &mut fast);
        job.run_portable(&mut s2, &mut portable);
        assert_eq!(fast, portable);
        // A convex combination of the value rows: within their range.
        assert!(fast.iter().all(|o| o.abs() <= 1.0));
    }

    #[test]
    fn dot_matches_a_plain_sum() {
        let a: Vec<f32> = (0..67).map(|i| (i as f32 * 0.3).cos()).collect();
        let b: Vec<f32> = (0..67).map(|i| (i as f32 * 0.7).sin()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
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
