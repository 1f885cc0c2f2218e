//! Byte-level BPE under each supported pre-tokenizer against llama.cpp: a tiny
//! vocabulary with merges (trained by `miner/scripts/tokenizer_parity.py` and
//! tokenized there by llama.cpp under `gpt-2`, `smollm` and `llama-bpe`), rebuilt
//! here as a GGUF with the engine's writer. Needs no model file.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;

use infernet_engine::gguf::writer::GgufWriter;
use infernet_engine::gguf::{GgufFile, MetaValue};
use infernet_engine::tokenizer::Tokenizer;

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
}

#[derive(serde::Deserialize)]
struct Reference {
    tokens: Vec<String>,
    types: Vec<i32>,
    merges: Vec<String>,
    pre: BTreeMap<String, Vec<Case>>,
}

fn tokenizer(r: &Reference, pre: &str) -> Tokenizer {
    let strings =
        |v: &[String]| MetaValue::Array(v.iter().cloned().map(MetaValue::String).collect());
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", MetaValue::String("llama".into()))
        .add_metadata("tokenizer.ggml.model", MetaValue::String("gpt2".into()))
        .add_metadata("tokenizer.ggml.pre", MetaValue::String(pre.into()))
        .add_metadata("tokenizer.ggml.tokens", strings(&r.tokens))
        .add_metadata(
            "tokenizer.ggml.token_type",
            MetaValue::Array(r.types.iter().copied().map(MetaValue::I32).collect()),
        )
        .add_metadata("tokenizer.ggml.merges", strings(&r.merges))
        .add_metadata("tokenizer.ggml.bos_token_id", MetaValue::U32(1))
        .add_metadata("tokenizer.ggml.eos_token_id", MetaValue::U32(2));
    Tokenizer::from_gguf(&GgufFile::from_bytes(w.to_bytes()).unwrap()).unwrap()
}

#[test]
fn every_pre_tokenizer_matches_llama_cpp() {
    let r: Reference = serde_json::from_str(include_str!("data/tokenizer_bpe_tiny.json")).unwrap();
    assert_eq!(r.pre.len(), 3);
    let mut failures = Vec::new();
    for (pre, cases) in &r.pre {
        let tok = tokenizer(&r, pre);
        assert!(cases.len() >= 100);
        for c in cases {
            let got = tok.encode(&c.text, false);
            if got != c.ids {
                failures.push(format!(
                    "[{pre}] {:?}\n  llama.cpp {:?}\n  engine    {:?}",
                    c.text, c.ids, got
                ));
            }
            if !c.text.contains("<|") {
                assert_eq!(tok.decode(&got), c.text, "[{pre}]");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn unknown_pre_tokenizer_is_an_error() {
    let r: Reference = serde_json::from_str(include_str!("data/tokenizer_bpe_tiny.json")).unwrap();
    let mut w = GgufWriter::new();
    w.add_metadata("tokenizer.ggml.model", MetaValue::String("gpt2".into()))
        .add_metadata(
            "tokenizer.ggml.pre",
            MetaValue::String("no-such-pre".into()),
        )
        .add_metadata(
            "tokenizer.ggml.tokens",
            MetaValue::Array(r.tokens.iter().cloned().map(MetaValue::String).collect()),
        );
    let err = Tokenizer::from_gguf(&GgufFile::from_bytes(w.to_bytes()).unwrap()).unwrap_err();
    assert!(err.to_string().contains("no-such-pre"), "{err}");
}
