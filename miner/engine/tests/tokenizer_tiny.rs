//! The tokenizer on the tiny model's vocabulary (no real model needed): special
//! tokens, BOS, merges, byte fallback for any UTF-8, streaming decode of split
//! code points, pre-tokenizer splits, and errors for unsupported vocabularies.
#![allow(clippy::unwrap_used, missing_docs)]

use infernet_engine::gguf::tiny::{TINY_IM_END, TINY_IM_START, TinyConfig, tiny_llama_bytes};
use infernet_engine::gguf::writer::GgufWriter;
use infernet_engine::gguf::{GgufFile, MetaValue};
use infernet_engine::tokenizer::{Tokenizer, TokenizerError, byte_to_char, char_to_byte};

fn tiny() -> Tokenizer {
    let file = GgufFile::from_bytes(tiny_llama_bytes(&TinyConfig::default(), 1).unwrap()).unwrap();
    Tokenizer::from_gguf(&file).unwrap()
}

#[test]
fn byte_alphabet_is_a_bijection() {
    let mut seen = std::collections::HashSet::new();
    for b in 0..=255u8 {
        let c = byte_to_char(b);
        assert!(seen.insert(c));
        assert_eq!(char_to_byte(c), Some(b));
    }
    assert_eq!(byte_to_char(b' '), 'Ġ');
    assert_eq!(byte_to_char(b'\n'), 'Ċ');
    assert_eq!(byte_to_char(b'A'), 'A');
    assert_eq!(char_to_byte('€'), None);
}

#[test]
fn specials_bos_and_merges() {
    let tok = tiny();
    assert_eq!(tok.vocab_size(), TinyConfig::default().vocab);
    assert_eq!(tok.bos_id(), Some(TINY_IM_START));
    assert_eq!(tok.eos_id(), Some(TINY_IM_END));
    assert!(tok.is_end_of_generation(TINY_IM_END));
    assert!(tok.is_end_of_generation(0), "<|endoftext|> ends generation");
    let ids = tok.encode("<|im_start|>user\nthe<|im_end|>", true);
    assert_eq!(ids[0], TINY_IM_START, "BOS");
    assert_eq!(ids[1], TINY_IM_START);
    assert_eq!(*ids.last().unwrap(), TINY_IM_END);
    // " the" is frequent in the training corpus: one merged token, the space
    // belonging to the word as the gpt2 pre-tokenizer splits it.
    let the = tok.encode(" the", false);
    assert_eq!(the.len(), 1);
    assert_eq!(tok.token_text(the[0]), Some("Ġthe"));
    assert!(tok.encode("the", false).len() > 1 || tok.token_id("the").is_some());
}

#[test]
fn any_utf8_round_trips_through_byte_tokens() {
    let tok = tiny();
    for text in [
        "naïve 日本 👨‍👩‍👧",
        "tabs\t\tand\n\nnewlines  ",
        "x=1; y = [1, 22, 333]",
        "",
    ] {
        let ids = tok.encode(text, false);
        assert_eq!(tok.decode(&ids), text);
    }
}

#[test]
fn stream_decoder_holds_split_code_points() {
    let tok = tiny();
    // "é" is two bytes: with no merge for it, two byte tokens.
    let ids = tok.encode("é", false);
    assert_eq!(ids.len(), 2);
    let mut dec = tok.stream_decoder();
    assert_eq!(dec.push(ids[0]), None);
    assert_eq!(dec.push(ids[1]).as_deref(), Some("é"));
    assert_eq!(dec.finish(), None);
    // A dangling lead byte is flushed as U+FFFD.
    let mut dec = tok.stream_decoder();
    assert_eq!(dec.push(ids[0]), None);
    assert_eq!(dec.finish().as_deref(), Some("\u{fffd}"));
    // Control tokens print nothing.
    assert_eq!(tok.stream_decoder().push(TINY_IM_END), None);
}

#[test]
fn digits_are_split_one_by_one() {
    let tok = tiny();
    // smollm pre-tokenizer: every digit is its own piece, so "2024" (a corpus
    // word) still becomes four tokens, and the space before it one more.
    let ids = tok.encode(" 2024", false);
    assert_eq!(ids.len(), 5);
    assert_eq!(tok.decode(&ids), " 2024");
}

#[test]
fn unsupported_vocabularies_are_errors() {
    let mut w = GgufWriter::new();
    w.add_metadata("tokenizer.ggml.model", MetaValue::String("bert".into()));
    let f = GgufFile::from_bytes(w.to_bytes()).unwrap();
    assert!(matches!(
        Tokenizer::from_gguf(&f),
        Err(TokenizerError::UnsupportedModel(_))
    ));

    let mut w = GgufWriter::new();
    w.add_metadata("tokenizer.ggml.model", MetaValue::String("gpt2".into()))
        .add_metadata(
            "tokenizer.ggml.tokens",
            MetaValue::Array(vec![MetaValue::String("hello".into())]),
        );
    let f = GgufFile::from_bytes(w.to_bytes()).unwrap();
    assert!(matches!(
        Tokenizer::from_gguf(&f),
        Err(TokenizerError::Vocab(_))
    ));

    let f = GgufFile::from_bytes(GgufWriter::new().to_bytes()).unwrap();
    assert!(matches!(
        Tokenizer::from_gguf(&f),
        Err(TokenizerError::Metadata(_))
    ));
}
