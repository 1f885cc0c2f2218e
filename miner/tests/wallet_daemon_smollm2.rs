#![allow(clippy::unwrap_used, missing_docs)]
//! Both sides real, with the reference model: the `infernet-miner` daemon serves SmolLM2-135M
//! (the cached Q4_1 file) on a dev chain, a new wallet key asks "What is the capital of
//! France?" through `infernet-wallet prompt`, and the answer equals `infernet-miner infer
//! --chat` greedy with the same settings; the record is the key's and every balance moves by
//! exactly the cost, the fees and the model owner's royalty.
//!
//! The model is fetched with `cargo run -p infernet-miner -- model fetch` (CI does it before
//! the tests); without it this test fails and says so.

mod support;

use support::Sampling;

const GREEDY: Sampling = Sampling {
    max_tokens: 16,
    temperature: "0",
    top_p: "1",
    top_k: 0,
    seed: 0,
};

#[test]
fn smollm2_wallet_prompt_equals_infer_and_is_paid_exactly() {
    let model = infernet_engine::default_model_path();
    assert!(
        model.exists(),
        "{} is missing: fetch it with `cargo run -p infernet-miner -- model fetch`",
        model.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let paid = support::scenario::prompt_and_pay(
        dir.path(),
        &model,
        "smollm2-135m-instruct",
        "What is the capital of France?",
        &GREEDY,
    );
    // And it is the model's own answer: the prompt tokens are llama.cpp's rendering of the
    // chat template, and the greedy continuation starts as llama.cpp's does (the engine's
    // parity test pins how far this prompt matches before a near-tie; see
    // `miner/engine/tests/smollm2_greedy.rs`).
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../engine/tests/data/smollm2_greedy.json")).unwrap();
    let case = reference["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user"] == "What is the capital of France?")
        .unwrap();
    let ids = |v: &serde_json::Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap())
            .collect()
    };
    assert_eq!(paid.prompt_ids, ids(&case["prompt_ids"]));
    assert_eq!(
        paid.answer_ids[..7],
        ids(&case["greedy_ids"])[..7],
        "{:?}",
        paid.answer
    );
    assert!(paid.tokens_out > 0 && paid.tokens_out <= 16);
    eprintln!(
        "SmolLM2 scenario took {:?} ({} + {} tokens, cost {}, royalty {})",
        paid.wall, paid.tokens_in, paid.tokens_out, paid.cost, paid.royalty
    );
}
