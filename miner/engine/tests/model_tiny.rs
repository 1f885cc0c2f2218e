#![allow(clippy::unwrap_used, missing_docs)]
//! The Llama model on tiny generated GGUF files: shapes, KV cache against full
//! recomputation (burn path and quantized decode path), determinism, GQA/untied
//! variants, and errors.

use infernet_engine::gguf::tiny::{TinyConfig, tiny_llama_bytes};
use infernet_engine::gguf::{GgmlType, GgufFile};
use infernet_engine::model::{Llama, ModelError, ModelOptions};

fn file(cfg: &TinyConfig, seed: u64) -> GgufFile {
    GgufFile::from_bytes(tiny_llama_bytes(cfg, seed).unwrap()).unwrap()
}

fn burn_only() -> ModelOptions {
    ModelOptions {
        disable_quant_decode: true,
        ..ModelOptions::default()
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

const PROMPT: [u32; 7] = [5, 17, 200, 33, 1, 250, 9];

#[test]
fn config_and_logit_shapes() {
    let cfg = TinyConfig::default();
    let f = file(&cfg, 1);
    let m = Llama::load(&f, &burn_only()).unwrap();
    let c = m.config();
    assert_eq!(c.vocab_size, cfg.vocab);
    assert_eq!(
        (c.hidden, c.n_layers, c.n_heads, c.n_kv_heads),
        (64, 2, 4, 2)
    );
    assert_eq!(c.head_dim, 16);
    assert!(c.tied_embeddings);
    let mut cache = m.new_cache();
    let last = m.forward(&PROMPT, &mut cache).unwrap();
    assert_eq!(last.len(), cfg.vocab);
    assert_eq!(cache.len(), PROMPT.len());
    assert!(last.iter().all(|v| v.is_finite()));
    let all = m.forward_all(&PROMPT, &mut m.new_cache()).unwrap();
    assert_eq!(all.len(), PROMPT.len() * cfg.vocab);
    // The last row of the full output is the last-token logits.
    assert!(max_abs_diff(&all[(PROMPT.len() - 1) * cfg.vocab..], &last) < 1e-5);
}

fn check_cache_equals_recompute(cfg: &TinyConfig, options: &ModelOptions, tol: f32) {
    let f = file(cfg, 7);
    let m = Llama::load(&f, options).unwrap();
    let v = cfg.vocab;
    let full = m.forward_all(&PROMPT, &mut m.new_cache()).unwrap();
    // Prefill 3 tokens, then one at a time.
    let mut cache = m.new_cache();
    let first = m.forward(&PROMPT[..3], &mut cache).unwrap();
    assert!(max_abs_diff(&first, &full[2 * v..3 * v]) < tol);
    for (i, &t) in PROMPT.iter().enumerate().skip(3) {
        let step = m.forward(&[t], &mut cache).unwrap();
        let d = max_abs_diff(&step, &full[i * v..(i + 1) * v]);
        assert!(d < tol, "position {i}: max diff {d}");
    }
    assert_eq!(cache.len(), PROMPT.len());
}

#[test]
fn kv_cache_decode_equals_full_recompute() {
    check_cache_equals_recompute(&TinyConfig::default(), &burn_only(), 1e-4);
}

#[test]
fn untied_mha_model_cache_equals_recompute() {
    let cfg = TinyConfig {
        tied: false,
        kv_heads: 4,
        ..TinyConfig::default()
    };
    let f = file(&cfg, 3);
    let m = Llama::load(&f, &burn_only()).unwrap();
    assert!(!m.config().tied_embeddings);
    check_cache_equals_recompute(&cfg, &burn_only(), 1e-4);
}

#[test]
fn quantized_decode_path_tracks_full_recompute() {
    for dtype in [GgmlType::Q8_0, GgmlType::Q4_1, GgmlType::Q4_0] {
        let cfg = TinyConfig {
            dtype,
            ..TinyConfig::default()
        };
        let f = file(&cfg, 11);
        let m = Llama::load(&f, &ModelOptions::default()).unwrap();
        assert!(m.uses_quant_decode(), "{dtype:?}");
        // Activations are quantized to 8 bits in the decode path: a looser tolerance,
        // relative to the logits' scale.
        let full = m.forward_all(&PROMPT, &mut m.new_cache()).unwrap();
        let scale = full.iter().fold(0.0f32, |a, v| a.max(v.abs()));
        check_cache_equals_recompute(&cfg, &ModelOptions::default(), 0.05 * scale.max(1.0));
    }
}

#[test]
fn mixing_paths_keeps_the_cache_consistent() {
    // Host (quantized) steps, then burn steps on the same cache, then host again.
    let cfg = TinyConfig {
        dtype: GgmlType::Q8_0,
        ..TinyConfig::default()
    };
    let f = file(&cfg, 5);
    let m = Llama::load(&f, &ModelOptions::default()).unwrap();
    let v = cfg.vocab;
    let full = m.forward_all(&PROMPT, &mut m.new_cache()).unwrap();
    let scale = full.iter().fold(0.0f32, |a, x| a.max(x.abs())).max(1.0);
    let mut cache = m.new_cache();
    m.forward(&PROMPT[..2], &mut cache).unwrap();
    m.forward(&PROMPT[2..3], &mut cache).unwrap();
    let mid = m.forward_all(&PROMPT[3..5], &mut cache).unwrap();
    assert!(max_abs_diff(&mid[v..], &full[4 * v..5 * v]) < 0.05 * scale);
    let last = m.forward(&PROMPT[5..], &mut cache).unwrap();
    assert_eq!(cache.len(), PROMPT.len());
    assert!(max_abs_diff(&last, &full[(PROMPT.len() - 1) * v..]) < 0.05 * scale);
    cache.clear();
    assert!(cache.is_empty());
    let again = m.forward(&PROMPT, &mut cache).unwrap();
    assert!(max_abs_diff(&again, &last) < 0.05 * scale);
}

#[test]
fn forward_is_deterministic_run_to_run() {
    let cfg = TinyConfig {
        dtype: GgmlType::Q4_1,
        ..TinyConfig::default()
    };
    let f = file(&cfg, 2);
    let m = Llama::load(&f, &ModelOptions::default()).unwrap();
    let run = || {
        let mut cache = m.new_cache();
        let mut out = m.forward(&PROMPT, &mut cache).unwrap();
        out.extend(m.forward(&[42], &mut cache).unwrap());
        out
    };
    assert_eq!(run(), run());
}

#[test]
fn input_errors() {
    let cfg = TinyConfig {
        ctx: 8,
        ..TinyConfig::default()
    };
    let f = file(&cfg, 1);
    let m = Llama::load(&f, &burn_only()).unwrap();
    let mut cache = m.new_cache();
    assert!(matches!(
        m.forward(&[], &mut cache),
        Err(ModelError::EmptyInput)
    ));
    assert!(matches!(
        m.forward(&[cfg.vocab as u32], &mut cache),
        Err(ModelError::TokenOutOfRange { .. })
    ));
    assert!(matches!(
        m.forward(&[1; 9], &mut cache),
        Err(ModelError::ContextFull {
            needed: 9,
            limit: 8
        })
    ));
    assert_eq!(cache.len(), 0);
}
