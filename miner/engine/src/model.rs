//! The Llama-architecture decoder on burn: configuration from GGUF metadata, weights,
//! KV cache and the forward pass.
//!
//! This module owns the transformer math. The layout follows llama.cpp's `llama`
//! architecture exactly, because GGUF files are written for it:
//! - token embedding (`token_embd.weight`), then per block: RMSNorm
//!   (`llama.attention.layer_norm_rms_epsilon`) → Q/K/V projections → RoPE → causal
//!   grouped-query attention over the KV cache → output projection → residual; RMSNorm →
//!   SwiGLU feed-forward (`silu(gate) * up → down`) → residual;
//! - final RMSNorm and the output projection (`output.weight`, or the token embedding
//!   when the file ties them).
//! - RoPE rotates **adjacent pairs** `(x[2i], x[2i+1])` of each head (llama.cpp's
//!   "normal" mode): the GGUF converter permutes the Q/K rows of Hugging Face weights so
//!   that this is the right layout. Angles are computed in `f32` the way llama.cpp does
//!   (`theta_i = pos · base^(-2i/d)`, iterated by multiplication).
//!
//! On the CPU ([`Backend::Cpu`], burn-flex), when the file's matrices are
//! Q4_0/Q4_1/Q8_0, [`Llama::forward`] runs through [`quant`]'s block-quantized kernels
//! and the model holds only the file's blocks; burn tensors (`f32`) are dequantized
//! from them the first time the tensor path runs ([`Llama::forward_all`], tests). On
//! GPU backends ([`Backend::Wgpu`], [`Backend::Cuda`], behind the `wgpu` / `cuda`
//! features) and for other weight types, the weights are dequantized into burn tensors
//! at load and every forward runs through burn. The KV cache holds both
//! representations and syncs them lazily, so the two paths can be mixed.

pub mod quant;

use std::path::Path;
use std::sync::OnceLock;

use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Device, Int, Tensor, TensorData, activation::silu, s};

use crate::gguf::{GgmlType, GgufError, GgufFile};
use quant::{QuantError, QuantMatrix};

/// Errors from building or running the model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The GGUF file could not be read or lacks a tensor or key the model needs.
    #[error("model file: {0}")]
    Gguf(#[from] GgufError),
    /// The file describes an architecture this engine does not run.
    #[error(
        "unsupported architecture `{0}`: this engine runs Llama-family models (general.architecture = llama)"
    )]
    UnsupportedArchitecture(String),
    /// Hyper-parameters in the metadata are inconsistent with each other.
    #[error("inconsistent model metadata: {0}")]
    BadConfig(String),
    /// A weight tensor does not have the shape the metadata implies.
    #[error("tensor `{name}` has dims {found:?}, expected {expected:?}")]
    BadShape {
        /// Tensor name.
        name: String,
        /// Dims found in the file (GGUF order, contiguous dim first).
        found: Vec<u64>,
        /// Dims implied by the metadata.
        expected: Vec<u64>,
    },
    /// The sequence would exceed the model's context length.
    #[error("context full: {needed} tokens needed, the model's context is {limit}")]
    ContextFull {
        /// Tokens the cache would hold after this step.
        needed: usize,
        /// The model's context length.
        limit: usize,
    },
    /// A token id is outside the vocabulary.
    #[error("token id {id} is outside the vocabulary (size {vocab})")]
    TokenOutOfRange {
        /// The offending id.
        id: u32,
        /// Vocabulary size.
        vocab: usize,
    },
    /// An empty token slice was passed to the forward pass.
    #[error("no tokens to process")]
    EmptyInput,
    /// Reading a result back from the backend failed.
    #[error("backend: {0}")]
    Backend(String),
    /// A quantized kernel rejected its input.
    #[error("quantized kernel: {0}")]
    Quant(#[from] QuantError),
    /// The requested backend was not compiled into this binary.
    #[error(
        "backend `{backend}` is not in this build: rebuild with `--features {feature}` (e.g. `cargo build -p infernet-miner --features {feature}`)"
    )]
    BackendNotBuilt {
        /// The backend asked for.
        backend: &'static str,
        /// The cargo feature that provides it.
        feature: &'static str,
    },
    /// The backend name is not one of `cpu`, `wgpu`, `cuda`.
    #[error("unknown backend `{0}`: expected cpu, wgpu or cuda")]
    UnknownBackend(String),
}

/// The compute backend a model runs on (`infernet-miner infer --backend`).
///
/// The default build has only [`Backend::Cpu`]; the `wgpu` and `cuda` cargo features
/// (of this crate and of `infernet-miner`) add the GPU backends. On the CPU, files
/// with Q4_0/Q4_1/Q8_0 matrices run through the quantized kernels of [`quant`]; on a
/// GPU every forward runs through burn's tensor path with dequantized `f32` weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// burn-flex on the CPU (feature `flex`, on by default).
    #[default]
    Cpu,
    /// The first GPU wgpu finds (Vulkan, Metal or DX12; feature `wgpu`).
    Wgpu,
    /// CUDA device 0 (feature `cuda`; building it downloads LLVM from GitHub, see
    /// `Cargo.toml`).
    Cuda,
}

impl Backend {
    /// The backends compiled into this build.
    pub fn available() -> Vec<Self> {
        [Self::Cpu, Self::Wgpu, Self::Cuda]
            .into_iter()
            .filter(|b| b.device().is_ok())
            .collect()
    }

    /// Lowercase name (`cpu`, `wgpu`, `cuda`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }

    /// The burn device of this backend, or [`ModelError::BackendNotBuilt`]. Creating
    /// the device does not touch the hardware; the first tensor does.
    pub fn device(self) -> Result<Device, ModelError> {
        match self {
            Self::Cpu => cpu_device(),
            Self::Wgpu => wgpu_device(),
            Self::Cuda => cuda_device(),
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" | "flex" => Ok(Self::Cpu),
            "wgpu" | "gpu" => Ok(Self::Wgpu),
            "cuda" => Ok(Self::Cuda),
            _ => Err(ModelError::UnknownBackend(s.to_owned())),
        }
    }
}

#[cfg(feature = "flex")]
fn cpu_device() -> Result<Device, ModelError> {
    Ok(Device::flex())
}

#[cfg(not(feature = "flex"))]
fn cpu_device() -> Result<Device, ModelError> {
    Err(ModelError::BackendNotBuilt {
        backend: "cpu",
        feature: "flex",
    })
}

#[cfg(feature = "wgpu")]
fn wgpu_device() -> Result<Device, ModelError> {
    Ok(Device::wgpu(Default::default()))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> Result<Device, ModelError> {
    Err(ModelError::BackendNotBuilt {
        backend: "wgpu",
        feature: "wgpu",
    })
}

#[cfg(feature = "cuda")]
fn cuda_device() -> Result<Device, ModelError> {
    Ok(Device::cuda(0))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<Device, ModelError> {
    Err(ModelError::BackendNotBuilt {
        backend: "cuda",
        feature: "cuda",
    })
}

/// Hyper-parameters of a Llama-family decoder, read from `llama.*` metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Vocabulary size (rows of the embedding).
    pub vocab_size: usize,
    /// Model width (`llama.embedding_length`).
    pub hidden: usize,
    /// Number of transformer blocks (`llama.block_count`).
    pub n_layers: usize,
    /// Query heads (`llama.attention.head_count`).
    pub n_heads: usize,
    /// Key/value heads (`llama.attention.head_count_kv`; grouped-query attention when fewer).
    pub n_kv_heads: usize,
    /// Width of one head (`hidden / n_heads`).
    pub head_dim: usize,
    /// Feed-forward width (`llama.feed_forward_length`).
    pub ff: usize,
    /// Context length the model was trained for (`llama.context_length`).
    pub context_length: usize,
    /// RoPE base frequency (`llama.rope.freq_base`, 10000 when absent).
    pub rope_base: f32,
    /// RMSNorm epsilon (`llama.attention.layer_norm_rms_epsilon`).
    pub rms_eps: f32,
    /// Whether the output projection reuses the token embedding.
    pub tied_embeddings: bool,
}

impl LlamaConfig {
    /// Reads and checks the configuration of a `llama` GGUF file.
    pub fn from_gguf(file: &GgufFile) -> Result<Self, ModelError> {
        let md = file.metadata();
        let arch = md.str("general.architecture")?;
        if arch != "llama" {
            return Err(ModelError::UnsupportedArchitecture(arch.to_owned()));
        }
        let u = |k: &str| -> Result<usize, ModelError> { Ok(md.u32(k)? as usize) };
        let hidden = u("llama.embedding_length")?;
        let n_heads = u("llama.attention.head_count")?;
        let n_kv_heads = if md.get("llama.attention.head_count_kv").is_some() {
            u("llama.attention.head_count_kv")?
        } else {
            n_heads
        };
        let rope_base = if md.get("llama.rope.freq_base").is_some() {
            md.f32("llama.rope.freq_base")?
        } else {
            10_000.0
        };
        let embd = file.tensor("token_embd.weight")?;
        let vocab_size = embd.info.dims.get(1).copied().unwrap_or(0) as usize;
        let tied_embeddings = !file.tensors().iter().any(|t| t.name == "output.weight");
        let cfg = Self {
            vocab_size,
            hidden,
            n_layers: u("llama.block_count")?,
            n_heads,
            n_kv_heads,
            head_dim: hidden.checked_div(n_heads).unwrap_or(0),
            ff: u("llama.feed_forward_length")?,
            context_length: u("llama.context_length")?,
            rope_base,
            rms_eps: md.f32("llama.attention.layer_norm_rms_epsilon")?,
            tied_embeddings,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ModelError> {
        let bad = |m: String| Err(ModelError::BadConfig(m));
        if self.hidden == 0 || self.n_heads == 0 || self.n_kv_heads == 0 || self.n_layers == 0 {
            return bad(format!(
                "zero-sized dimension (hidden {}, heads {}, kv heads {}, layers {})",
                self.hidden, self.n_heads, self.n_kv_heads, self.n_layers
            ));
        }
        if !self.hidden.is_multiple_of(self.n_heads) || !self.head_dim.is_multiple_of(2) {
            return bad(format!(
                "hidden {} is not an even head width times {} heads",
                self.hidden, self.n_heads
            ));
        }
        if !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return bad(format!(
                "{} heads are not a multiple of {} kv heads",
                self.n_heads, self.n_kv_heads
            ));
        }
        if self.vocab_size == 0 || self.ff == 0 || self.context_length == 0 {
            return bad("zero vocabulary, feed-forward or context size".into());
        }
        if !(self.rms_eps.is_finite() && self.rope_base.is_finite() && self.rope_base > 0.0) {
            return bad("non-finite epsilon or RoPE base".into());
        }
        Ok(())
    }

    /// Width of the key/value projections (`n_kv_heads * head_dim`).
    pub fn kv_dim(&self) -> usize {
        self.n_kv_heads * self.head_dim
    }

    /// Number of parameters (weights) in the model, counting tied embeddings once.
    pub fn parameter_count(&self) -> u64 {
        let h = self.hidden as u64;
        let kv = self.kv_dim() as u64;
        let ff = self.ff as u64;
        let per_layer = 2 * h + h * h * 2 + h * kv * 2 + 3 * h * ff;
        let emb = self.vocab_size as u64 * h;
        emb + if self.tied_embeddings { 0 } else { emb } + h + per_layer * self.n_layers as u64
    }
}

/// A projection `y = x · Wᵀ` with `W` of shape `[out, in]` (dequantized, on the model's
/// device).
struct Linear {
    weight: Tensor<2>,
}

impl Linear {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.weight.clone().transpose())
    }
}

struct Block {
    attn_norm: Tensor<1>,
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    ffn_norm: Tensor<1>,
    w_gate: Linear,
    w_up: Linear,
    w_down: Linear,
}

/// The weights as burn tensors, for [`Llama::forward_all`] and every forward on GPU
/// backends or unquantized files.
struct BurnWeights {
    /// `[vocab, hidden]`.
    embed: Tensor<2>,
    blocks: Vec<Block>,
    output_norm: Tensor<1>,
    /// `[vocab, hidden]`; the embedding when tied.
    output: Linear,
    /// RoPE tables `[context, head_dim / 2]`.
    rope_cos: Tensor<2>,
    rope_sin: Tensor<2>,
}

/// Per-layer keys and values of the tokens processed so far.
///
/// One cache belongs to one sequence; [`Llama::forward`] appends to it. Create it with
/// [`Llama::new_cache`].
pub struct KvCache {
    /// `(keys, values)` per layer, each `[1, n_kv_heads, burn_len, head_dim]`.
    layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    /// Positions present in `layers`.
    burn_len: usize,
    /// Host copies for the CPU decode path, valid for the first `host_len` positions.
    host: Vec<quant::HostKv>,
    host_len: usize,
    /// Positions processed.
    len: usize,
}

impl KvCache {
    /// Number of positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no position is held yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every position (the next forward starts at position 0).
    pub fn clear(&mut self) {
        for l in &mut self.layers {
            *l = None;
        }
        for h in &mut self.host {
            *h = quant::HostKv::default();
        }
        self.len = 0;
        self.burn_len = 0;
        self.host_len = 0;
    }

    /// Copies positions the host decode path added into the burn tensors.
    fn sync_to_burn(&mut self, c: &LlamaConfig, device: &Device) {
        if self.burn_len >= self.len {
            return;
        }
        let (from, n) = (self.burn_len, self.len - self.burn_len);
        let kvd = c.kv_dim();
        for (slot, host) in self.layers.iter_mut().zip(&self.host) {
            let take = |src: &[f32]| -> Tensor<4> {
                let v: Vec<f32> = src[from * kvd..(from + n) * kvd].to_vec();
                Tensor::<3>::from_data(TensorData::new(v, [n, c.n_kv_heads, c.head_dim]), device)
                    .swap_dims(0, 1)
                    .unsqueeze::<4>()
            };
            let (k, v) = (take(&host.k), take(&host.v));
            *slot = Some(match slot.take() {
                Some((kc, vc)) => (Tensor::cat(vec![kc, k], 2), Tensor::cat(vec![vc, v], 2)),
                None => (k, v),
            });
        }
        self.burn_len = self.len;
    }

    /// Copies positions the burn path added into the host cache (as `f16`).
    fn sync_to_host(&mut self, c: &LlamaConfig) -> Result<(), ModelError> {
        if self.host_len >= self.len {
            return Ok(());
        }
        let (from, n) = (self.host_len, self.len - self.host_len);
        if self.host.len() != self.layers.len() {
            self.host = vec![quant::HostKv::default(); self.layers.len()];
        }
        for (slot, host) in self.layers.iter().zip(self.host.iter_mut()) {
            let Some((k, v)) = slot else {
                return Err(ModelError::Backend("KV cache layer missing".into()));
            };
            for (t, dst) in [(k, &mut host.k), (v, &mut host.v)] {
                // [1, kv, n, hd] → [n, kv, hd]
                let part = t
                    .clone()
                    .slice(s![.., .., from..from + n, ..])
                    .squeeze_dim::<3>(0)
                    .swap_dims(0, 1);
                let vals = to_vec(part)?;
                dst.truncate(from * c.kv_dim());
                dst.extend(vals.iter().map(|&x| quant::round_f16(x)));
            }
        }
        self.host_len = self.len;
        Ok(())
    }
}

impl std::fmt::Debug for KvCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvCache")
            .field("layers", &self.layers.len())
            .field("len", &self.len)
            .finish()
    }
}

/// How the model's weights are placed and run.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// Device to run on; `None` is burn's default device (the CPU with the `flex` feature).
    pub device: Option<Device>,
    /// Use the block-quantized matrix-vector kernels for single-token decode steps on the
    /// CPU (the default). `false` runs every step through burn's matmul.
    pub disable_quant_decode: bool,
}

/// A Llama-family decoder loaded from a GGUF file.
///
/// On the CPU with Q4_0/Q4_1/Q8_0 matrices the weights are kept only as the file's
/// blocks ([`quant::HostModel`]); burn tensors are dequantized from those blocks the
/// first time the tensor path is used (tests, [`Llama::forward_all`]), so serving never
/// holds an `f32` copy of the model. Otherwise burn tensors are built at load.
pub struct Llama {
    config: LlamaConfig,
    device: Device,
    /// burn tensors: set at load, or on first use when `host` is present.
    burn: OnceLock<BurnWeights>,
    /// The quantized CPU path's weights, norms and tables.
    host: Option<quant::HostModel>,
}

impl std::fmt::Debug for Llama {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Llama")
            .field("config", &self.config)
            .field("quant_decode", &self.host.is_some())
            .finish_non_exhaustive()
    }
}

fn expect_dims(file: &GgufFile, name: &str, expected: &[u64]) -> Result<(), ModelError> {
    let t = file.tensor(name)?;
    if t.info.dims != expected {
        return Err(ModelError::BadShape {
            name: name.to_owned(),
            found: t.info.dims.clone(),
            expected: expected.to_vec(),
        });
    }
    Ok(())
}

fn load_1d(
    file: &GgufFile,
    name: &str,
    n: usize,
    device: &Device,
) -> Result<Tensor<1>, ModelError> {
    expect_dims(file, name, &[n as u64])?;
    let v = file.tensor(name)?.to_f32()?;
    Ok(Tensor::from_data(TensorData::new(v, [n]), device))
}

fn load_linear(
    file: &GgufFile,
    name: &str,
    out: usize,
    inp: usize,
    device: &Device,
) -> Result<Linear, ModelError> {
    expect_dims(file, name, &[inp as u64, out as u64])?;
    let v = file.tensor(name)?.to_f32()?;
    Ok(Linear {
        weight: Tensor::from_data(TensorData::new(v, [out, inp]), device),
    })
}

impl BurnWeights {
    /// Dequantizes every weight from the file.
    fn from_file(
        file: &GgufFile,
        c: &LlamaConfig,
        device: &Device,
        cos: Vec<f32>,
        sin: Vec<f32>,
    ) -> Result<Self, ModelError> {
        let (h, kv, ff, vocab) = (c.hidden, c.kv_dim(), c.ff, c.vocab_size);
        let embed = load_linear(file, "token_embd.weight", vocab, h, device)?.weight;
        let mut blocks = Vec::with_capacity(c.n_layers);
        for i in 0..c.n_layers {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            blocks.push(Block {
                attn_norm: load_1d(file, &n("attn_norm"), h, device)?,
                wq: load_linear(file, &n("attn_q"), h, h, device)?,
                wk: load_linear(file, &n("attn_k"), kv, h, device)?,
                wv: load_linear(file, &n("attn_v"), kv, h, device)?,
                wo: load_linear(file, &n("attn_output"), h, h, device)?,
                ffn_norm: load_1d(file, &n("ffn_norm"), h, device)?,
                w_gate: load_linear(file, &n("ffn_gate"), ff, h, device)?,
                w_up: load_linear(file, &n("ffn_up"), ff, h, device)?,
                w_down: load_linear(file, &n("ffn_down"), h, ff, device)?,
            });
        }
        let output_norm = load_1d(file, "output_norm.weight", h, device)?;
        let output = if c.tied_embeddings {
            Linear {
                weight: embed.clone(),
            }
        } else {
            load_linear(file, "output.weight", vocab, h, device)?
        };
        Ok(Self::finish(
            c,
            device,
            embed,
            blocks,
            output_norm,
            output,
            cos,
            sin,
        ))
    }

    /// Dequantizes every weight from the host model's blocks (the same values as
    /// dequantizing the file: the formulas are those of [`crate::gguf`]).
    fn from_host(host: &quant::HostModel, c: &LlamaConfig, device: &Device) -> Self {
        let lin = |m: &QuantMatrix| Linear {
            weight: Tensor::from_data(TensorData::new(m.to_f32(), [m.rows(), m.cols()]), device),
        };
        let vec1 =
            |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
        let embed = lin(host.embed()).weight;
        let blocks = host
            .blocks()
            .iter()
            .map(|b| Block {
                attn_norm: vec1(&b.attn_norm),
                wq: lin(&b.wq),
                wk: lin(&b.wk),
                wv: lin(&b.wv),
                wo: lin(&b.wo),
                ffn_norm: vec1(&b.ffn_norm),
                w_gate: lin(&b.w_gate),
                w_up: lin(&b.w_up),
                w_down: lin(&b.w_down),
            })
            .collect();
        let output = match host.untied_output() {
            Some(m) => lin(m),
            None => Linear {
                weight: embed.clone(),
            },
        };
        let (cos, sin) = host.rope_tables();
        Self::finish(
            c,
            device,
            embed,
            blocks,
            vec1(host.output_norm()),
            output,
            cos.to_vec(),
            sin.to_vec(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        c: &LlamaConfig,
        device: &Device,
        embed: Tensor<2>,
        blocks: Vec<Block>,
        output_norm: Tensor<1>,
        output: Linear,
        cos: Vec<f32>,
        sin: Vec<f32>,
    ) -> Self {
        let half = c.head_dim / 2;
        let len = cos.len() / half.max(1);
        Self {
            embed,
            blocks,
            output_norm,
            output,
            rope_cos: Tensor::from_data(TensorData::new(cos, [len, half]), device),
            rope_sin: Tensor::from_data(TensorData::new(sin, [len, half]), device),
        }
    }
}

/// RoPE angle tables, computed in `f32` the way llama.cpp does.
fn rope_tables(cfg: &LlamaConfig, len: usize) -> (Vec<f32>, Vec<f32>) {
    let half = cfg.head_dim / 2;
    let theta_scale = cfg.rope_base.powf(-2.0 / cfg.head_dim as f32);
    let mut cos = Vec::with_capacity(len * half);
    let mut sin = Vec::with_capacity(len * half);
    for pos in 0..len {
        let mut theta = pos as f32;
        for _ in 0..half {
            cos.push(theta.cos());
            sin.push(theta.sin());
            theta *= theta_scale;
        }
    }
    (cos, sin)
}

fn is_cpu(device: &Device) -> bool {
    // The quantized decode kernels run on the host; they only pay off when the rest of
    // the model is on the host too.
    let name = format!("{device:?}").to_ascii_lowercase();
    name.contains("flex") || name.contains("cpu") || name.contains("ndarray")
}

impl Llama {
    /// Loads the model from an opened GGUF file.
    pub fn load(file: &GgufFile, options: &ModelOptions) -> Result<Self, ModelError> {
        let config = LlamaConfig::from_gguf(file)?;
        let device = options.device.clone().unwrap_or_default();
        let want_quant = !options.disable_quant_decode && is_cpu(&device);
        let (cos, sin) = rope_tables(&config, config.context_length);
        let host = if want_quant {
            quant::HostModel::build(file, &config, &cos, &sin)?
        } else {
            None
        };
        let burn = OnceLock::new();
        if host.is_none() {
            let weights = BurnWeights::from_file(file, &config, &device, cos, sin)?;
            // A fresh cell: this cannot fail.
            let _ = burn.set(weights);
        }
        Ok(Self {
            config,
            device,
            burn,
            host,
        })
    }

    /// The burn tensors, dequantized from the host blocks on first use.
    fn burn(&self) -> Result<&BurnWeights, ModelError> {
        if let Some(w) = self.burn.get() {
            return Ok(w);
        }
        // `load` fills the cell whenever there is no host model.
        let host = self
            .host
            .as_ref()
            .ok_or_else(|| ModelError::Backend("model weights missing".into()))?;
        Ok(self
            .burn
            .get_or_init(|| BurnWeights::from_host(host, &self.config, &self.device)))
    }

    /// Opens `path` and loads the model from it (no hashing).
    pub fn load_path(path: &Path, options: &ModelOptions) -> Result<Self, ModelError> {
        let file = GgufFile::open(path)?;
        Self::load(&file, options)
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Whether single-token decode steps run through the quantized CPU kernels.
    pub fn uses_quant_decode(&self) -> bool {
        self.host.is_some()
    }

    /// An empty KV cache for one sequence.
    pub fn new_cache(&self) -> KvCache {
        KvCache {
            layers: (0..self.config.n_layers).map(|_| None).collect(),
            burn_len: 0,
            host: vec![quant::HostKv::default(); self.config.n_layers],
            host_len: 0,
            len: 0,
        }
    }

    /// Runs `tokens` (appended after what `cache` holds) and returns the logits of the
    /// **last** token (`vocab_size` values).
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Vec<f32>, ModelError> {
        self.check_input(tokens, cache)?;
        if let Some(host) = &self.host {
            return host.forward(self, tokens, cache);
        }
        let hidden = self.forward_hidden(tokens, cache)?;
        let seq = tokens.len();
        let last = hidden.slice(s![seq - 1..seq, ..]);
        let logits = self.burn()?.output.forward(last);
        to_vec(logits)
    }

    /// Runs `tokens` through burn's tensor path only and returns the logits of **every**
    /// position, row-major `[tokens.len(), vocab_size]`. Used by tests to compare the
    /// cached decode against a full recomputation.
    pub fn forward_all(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Vec<f32>, ModelError> {
        self.check_input(tokens, cache)?;
        let hidden = self.forward_hidden(tokens, cache)?;
        to_vec(self.burn()?.output.forward(hidden))
    }

    fn check_input(&self, tokens: &[u32], cache: &KvCache) -> Result<(), ModelError> {
        if tokens.is_empty() {
            return Err(ModelError::EmptyInput);
        }
        let needed = cache.len + tokens.len();
        if needed > self.config.context_length {
            return Err(ModelError::ContextFull {
                needed,
                limit: self.config.context_length,
            });
        }
        if let Some(&id) = tokens
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(ModelError::TokenOutOfRange {
                id,
                vocab: self.config.vocab_size,
            });
        }
        Ok(())
    }

    fn rms_norm(&self, x: Tensor<2>, weight: &Tensor<1>) -> Tensor<2> {
        let ms = x.clone().square().mean_dim(1);
        let scale = ms.add_scalar(self.config.rms_eps).sqrt().recip();
        x * scale * weight.clone().unsqueeze::<2>()
    }

    /// Adjacent-pair RoPE on `[seq, heads, head_dim]` for positions `pos0..pos0+seq`.
    fn rope(w: &BurnWeights, x: Tensor<3>, pos0: usize) -> Tensor<3> {
        let [seq, heads, hd] = x.dims();
        let half = hd / 2;
        let cos = w
            .rope_cos
            .clone()
            .slice(s![pos0..pos0 + seq, ..])
            .reshape([seq, 1, half, 1]);
        let sin = w
            .rope_sin
            .clone()
            .slice(s![pos0..pos0 + seq, ..])
            .reshape([seq, 1, half, 1]);
        let x = x.reshape([seq, heads, half, 2]);
        let x0 = x.clone().slice(s![.., .., .., 0..1]);
        let x1 = x.slice(s![.., .., .., 1..2]);
        let o0 = x0.clone() * cos.clone() - x1.clone() * sin.clone();
        let o1 = x0 * sin + x1 * cos;
        Tensor::cat(vec![o0, o1], 3).reshape([seq, heads, hd])
    }

    /// Final-normed hidden states `[seq, hidden]` for `tokens`, appending to `cache`.
    fn forward_hidden(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Tensor<2>, ModelError> {
        let c = &self.config;
        cache.sync_to_burn(c, &self.device);
        let seq = tokens.len();
        let pos0 = cache.len;
        let ids: Vec<i64> = tokens.iter().map(|&t| i64::from(t)).collect();
        let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [seq]), &self.device);
        let w = self.burn()?;
        let mut x = w.embed.clone().select(0, ids);
        let group = c.n_heads / c.n_kv_heads;
        for (block, slot) in w.blocks.iter().zip(cache.layers.iter_mut()) {
            let xn = self.rms_norm(x.clone(), &block.attn_norm);
            let q = block
                .wq
                .forward(xn.clone())
                .reshape([seq, c.n_heads, c.head_dim]);
            let k = block
                .wk
                .forward(xn.clone())
                .reshape([seq, c.n_kv_heads, c.head_dim]);
            let v = block
                .wv
                .forward(xn)
                .reshape([seq, c.n_kv_heads, c.head_dim]);
            let q = Self::rope(w, q, pos0).swap_dims(0, 1).unsqueeze::<4>();
            let k = Self::rope(w, k, pos0).swap_dims(0, 1).unsqueeze::<4>();
            let v = v.swap_dims(0, 1).unsqueeze::<4>();
            let (k_all, v_all) = match slot.take() {
                Some((kc, vc)) => (Tensor::cat(vec![kc, k], 2), Tensor::cat(vec![vc, v], 2)),
                None => (k, v),
            };
            *slot = Some((k_all.clone(), v_all.clone()));
            let total = pos0 + seq;
            let expand = |t: Tensor<4>| -> Tensor<4> {
                if group == 1 {
                    return t;
                }
                t.unsqueeze_dim::<5>(2)
                    .expand([1, c.n_kv_heads, group, total, c.head_dim])
                    .reshape([1, c.n_heads, total, c.head_dim])
            };
            let att = attention(
                q,
                expand(k_all),
                expand(v_all),
                None,
                None,
                AttentionModuleOptions {
                    scale: None,
                    softcap: None,
                    is_causal: seq > 1,
                },
            );
            // [1, heads, seq, hd] → [seq, heads * hd]
            let att = att
                .squeeze_dim::<3>(0)
                .swap_dims(0, 1)
                .reshape([seq, c.n_heads * c.head_dim]);
            x = x + block.wo.forward(att);
            let xn = self.rms_norm(x.clone(), &block.ffn_norm);
            let g = silu(block.w_gate.forward(xn.clone()));
            let u = block.w_up.forward(xn);
            x = x + block.w_down.forward(g * u);
        }
        cache.len += seq;
        cache.burn_len = cache.len;
        Ok(self.rms_norm(x, &w.output_norm))
    }
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, ModelError> {
    t.try_into_data()
        .map_err(|e| ModelError::Backend(format!("{e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| ModelError::Backend(format!("{e:?}")))
}

/// The GGUF types the quantized decode path reads directly.
pub fn quant_decode_supports(t: GgmlType) -> bool {
    quant::supported(t)
}
