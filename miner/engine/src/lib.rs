//! Infernet inference engine: Llama-family decoders loaded from GGUF files and
//! run on burn (CPU by default; wgpu and CUDA behind cargo features).
//!
//! Layers, bottom up:
//! - [`gguf`]: the GGUF container (metadata, tensor infos, alignment,
//!   dequantization of block formats), memory-mapped, bounded against corrupt files;
//!   plus a writer used by tests to build tiny models.
//! - [`tokenizer`]: the tokenizer described by the GGUF metadata (gpt2-style BPE).
//! - [`template`]: the model's own Jinja chat template, rendered with minijinja.
//! - [`model`]: the Llama-architecture decoder on burn, with a KV cache.
//! - [`sampler`]: greedy and seeded temperature / top-k / top-p sampling.
//! - [`generate`]: the generation loop: stop tokens and strings, streaming, cancellation.
//!
//! The engine knows nothing about the chain: the miner hands it plaintext in memory
//! and takes plaintext back.

pub mod generate;
pub mod gguf;
pub mod model;
pub mod sampler;
pub mod template;
pub mod tokenizer;
