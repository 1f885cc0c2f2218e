//! The SentencePiece (`tokenizer.ggml.model = llama`) path against llama.cpp: a
//! tiny vocabulary (byte-fallback tokens, scored pieces, a user-defined token) and
//! the ids llama.cpp gives for it (`tests/data/tokenizer_spm_tiny.json`, written by
//! `miner/scripts/tokenizer_parity.py`). The GGUF is rebuilt here with the engine's
//! writer, so the test needs no model file.
#![allow(clippy::unwrap_used, missing_docs)]

use infernet_engine::gguf::writer::GgufWriter;
use infernet_engine::gguf::{GgufFile, MetaValue};
use infernet_engine::tokenizer::Tokenizer;

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    add_bos: bool,
    ids: Vec<u32>,
}

#[derive(serde::Deserialize)]
struct Reference {
    tokens: Vec<String>,
    types: Vec<i32>,
    scores: Vec<f32>,
    cases: Vec<Case>,
}

fn load() -> (Tokenizer, Reference) {
    let r: Reference = serde_json::from_str(include_str!("data/tokenizer_spm_tiny.json")).unwrap();
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", MetaValue::String("llama".into()))
        .add_metadata("tokenizer.ggml.model", MetaValue::String("llama".into()))
        .add_metadata(
            "tokenizer.ggml.tokens",
            MetaValue::Array(r.tokens.iter().cloned().map(MetaValue::String).collect()),
        )
        .add_metadata(
            "tokenizer.ggml.token_type",
            MetaValue::Array(r.types.iter().copied().map(MetaValue::I32).collect()),
        )
        .add_metadata(
            "tokenizer.ggml.scores",
            MetaValue::Array(r.scores.iter().copied().map(MetaValue::F32).collect()),
        )
        .add_metadata("tokenizer.ggml.bos_token_id", MetaValue::U32(1))
        .add_metadata("tokenizer.ggml.eos_token_id", MetaValue::U32(2))
        .add_metadata("tokenizer.ggml.unknown_token_id", MetaValue::U32(0));
    let file = GgufFile::from_bytes(w.to_bytes()).unwrap();
    (Tokenizer::from_gguf(&file).unwrap(), r)
}

#[test]
fn matches_llama_cpp() {
    let (tok, r) = load();
    assert!(
        tok.add_bos_default(),
        "SentencePiece models add BOS by default"
    );
    assert!(r.cases.len() >= 30);
    let mut failures = Vec::new();
    for c in &r.cases {
        let got = tok.encode(&c.text, c.add_bos);
        if got != c.ids {
            failures.push(format!(
                "{:?} bos={}: llama.cpp {:?}, engine {:?}",
                c.text, c.add_bos, c.ids, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decode_inverts_encode() {
    let (tok, r) = load();
    for c in r.cases.iter().filter(|c| {
        !c.add_bos
            && !c.text.contains("<s>")
            && !c.text.contains("</s>")
            && !c.text.contains("<user>")
    }) {
        assert_eq!(tok.decode(&c.ids), c.text, "{:?}", c.ids);
    }
    // Byte-fallback tokens of a multi-byte character stream as one character.
    let ids = tok.encode("😀", false);
    let mut dec = tok.stream_decoder();
    let streamed: String = ids.iter().filter_map(|&i| dec.push(i)).collect();
    assert_eq!(
        streamed, " 😀",
        "the prefix space is only stripped by decode()"
    );
}
