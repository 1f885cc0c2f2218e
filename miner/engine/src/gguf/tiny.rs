//! Generator of tiny Llama-architecture GGUF models for tests: random weights from
//! a fixed seed, a small byte-level BPE vocabulary trained on a fixed corpus, the
//! ChatML special tokens and a ChatML chat template — everything the real loader,
//! tokenizer, template and model read from a SmolLM2 file, at a size that runs the
//! whole path in milliseconds.

use std::collections::HashMap;
use std::path::Path;

use super::writer::{GgufWriter, WriteError};
use super::{GgmlType, MetaValue};
use crate::tokenizer::byte_to_char;

/// Shape and storage of a tiny model.
#[derive(Debug, Clone, PartialEq)]
pub struct TinyConfig {
    /// Vocabulary size: at least [`MIN_TINY_VOCAB`] (3 specials + 256 byte tokens);
    /// the rest are BPE merges (then unused filler tokens if the corpus runs out).
    pub vocab: usize,
    /// Embedding width (`llama.embedding_length`).
    pub hidden: usize,
    /// Number of decoder blocks.
    pub layers: usize,
    /// Attention heads.
    pub heads: usize,
    /// Key/value heads (grouped-query attention when below `heads`).
    pub kv_heads: usize,
    /// Feed-forward width.
    pub ff: usize,
    /// Context length.
    pub ctx: usize,
    /// RoPE base frequency.
    pub rope_base: f32,
    /// RMSNorm epsilon.
    pub eps: f32,
    /// Tie the output projection to the token embeddings (no `output.weight`).
    pub tied: bool,
    /// Storage type of the 2-D weight matrices (norms are always F32). Quantized
    /// types need `hidden`, `ff` and `heads × head_dim` to be multiples of 32.
    pub dtype: GgmlType,
}

/// Smallest vocabulary a tiny model can have: 3 special tokens and 256 byte tokens.
pub const MIN_TINY_VOCAB: usize = 3 + 256;

/// Id of `<|endoftext|>` in a tiny model.
pub const TINY_ENDOFTEXT: u32 = 0;
/// Id of `<|im_start|>` in a tiny model (also its BOS token, as in SmolLM2).
pub const TINY_IM_START: u32 = 1;
/// Id of `<|im_end|>` in a tiny model (its EOS token, as in SmolLM2).
pub const TINY_IM_END: u32 = 2;

/// The tiny model's chat template (ChatML, as SmolLM2's without the default system prompt).
pub const TINY_CHAT_TEMPLATE: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// Text the tiny vocabulary's merges are trained on.
const CORPUS: &str = "the quick brown fox jumps over the lazy dog. hello world! \
    hello there, how are you today? i am fine, thank you. the user asks and the assistant answers. \
    a blockchain is a list of blocks linked by hashes. infernet encrypts prompts for private inference. \
    the model reads the prompt, then writes the answer one token at a time. \
    system user assistant message content role explain what why when where which who \
    one two three four five six seven eight nine ten 0123456789 100 2024 \
    def main(): return 0 fn main() { println!(\"hello\"); } let x = 1; if x == 1 { x += 2; } \
    this that these those with without within about above below between during before after \
    sentence paragraph language model tokenizer template generation sampling greedy decoding";

impl Default for TinyConfig {
    fn default() -> Self {
        Self {
            vocab: 384,
            hidden: 64,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            ff: 128,
            ctx: 256,
            rope_base: 10_000.0,
            eps: 1e-5,
            tied: true,
            dtype: GgmlType::F32,
        }
    }
}

/// A small deterministic PRNG (SplitMix64), so the generator needs no RNG crate
/// and its output never changes with a dependency upgrade.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// The tiny vocabulary: tokens, their GGUF token types and the merges, in id order.
pub struct TinyVocab {
    /// Token strings (byte-level BPE alphabet).
    pub tokens: Vec<String>,
    /// GGUF token types (1 normal, 3 control, 5 unused).
    pub token_types: Vec<i32>,
    /// Merges as `"left right"`, by rank.
    pub merges: Vec<String>,
}

/// Builds the tiny vocabulary of `vocab` tokens (deterministic).
pub fn tiny_vocab(vocab: usize) -> TinyVocab {
    let mut tokens: Vec<String> = vec![
        "<|endoftext|>".into(),
        "<|im_start|>".into(),
        "<|im_end|>".into(),
    ];
    let mut token_types = vec![3, 3, 3];
    for b in 0..=255u8 {
        tokens.push(byte_to_char(b).to_string());
        token_types.push(1);
    }
    let mut merges = Vec::new();

    // Words as sequences of byte-level symbols; a space attaches to the next word
    // (as the gpt2 pre-tokenizer does).
    let mut words: Vec<(Vec<String>, usize)> = Vec::new();
    {
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut order = Vec::new();
        for (i, w) in CORPUS.split(' ').enumerate() {
            if w.is_empty() {
                continue;
            }
            let w = if i == 0 {
                w.to_owned()
            } else {
                format!(" {w}")
            };
            let c = counts.entry(w.clone()).or_insert(0);
            if *c == 0 {
                order.push(w);
            }
            *c += 1;
        }
        for w in order {
            let syms = w.bytes().map(|b| byte_to_char(b).to_string()).collect();
            let c = counts[&w];
            words.push((syms, c));
        }
    }

    while tokens.len() < vocab {
        // Most frequent adjacent pair; ties go to the lexicographically smallest.
        let mut pairs: HashMap<(&str, &str), usize> = HashMap::new();
        for (syms, c) in &words {
            for p in syms.windows(2) {
                *pairs.entry((p[0].as_str(), p[1].as_str())).or_insert(0) += c;
            }
        }
        let Some((best, _)) = pairs
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        else {
            break;
        };
        let (l, r) = (best.0.to_owned(), best.1.to_owned());
        let merged = format!("{l}{r}");
        for (syms, _) in &mut words {
            let mut i = 0;
            while i + 1 < syms.len() {
                if syms[i] == l && syms[i + 1] == r {
                    syms[i] = merged.clone();
                    syms.remove(i + 1);
                }
                i += 1;
            }
        }
        merges.push(format!("{l} {r}"));
        tokens.push(merged);
        token_types.push(1);
    }
    let mut n = 0;
    while tokens.len() < vocab {
        tokens.push(format!("<unused{n}>"));
        token_types.push(5);
        n += 1;
    }
    TinyVocab {
        tokens,
        token_types,
        merges,
    }
}

/// Errors from [`write_tiny_llama`] / [`tiny_llama_bytes`].
#[derive(Debug, thiserror::Error)]
pub enum TinyError {
    /// The configuration is inconsistent.
    #[error("invalid tiny model config: {0}")]
    Config(String),
    /// Building or writing the file failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Writes a tiny Llama GGUF model to `path`.
pub fn write_tiny_llama(path: &Path, cfg: &TinyConfig, seed: u64) -> Result<(), TinyError> {
    let w = tiny_llama_writer(cfg, seed)?;
    w.write(path).map_err(WriteError::Io)?;
    Ok(())
}

/// The bytes of a tiny Llama GGUF model.
pub fn tiny_llama_bytes(cfg: &TinyConfig, seed: u64) -> Result<Vec<u8>, TinyError> {
    Ok(tiny_llama_writer(cfg, seed)?.to_bytes())
}

fn tiny_llama_writer(cfg: &TinyConfig, seed: u64) -> Result<GgufWriter, TinyError> {
    let bad = |m: &str| Err(TinyError::Config(m.to_owned()));
    if cfg.vocab < MIN_TINY_VOCAB {
        return bad("vocab must be at least 259 (3 specials + 256 bytes)");
    }
    if cfg.heads == 0 || cfg.kv_heads == 0 || !cfg.heads.is_multiple_of(cfg.kv_heads) {
        return bad("heads must be a positive multiple of kv_heads");
    }
    if !cfg.hidden.is_multiple_of(cfg.heads) || !(cfg.hidden / cfg.heads).is_multiple_of(2) {
        return bad("hidden must be heads × an even head dimension");
    }
    if cfg.layers == 0 || cfg.ff == 0 || cfg.ctx == 0 {
        return bad("layers, ff and ctx must be positive");
    }
    let head_dim = cfg.hidden / cfg.heads;
    let kv_dim = head_dim * cfg.kv_heads;
    let u = |v: usize| MetaValue::U32(v as u32);

    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", MetaValue::String("llama".into()))
        .add_metadata("general.name", MetaValue::String("tiny-llama-test".into()))
        .add_metadata("general.alignment", MetaValue::U32(32))
        .add_metadata("llama.vocab_size", u(cfg.vocab))
        .add_metadata("llama.context_length", u(cfg.ctx))
        .add_metadata("llama.embedding_length", u(cfg.hidden))
        .add_metadata("llama.block_count", u(cfg.layers))
        .add_metadata("llama.feed_forward_length", u(cfg.ff))
        .add_metadata("llama.attention.head_count", u(cfg.heads))
        .add_metadata("llama.attention.head_count_kv", u(cfg.kv_heads))
        .add_metadata("llama.rope.dimension_count", u(head_dim))
        .add_metadata("llama.rope.freq_base", MetaValue::F32(cfg.rope_base))
        .add_metadata(
            "llama.attention.layer_norm_rms_epsilon",
            MetaValue::F32(cfg.eps),
        );

    let v = tiny_vocab(cfg.vocab);
    let strings =
        |xs: Vec<String>| MetaValue::Array(xs.into_iter().map(MetaValue::String).collect());
    w.add_metadata("tokenizer.ggml.model", MetaValue::String("gpt2".into()))
        .add_metadata("tokenizer.ggml.pre", MetaValue::String("smollm".into()))
        .add_metadata("tokenizer.ggml.tokens", strings(v.tokens))
        .add_metadata(
            "tokenizer.ggml.token_type",
            MetaValue::Array(v.token_types.into_iter().map(MetaValue::I32).collect()),
        )
        .add_metadata("tokenizer.ggml.merges", strings(v.merges))
        .add_metadata("tokenizer.ggml.bos_token_id", MetaValue::U32(TINY_IM_START))
        .add_metadata("tokenizer.ggml.eos_token_id", MetaValue::U32(TINY_IM_END))
        .add_metadata(
            "tokenizer.ggml.unknown_token_id",
            MetaValue::U32(TINY_ENDOFTEXT),
        )
        .add_metadata(
            "tokenizer.ggml.padding_token_id",
            MetaValue::U32(TINY_IM_END),
        )
        .add_metadata("tokenizer.ggml.add_bos_token", MetaValue::Bool(false))
        .add_metadata(
            "tokenizer.chat_template",
            MetaValue::String(TINY_CHAT_TEMPLATE.into()),
        );

    let mut rng = SplitMix64(seed);
    // Uniform weights with variance 1/fan_in, so activations stay O(1).
    let mut matrix = |cols: usize, rows: usize| -> Vec<f32> {
        let a = (3.0 / cols as f32).sqrt();
        (0..cols * rows).map(|_| rng.uniform() * a).collect()
    };
    let d = |x: usize| x as u64;
    let mut mats: Vec<(String, usize, usize)> = Vec::new();
    mats.push(("token_embd.weight".into(), cfg.hidden, cfg.vocab));
    for i in 0..cfg.layers {
        mats.push((format!("blk.{i}.attn_q.weight"), cfg.hidden, cfg.hidden));
        mats.push((format!("blk.{i}.attn_k.weight"), cfg.hidden, kv_dim));
        mats.push((format!("blk.{i}.attn_v.weight"), cfg.hidden, kv_dim));
        mats.push((
            format!("blk.{i}.attn_output.weight"),
            cfg.hidden,
            cfg.hidden,
        ));
        mats.push((format!("blk.{i}.ffn_gate.weight"), cfg.hidden, cfg.ff));
        mats.push((format!("blk.{i}.ffn_up.weight"), cfg.hidden, cfg.ff));
        mats.push((format!("blk.{i}.ffn_down.weight"), cfg.ff, cfg.hidden));
    }
    if !cfg.tied {
        mats.push(("output.weight".into(), cfg.hidden, cfg.vocab));
    }
    for (name, cols, rows) in &mats {
        let data = matrix(*cols, *rows);
        w.add_tensor(name, &[d(*cols), d(*rows)], cfg.dtype, &data)?;
    }
    let mut norm = |n: usize| -> Vec<f32> { (0..n).map(|_| 1.0 + 0.1 * rng.uniform()).collect() };
    for i in 0..cfg.layers {
        w.add_tensor_f32(
            &format!("blk.{i}.attn_norm.weight"),
            &[d(cfg.hidden)],
            &norm(cfg.hidden),
        )?;
        w.add_tensor_f32(
            &format!("blk.{i}.ffn_norm.weight"),
            &[d(cfg.hidden)],
            &norm(cfg.hidden),
        )?;
    }
    w.add_tensor_f32("output_norm.weight", &[d(cfg.hidden)], &norm(cfg.hidden))?;
    Ok(w)
}
