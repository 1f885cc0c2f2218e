#![allow(clippy::unwrap_used, missing_docs)]
//! The wgpu backend against the CPU on the real SmolLM2 file: greedy ids on the GPU equal
//! the CPU's burn tensor path (`f32` weights and activations, which is what every GPU forward
//! runs), token for token.
//!
//! Built only with the `wgpu` feature and needs a wgpu adapter (a GPU, or a software Vulkan
//! driver such as Mesa's lavapipe, Debian package `mesa-vulkan-drivers`):
//! `cargo test -p infernet-engine --features wgpu --test wgpu_parity`. CI builds neither.
//!
//! The CPU's default decode path quantizes activations to 8 bits per block as llama.cpp does,
//! so it (and llama.cpp) may part from the `f32` path at a near-tie; that is why the reference
//! here is the tensor path and not the quantized kernels.
#![cfg(feature = "wgpu")]

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

use infernet_engine::engine::Engine;
use infernet_engine::generate::GenerationParams;
use infernet_engine::model::{Backend, ModelOptions};

fn greedy(options: &ModelOptions, user: &str, max_tokens: usize) -> Vec<u32> {
    let path = infernet_engine::default_model_path();
    assert!(
        path.is_file(),
        "reference model not found at {}: run `infernet-miner model fetch`",
        path.display()
    );
    let engine = Engine::load(&path, options, &mut |_, _| {}).unwrap();
    let ids = engine.encode_chat(user).unwrap();
    let params = GenerationParams {
        max_tokens,
        ..GenerationParams::default()
    };
    let cancel = AtomicBool::new(false);
    engine
        .generate(&ids, &params, |_, _| ControlFlow::Continue(()), &cancel)
        .unwrap()
        .tokens
}

#[test]
fn wgpu_greedy_ids_equal_the_cpu_tensor_path() {
    let cpu = ModelOptions {
        disable_quant_decode: true,
        ..ModelOptions::default()
    };
    let gpu = ModelOptions {
        device: Some(Backend::Wgpu.device().unwrap()),
        ..ModelOptions::default()
    };
    for user in [
        "Explain what a blockchain is in one sentence.",
        "List three prime numbers greater than 10.",
    ] {
        let want = greedy(&cpu, user, 24);
        assert!(want.len() > 8, "{user:?}: {want:?}");
        assert_eq!(greedy(&gpu, user, 24), want, "{user:?}");
    }
}
