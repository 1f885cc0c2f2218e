//! Infernet inference engine: Llama-family decoders loaded from GGUF files and
//! run on burn (CPU by default; wgpu and CUDA behind cargo features).
//!
//! Layers, bottom up:
//! - [`gguf`]: the GGUF container (metadata, tensor infos, alignment,
//!   dequantization of block formats), memory-mapped, bounded against corrupt files;
//!   plus a writer used by tests to build tiny models.
//! - [`tokenizer`]: the tokenizer described by the GGUF metadata (gpt2-style BPE).
//! - [`template`]: the model's own Jinja chat template, rendered with minijinja.
//! - [`model`]: the Llama-architecture decoder with a KV cache: block-quantized
//!   SIMD kernels on the CPU ([`model::quant`]), burn's tensor path elsewhere;
//!   [`model::Backend`] picks cpu / wgpu / cuda.
//! - [`sampler`]: greedy and seeded temperature / top-k / top-p sampling.
//! - [`generate`]: the generation loop: stop tokens and strings, streaming, cancellation.
//! - [`engine`]: the high-level API (load + hash, encode, generate) the miner calls.
//!
//! The engine knows nothing about the chain: the miner hands it plaintext in memory
//! and takes plaintext back.

pub mod engine;
pub mod generate;
pub mod gguf;
pub mod model;
pub mod sampler;
pub mod template;
pub mod tokenizer;

use std::path::PathBuf;

/// File name of the reference model (SmolLM2-135M-Instruct, Q4_1) in the cache directory.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Environment variable that overrides [`default_model_path`].
pub const MODEL_PATH_ENV: &str = "INFERNET_MODEL_PATH";

/// Where the reference model lives: `$INFERNET_MODEL_PATH` when set (and non-empty),
/// else `<cache dir>/models/SmolLM2-135M-Instruct.Q4_1.gguf` under the platform cache
/// directory of `org.infernet.infernet` (e.g. `~/.cache/infernet/models/…` on Linux),
/// else that name relative to the current directory when no home directory is known.
///
/// `infernet-miner model fetch` writes the model here; tests that need the real model
/// look for it here.
pub fn default_model_path() -> PathBuf {
    if let Some(p) = std::env::var_os(MODEL_PATH_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    models_dir().join(DEFAULT_MODEL_FILE)
}

/// The directory that holds downloaded models (`<cache dir>/models`).
pub fn models_dir() -> PathBuf {
    directories::ProjectDirs::from("org", "infernet", "infernet")
        .map(|d| d.cache_dir().join("models"))
        .unwrap_or_else(|| PathBuf::from("models"))
}
