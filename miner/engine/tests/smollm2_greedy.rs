#![allow(clippy::unwrap_used, missing_docs)]
//! Greedy parity with llama.cpp on the real SmolLM2-135M-Instruct Q4_1 file.
//!
//! Expected ids come from `miner/scripts/llamacpp_reference.py` (llama.cpp through
//! llama-cpp-python), committed in `tests/data/smollm2_greedy.json`. The model file is
//! found with `default_model_path()`; `.ci/setup` fetches it. When it is missing these
//! tests FAIL and say how to get it.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use infernet_engine::engine::Engine;
use infernet_engine::generate::{FinishReason, GenerationParams};
use infernet_engine::model::ModelOptions;

/// Reference tokens this engine reproduces exactly, per case of the JSON file, in
/// order. `usize::MAX` = the whole continuation including the end-of-generation stop
/// (the prompt must be one of those). The other cases diverge from llama.cpp
/// at a near-tie (top-2 logits within ~0.1 of each other, where llama.cpp's own batched
/// and token-by-token evaluations disagree by ~0.13), so only their common prefix is
/// pinned, to catch regressions. (The haiku's very first token is such a tie: 788 vs
/// 504, 0.1 apart.)
const MATCHED: [usize; 5] = [usize::MAX, 11, 0, 10, usize::MAX];

struct Case {
    user: String,
    prompt_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/smollm2_greedy.json");
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let ids = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect()
    };
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            user: c["user"].as_str().unwrap().to_owned(),
            prompt_ids: ids(&c["prompt_ids"]),
            greedy_ids: ids(&c["greedy_ids"]),
        })
        .collect()
}

fn model_path() -> PathBuf {
    let p = infernet_engine::default_model_path();
    assert!(
        p.is_file(),
        "reference model not found at {}: run `infernet-miner model fetch` \
         (or set INFERNET_MODEL_PATH to a copy of SmolLM2-135M-Instruct.Q4_1.gguf)",
        p.display()
    );
    p
}

fn engine() -> Engine {
    Engine::load(&model_path(), &ModelOptions::default(), &mut |_, _| {}).unwrap()
}

#[test]
fn greedy_ids_equal_llama_cpp() {
    let engine = engine();
    assert_eq!(
        engine.model_id_hex(),
        "5f4fa13bfc6dd4a91fd00e22974a9c4e9ed628fd7d7f307398ddf30260d6b2c3"
    );
    let cancel = AtomicBool::new(false);
    let cases = cases();
    assert_eq!(
        cases.len(),
        MATCHED.len(),
        "update MATCHED with the JSON file"
    );
    assert!(cases[0].user.starts_with("Explain what a blockchain is"));
    for (case, &matched) in cases.iter().zip(&MATCHED) {
        let full = matched == usize::MAX;
        let n = matched.min(case.greedy_ids.len());
        let params = GenerationParams {
            // One more than the reference for a full case: the next token must be EOS.
            max_tokens: if full { n + 1 } else { n },
            ..GenerationParams::default()
        };
        let out = engine
            .generate(
                &case.prompt_ids,
                &params,
                |_, _| ControlFlow::Continue(()),
                &cancel,
            )
            .unwrap();
        assert_eq!(out.tokens, case.greedy_ids[..n], "prompt {:?}", case.user);
        let expected = if full {
            FinishReason::EndOfGeneration
        } else {
            FinishReason::Length
        };
        assert_eq!(out.finish_reason, expected, "prompt {:?}", case.user);
    }
}

#[test]
fn chat_prompt_ids_equal_llama_cpp() {
    let engine = engine();
    for case in cases() {
        assert_eq!(
            engine.encode_chat(&case.user).unwrap(),
            case.prompt_ids,
            "prompt {:?}",
            case.user
        );
    }
}
