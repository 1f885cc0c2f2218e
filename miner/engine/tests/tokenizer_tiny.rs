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

/// Deterministic test data (xorshift64*).
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Textbook BPE on one pre-tokenized word: repeatedly merge the adjacent pair with
/// the lowest merge rank (leftmost on ties) until none applies.
fn naive_bpe(
    word: &str,
    ranks: &std::collections::HashMap<(String, String), usize>,
) -> Vec<String> {
    let mut syms: Vec<String> = word.bytes().map(|b| byte_to_char(b).to_string()).collect();
    loop {
        let best = (0..syms.len().saturating_sub(1))
            .filter_map(|i| {
                ranks
                    .get(&(syms[i].clone(), syms[i + 1].clone()))
                    .map(|&r| (r, i))
            })
            .min();
        let Some((_, i)) = best else { return syms };
        let right = syms.remove(i + 1);
        syms[i].push_str(&right);
    }
}

#[test]
fn heap_bpe_equals_textbook_bpe() {
    let bytes = tiny_llama_bytes(&TinyConfig::default(), 1).unwrap();
    let file = GgufFile::from_bytes(bytes).unwrap();
    let tok = Tokenizer::from_gguf(&file).unwrap();
    let ranks: std::collections::HashMap<(String, String), usize> = file
        .metadata()
        .strings("tokenizer.ggml.merges")
        .unwrap()
        .iter()
        .enumerate()
        .map(|(r, m)| {
            let (a, b) = m.split_once(' ').unwrap();
            ((a.to_owned(), b.to_owned()), r)
        })
        .collect();
    assert!(ranks.len() > 100);
    // Letters only, optionally after one space: exactly one gpt2 piece.
    let alphabet = b"etaoinshrdlucmwfgypbvkxqj";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let len = 1 + next(&mut state) % 14;
        let mut word = String::new();
        if next(&mut state).is_multiple_of(2) {
            word.push(' ');
        }
        for _ in 0..len {
            word.push(char::from(alphabet[(next(&mut state) % 25) as usize]));
        }
        let expected: Vec<u32> = naive_bpe(&word, &ranks)
            .iter()
            .map(|s| tok.token_id(s).unwrap())
            .collect();
        assert_eq!(tok.encode(&word, false), expected, "{word:?}");
    }
}

#[test]
fn random_unicode_round_trips() {
    let tok = tiny();
    let ranges: [(u32, u32); 6] = [
        (0x20, 0x7f),
        (0x09, 0x0e),
        (0xa0, 0x250),
        (0x3040, 0x30ff),
        (0x4e00, 0x4f00),
        (0x1f300, 0x1f64f),
    ];
    let mut state = 42u64;
    for _ in 0..500 {
        let len = next(&mut state) % 40;
        let text: String = (0..len)
            .filter_map(|_| {
                let (lo, hi) = ranges[(next(&mut state) % 6) as usize];
                char::from_u32(lo + (next(&mut state) % u64::from(hi - lo)) as u32)
            })
            .collect();
        let ids = tok.encode(&text, false);
        assert_eq!(tok.decode(&ids), text);
        let mut dec = tok.stream_decoder();
        let mut streamed: String = ids.iter().filter_map(|&i| dec.push(i)).collect();
        streamed.extend(dec.finish());
        assert_eq!(streamed, text);
    }
}
