//! The tokenizer described by a GGUF file's `tokenizer.ggml.*` metadata: gpt2-style
//! byte-level BPE (`tokenizer.ggml.model = gpt2`, SmolLM2, Llama 3) with llama.cpp's
//! pre-tokenizers, SentencePiece-style BPE with byte fallback (`llama`, TinyLlama),
//! special-token parsing, BOS/EOS flags, decoding and streaming decoding.
//!
//! The goal is token-for-token parity with llama.cpp on the same file, so the
//! algorithms follow llama.cpp (`llama-vocab.cpp`, `unicode.cpp`): special tokens
//! (control and user-defined) are cut out of the text first, longest first; each
//! remaining fragment is split by the pre-tokenizer (for `smollm`: every digit on
//! its own, then the GPT-2 pattern); each piece is byte-encoded and merged by rank.
//! SentencePiece vocabularies instead merge adjacent characters by token score
//! after prefixing a space and writing spaces as `▁`, and fall back to `<0xAB>`
//! byte tokens for characters outside the vocabulary.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::gguf::{GgufError, GgufFile, MetaValue};

/// Errors from building a tokenizer from GGUF metadata.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// A required metadata key is missing or has the wrong type.
    #[error("tokenizer metadata: {0}")]
    Metadata(#[from] GgufError),
    /// `tokenizer.ggml.model` names a tokenizer this engine does not implement.
    #[error(
        "tokenizer model {0:?} is not supported (supported: \"gpt2\" byte-level BPE, \"llama\" SentencePiece BPE)"
    )]
    UnsupportedModel(String),
    /// `tokenizer.ggml.pre` names a pre-tokenizer this engine does not implement.
    #[error(
        "pre-tokenizer {0:?} is not supported (supported: gpt-2, mpt, olmo, jais, smollm, starcoder, refact, command-r, codeshell, exaone, minerva-7b, llama-bpe, llama3, llama-v3, falcon3)"
    )]
    UnsupportedPre(String),
    /// The vocabulary is inconsistent (sizes, missing byte tokens, bad ids).
    #[error("invalid tokenizer vocabulary: {0}")]
    Vocab(String),
}

/// GGUF token types (`tokenizer.ggml.token_type`), as llama.cpp defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// Not set in the file.
    Undefined,
    /// A regular token.
    Normal,
    /// The unknown token.
    Unknown,
    /// A control token (BOS, EOS, chat markers): parsed in text, not printed.
    Control,
    /// A user-defined token: parsed in text and printed as is.
    UserDefined,
    /// An unused slot.
    Unused,
    /// A byte-fallback token (`<0xAB>`, SentencePiece vocabularies).
    Byte,
}

impl TokenType {
    fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Normal,
            2 => Self::Unknown,
            3 => Self::Control,
            4 => Self::UserDefined,
            5 => Self::Unused,
            6 => Self::Byte,
            _ => Self::Undefined,
        }
    }
}

/// The tokenization algorithm.
#[derive(Debug, Clone, PartialEq)]
enum Algorithm {
    /// gpt2-style byte-level BPE with merge ranks.
    ByteLevelBpe,
    /// SentencePiece BPE: merges by token score, `▁` for spaces, byte fallback.
    SentencePiece {
        /// Score of each token (higher merges first).
        scores: Vec<f32>,
        /// Prefix a space to text that starts the input or follows a special token.
        add_space_prefix: bool,
    },
}

/// How text is split into pieces before BPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PreTokenizer {
    /// The GPT-2 pattern alone.
    Gpt2,
    /// Every digit on its own, then the GPT-2 pattern (smollm, starcoder, refact, …).
    DigitsThenGpt2,
    /// The Llama 3 pattern (numbers in groups of up to three, case-insensitive
    /// contractions, newlines kept apart); whole words found in the vocabulary
    /// skip the merges (llama.cpp's `ignore_merges`).
    Llama3,
}

const BYTE_PRINTABLE: fn(u8) -> bool = |b| matches!(b, 0x21..=0x7e | 0xa1..=0xac | 0xae..=0xff);

/// The byte-level BPE alphabet: the printable character that stands for byte `b`
/// in gpt2-style vocabularies (printable Latin-1 bytes map to themselves, the
/// others to code points from U+0100 up, in byte order).
pub fn byte_to_char(b: u8) -> char {
    if BYTE_PRINTABLE(b) {
        return char::from(b);
    }
    let n = (0..b).filter(|&x| !BYTE_PRINTABLE(x)).count() as u32;
    char::from_u32(256 + n).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The inverse of [`byte_to_char`].
pub fn char_to_byte(c: char) -> Option<u8> {
    let cp = u32::from(c);
    if cp < 256 {
        let b = cp as u8;
        return BYTE_PRINTABLE(b).then_some(b);
    }
    let n = cp.checked_sub(256)? as usize;
    (0..=255u8).filter(|&x| !BYTE_PRINTABLE(x)).nth(n)
}

/// Marks a byte with no token in the vocabulary (never a valid id: vocabularies
/// are capped at `u32::MAX / 2`).
const NO_TOKEN: u32 = u32::MAX;

/// Control-token texts that end a turn in the chat formats llama.cpp knows.
const EOG_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
];

/// A byte-level BPE tokenizer built from GGUF metadata.
pub struct Tokenizer {
    tokens: Vec<String>,
    types: Vec<TokenType>,
    token_to_id: HashMap<String, u32>,
    /// `(left id, right id) → (rank, merged id)`.
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// Token id of each byte's alphabet character ([`NO_TOKEN`] when absent).
    byte_ids: [u32; 256],
    /// Control / user-defined / unknown tokens, longest text first.
    specials: Vec<u32>,
    pre: PreTokenizer,
    algorithm: Algorithm,
    unk: Option<u32>,
    bos: Option<u32>,
    eos: Option<u32>,
    add_bos: bool,
    eog: Vec<u32>,
    letter: regex::Regex,
    unassigned: regex::Regex,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.tokens.len())
            .field("merges", &self.merges.len())
            .field("pre", &self.pre)
            .field("bos", &self.bos)
            .field("eos", &self.eos)
            .finish_non_exhaustive()
    }
}

fn optional_id(file: &GgufFile, key: &str, n: usize) -> Result<Option<u32>, TokenizerError> {
    let md = file.metadata();
    if md.get(key).is_none() {
        return Ok(None);
    }
    // llama.cpp writes -1 (as u32::MAX in some converters) for "none".
    match md.get(key).and_then(MetaValue::as_i128) {
        Some(v) if v < 0 || v == i128::from(u32::MAX) => Ok(None),
        Some(v) if (v as u128) < n as u128 => Ok(Some(v as u32)),
        Some(v) => Err(TokenizerError::Vocab(format!(
            "{key} = {v} is outside the vocabulary of {n} tokens"
        ))),
        None => Err(GgufError::WrongType {
            key: key.to_owned(),
            expected: "an integer token id",
            found: md
                .get(key)
                .map_or("nothing", MetaValue::type_name)
                .to_owned(),
        }
        .into()),
    }
}

impl Tokenizer {
    /// Builds the tokenizer from `tokenizer.ggml.*` metadata.
    pub fn from_gguf(file: &GgufFile) -> Result<Self, TokenizerError> {
        let md = file.metadata();
        let model = md.str("tokenizer.ggml.model")?;
        let spm = match model {
            "gpt2" => false,
            "llama" => true,
            other => return Err(TokenizerError::UnsupportedModel(other.to_owned())),
        };
        let pre = match md.get("tokenizer.ggml.pre") {
            _ if spm => PreTokenizer::Gpt2,
            // Files from before `tokenizer.ggml.pre` existed: the GPT-2 pattern (an
            // approximation of llama.cpp's legacy "default" splitting).
            None => PreTokenizer::Gpt2,
            Some(_) => match md.str("tokenizer.ggml.pre")? {
                "gpt-2" | "mpt" | "olmo" | "jais" => PreTokenizer::Gpt2,
                "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone"
                | "minerva-7b" => PreTokenizer::DigitsThenGpt2,
                "llama3" | "llama-v3" | "llama-bpe" | "falcon3" => PreTokenizer::Llama3,
                other => return Err(TokenizerError::UnsupportedPre(other.to_owned())),
            },
        };
        let tokens: Vec<String> = md
            .strings("tokenizer.ggml.tokens")?
            .into_iter()
            .map(str::to_owned)
            .collect();
        let n = tokens.len();
        if n == 0 || n > u32::MAX as usize / 2 {
            return Err(TokenizerError::Vocab(format!("{n} tokens")));
        }
        let types: Vec<TokenType> = match md.get("tokenizer.ggml.token_type") {
            None => vec![TokenType::Normal; n],
            Some(_) => {
                let t = md.ints("tokenizer.ggml.token_type")?;
                if t.len() != n {
                    return Err(TokenizerError::Vocab(format!(
                        "{} token types for {n} tokens",
                        t.len()
                    )));
                }
                t.into_iter().map(TokenType::from_code).collect()
            }
        };
        let mut token_to_id = HashMap::with_capacity(n);
        for (i, t) in tokens.iter().enumerate() {
            // On duplicates the first id wins, as in llama.cpp.
            token_to_id.entry(t.clone()).or_insert(i as u32);
        }
        // Some vocabularies (SmolLM2's among them) lack tokens for a few control
        // bytes; llama.cpp drops such bytes from the output, and so do we.
        let mut byte_ids = [NO_TOKEN; 256];
        for b in 0..=255u8 {
            let text = if spm {
                format!("<0x{b:02X}>")
            } else {
                byte_to_char(b).to_string()
            };
            if let Some(&id) = token_to_id.get(&text) {
                byte_ids[b as usize] = id;
            }
        }
        if !spm && byte_ids.iter().all(|&id| id == NO_TOKEN) {
            return Err(TokenizerError::Vocab(
                "no byte-level tokens: this is not a gpt2-style byte-level BPE vocabulary".into(),
            ));
        }
        let merge_strings = match md.get("tokenizer.ggml.merges") {
            None => Vec::new(),
            Some(_) => md.strings("tokenizer.ggml.merges")?,
        };
        let mut merges = HashMap::with_capacity(merge_strings.len());
        for (rank, m) in merge_strings.iter().enumerate() {
            // Split at the first space after the first character (a token never
            // contains a plain space in byte-level BPE, but be exact as llama.cpp).
            let split = m
                .char_indices()
                .skip(1)
                .find(|&(_, c)| c == ' ')
                .map(|(i, _)| i)
                .ok_or_else(|| {
                    TokenizerError::Vocab(format!("merge #{rank} {m:?} has no space"))
                })?;
            let (l, r) = (&m[..split], &m[split + 1..]);
            let (Some(&li), Some(&ri)) = (token_to_id.get(l), token_to_id.get(r)) else {
                continue;
            };
            let Some(&mi) = token_to_id.get(&format!("{l}{r}")) else {
                continue;
            };
            merges.entry((li, ri)).or_insert((rank as u32, mi));
        }
        let mut specials: Vec<u32> = (0..n as u32)
            .filter(|&i| {
                matches!(
                    types[i as usize],
                    TokenType::Control | TokenType::UserDefined | TokenType::Unknown
                ) && !tokens[i as usize].is_empty()
            })
            .collect();
        specials.sort_by_key(|&i| Reverse(tokens[i as usize].len()));

        let bos = optional_id(file, "tokenizer.ggml.bos_token_id", n)?;
        let eos = optional_id(file, "tokenizer.ggml.eos_token_id", n)?;
        let unk = optional_id(file, "tokenizer.ggml.unknown_token_id", n)?;
        let add_bos = match md.get("tokenizer.ggml.add_bos_token") {
            // llama.cpp's defaults: SentencePiece models add BOS, gpt2 ones do not.
            None => spm,
            Some(_) => md.bool("tokenizer.ggml.add_bos_token")?,
        };
        let mut eog: Vec<u32> = Vec::new();
        eog.extend(eos);
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            eog.extend(optional_id(file, key, n)?);
        }
        for (i, t) in tokens.iter().enumerate() {
            if types[i] == TokenType::Control && EOG_TEXTS.contains(&t.as_str()) {
                eog.push(i as u32);
            }
        }
        eog.sort_unstable();
        eog.dedup();

        let algorithm = if spm {
            let scores = match md.get("tokenizer.ggml.scores") {
                None => vec![0.0; n],
                Some(_) => {
                    let s: Vec<f32> = md
                        .array("tokenizer.ggml.scores")?
                        .iter()
                        .map(|v| v.as_f64().map_or(0.0, |f| f as f32))
                        .collect();
                    if s.len() != n {
                        return Err(TokenizerError::Vocab(format!(
                            "{} token scores for {n} tokens",
                            s.len()
                        )));
                    }
                    s
                }
            };
            let add_space_prefix = match md.get("tokenizer.ggml.add_space_prefix") {
                None => true,
                Some(_) => md.bool("tokenizer.ggml.add_space_prefix")?,
            };
            Algorithm::SentencePiece {
                scores,
                add_space_prefix,
            }
        } else {
            Algorithm::ByteLevelBpe
        };
        let letter =
            regex::Regex::new(r"\p{L}+").map_err(|e| TokenizerError::Vocab(e.to_string()))?;
        let unassigned =
            regex::Regex::new(r"\p{Cn}+").map_err(|e| TokenizerError::Vocab(e.to_string()))?;
        Ok(Self {
            tokens,
            types,
            token_to_id,
            merges,
            byte_ids,
            specials,
            pre,
            algorithm,
            unk,
            bos,
            eos,
            add_bos,
            eog,
            letter,
            unassigned,
        })
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The BOS token, if the file names one.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    /// The EOS token, if the file names one.
    pub fn eos_id(&self) -> Option<u32> {
        self.eos
    }

    /// Whether the model wants BOS prepended (`tokenizer.ggml.add_bos_token`; when
    /// absent, true for SentencePiece models and false for gpt2 ones, as llama.cpp).
    pub fn add_bos_default(&self) -> bool {
        self.add_bos
    }

    /// Whether generating `id` ends the turn (EOS, EOT, or a known end-of-turn control token).
    pub fn is_end_of_generation(&self, id: u32) -> bool {
        self.eog.binary_search(&id).is_ok()
    }

    /// The token's text as stored in the vocabulary (byte-level alphabet for normal tokens).
    pub fn token_text(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The token's type.
    pub fn token_type(&self, id: u32) -> Option<TokenType> {
        self.types.get(id as usize).copied()
    }

    /// The id of a token with exactly this vocabulary text.
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.token_to_id.get(text).copied()
    }

    /// Tokenizes `text`. Special-token text (e.g. `<|im_start|>`) becomes the special
    /// token, as llama.cpp does with `parse_special = true`; BOS is prepended when
    /// `add_bos` and the model has one.
    pub fn encode(&self, text: &str, add_bos: bool) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        if add_bos && let Some(b) = self.bos {
            out.push(b);
        }
        // SentencePiece: text that starts the input or follows a special token
        // gets a space prefix (llama.cpp's `is_prev_special`).
        let mut after_special = true;
        for frag in self.partition_specials(text) {
            match frag {
                Fragment::Token(id) => {
                    out.push(id);
                    after_special = true;
                }
                // llama.cpp keeps no empty fragments (an empty text gives no tokens).
                Fragment::Text("") => {}
                Fragment::Text(t) => {
                    match &self.algorithm {
                        Algorithm::ByteLevelBpe => self.encode_fragment(t, &mut out),
                        Algorithm::SentencePiece {
                            scores,
                            add_space_prefix,
                        } => self.spm_fragment(
                            t,
                            *add_space_prefix && after_special,
                            scores,
                            &mut out,
                        ),
                    }
                    after_special = false;
                }
            }
        }
        out
    }

    /// SentencePiece BPE of one text fragment: characters are merged pairwise,
    /// the pair whose concatenation is the highest-scoring token first (leftmost on
    /// ties); what is left unmerged and outside the vocabulary becomes byte tokens.
    fn spm_fragment(&self, text: &str, prefix_space: bool, scores: &[f32], out: &mut Vec<u32>) {
        let mut s = String::with_capacity(text.len() + 3);
        if prefix_space {
            s.push(' ');
        }
        s.push_str(text);
        let s = s.replace(' ', "\u{2581}");
        let start: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        let n = start.len();
        if n == 0 {
            return;
        }
        let mut len: Vec<usize> = s.chars().map(char::len_utf8).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut next: Vec<usize> = (1..=n).collect();
        let mut heap: BinaryHeap<SpmBigram> = BinaryHeap::new();
        let try_add = |heap: &mut BinaryHeap<SpmBigram>, len: &[usize], l: usize, r: usize| {
            if l >= n || r >= n {
                return;
            }
            let size = len[l] + len[r];
            let Some(&id) = self.token_to_id.get(&s[start[l]..start[l] + size]) else {
                return;
            };
            heap.push(SpmBigram {
                score: scores.get(id as usize).copied().unwrap_or(0.0),
                left: l,
                right: r,
                size,
            });
        };
        for i in 1..n {
            try_add(&mut heap, &len, i - 1, i);
        }
        while let Some(b) = heap.pop() {
            let (l, r) = (b.left, b.right);
            // Skip stale pairs: a side was merged into something else since.
            if len[l] == 0 || len[r] == 0 || len[l] + len[r] != b.size {
                continue;
            }
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if next[r] < n {
                prev[next[r]] = l;
            }
            try_add(&mut heap, &len, prev[l], l);
            try_add(&mut heap, &len, l, next[l]);
        }
        let mut i = 0;
        while i < n {
            let piece = &s[start[i]..start[i] + len[i]];
            match self.token_to_id.get(piece) {
                Some(&id) => out.push(id),
                None => {
                    for &b in piece.as_bytes() {
                        match self.byte_ids[b as usize] {
                            NO_TOKEN => out.extend(self.unk),
                            id => out.push(id),
                        }
                    }
                }
            }
            i = next[i];
        }
    }

    /// Cuts special tokens out of `text` (longest special first, as llama.cpp).
    fn partition_specials<'t>(&self, text: &'t str) -> Vec<Fragment<'t>> {
        let mut frags = vec![Fragment::Text(text)];
        for &id in &self.specials {
            let special = self.tokens[id as usize].as_str();
            if !text.contains(special) {
                continue;
            }
            let mut next = Vec::with_capacity(frags.len() + 2);
            for f in frags {
                match f {
                    Fragment::Text(t) if t.contains(special) => {
                        let mut rest = t;
                        while let Some(at) = rest.find(special) {
                            if at > 0 {
                                next.push(Fragment::Text(&rest[..at]));
                            }
                            next.push(Fragment::Token(id));
                            rest = &rest[at + special.len()..];
                        }
                        if !rest.is_empty() {
                            next.push(Fragment::Text(rest));
                        }
                    }
                    other => next.push(other),
                }
            }
            frags = next;
        }
        frags
    }

    fn encode_fragment(&self, text: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = text.chars().collect();
        let flags = self.char_flags(text, &chars);
        let mut pieces: Vec<(usize, usize)> = Vec::new();
        match self.pre {
            PreTokenizer::Gpt2 => gpt2_split(&chars, &flags, 0, chars.len(), &mut pieces),
            PreTokenizer::Llama3 => llama3_split(&chars, &flags, &mut pieces),
            PreTokenizer::DigitsThenGpt2 => {
                // `\p{N}`: each number character is a piece of its own; the text
                // between them is split further by the GPT-2 pattern.
                let mut start = 0;
                for i in 0..chars.len() {
                    if flags[i].number {
                        gpt2_split(&chars, &flags, start, i, &mut pieces);
                        pieces.push((i, i + 1));
                        start = i + 1;
                    }
                }
                gpt2_split(&chars, &flags, start, chars.len(), &mut pieces);
            }
        }
        let mut buf = [0u8; 4];
        let mut bytes = Vec::new();
        let ignore_merges = self.pre == PreTokenizer::Llama3;
        let mut word = String::new();
        for (s, e) in pieces {
            bytes.clear();
            for c in &chars[s..e] {
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            if ignore_merges {
                word.clear();
                word.extend(bytes.iter().map(|&b| byte_to_char(b)));
                if let Some(&id) = self.token_to_id.get(&word) {
                    out.push(id);
                    continue;
                }
            }
            self.bpe(&bytes, out);
        }
    }

    /// Unicode classes of every character of `text`, as llama.cpp's flags.
    fn char_flags(&self, text: &str, chars: &[char]) -> Vec<Flags> {
        let mut flags: Vec<Flags> = chars
            .iter()
            .map(|&c| Flags {
                letter: false,
                number: c.is_numeric(),
                whitespace: c.is_whitespace(),
                assigned: true,
            })
            .collect();
        if chars.iter().any(|c| !c.is_ascii()) {
            // Byte offset of each char, to map regex matches (runs) to char indices.
            let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let mut mark = |re: &regex::Regex, set: fn(&mut Flags)| {
                for m in re.find_iter(text) {
                    let Ok(first) = starts.binary_search(&m.start()) else {
                        continue;
                    };
                    let last = starts.partition_point(|&b| b < m.end());
                    flags[first..last].iter_mut().for_each(set);
                }
            };
            mark(&self.letter, |f| f.letter = true);
            mark(&self.unassigned, |f| f.assigned = false);
        } else {
            for (f, c) in flags.iter_mut().zip(chars) {
                f.letter = c.is_ascii_alphabetic();
            }
        }
        flags
    }

    /// Byte-level BPE of one piece, appending token ids to `out`.
    fn bpe(&self, bytes: &[u8], out: &mut Vec<u32>) {
        if bytes.is_empty() {
            return;
        }
        if bytes.len() == 1 {
            out.extend(Some(self.byte_ids[bytes[0] as usize]).filter(|&i| i != NO_TOKEN));
            return;
        }
        // Symbols as a doubly linked list over positions; merged symbols keep the
        // left position. A heap holds candidate merges by (rank, left position).
        let n = bytes.len();
        let mut id: Vec<u32> = bytes.iter().map(|&b| self.byte_ids[b as usize]).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut next: Vec<usize> = (1..=n).collect();
        let mut alive = vec![true; n];
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<Reverse<(u32, usize, u32, u32)>>,
                    id: &[u32],
                    l: usize,
                    r: usize| {
            if let Some(&(rank, _)) = self.merges.get(&(id[l], id[r])) {
                heap.push(Reverse((rank, l, id[l], id[r])));
            }
        };
        for i in 0..n - 1 {
            push(&mut heap, &id, i, i + 1);
        }
        while let Some(Reverse((_, l, lid, rid))) = heap.pop() {
            let r = next[l];
            // Skip stale candidates: a side was merged away or changed since.
            if !alive[l] || r >= n || id[l] != lid || id[r] != rid {
                continue;
            }
            let Some(&(_, merged)) = self.merges.get(&(lid, rid)) else {
                continue;
            };
            id[l] = merged;
            alive[r] = false;
            next[l] = next[r];
            if next[l] < n {
                prev[next[l]] = l;
            }
            if prev[l] < n {
                push(&mut heap, &id, prev[l], l);
            }
            if next[l] < n {
                push(&mut heap, &id, l, next[l]);
            }
        }
        let mut i = 0;
        while i < n {
            if id[i] != NO_TOKEN {
                out.push(id[i]);
            }
            i = next[i];
        }
    }

    /// The bytes a token stands for when printed (control tokens print nothing).
    fn token_bytes(&self, id: u32, with_specials: bool, out: &mut Vec<u8>) {
        let Some(text) = self.tokens.get(id as usize) else {
            return;
        };
        let spm = matches!(self.algorithm, Algorithm::SentencePiece { .. });
        match self.types[id as usize] {
            TokenType::Normal | TokenType::Undefined if spm => {
                out.extend_from_slice(text.replace('\u{2581}', " ").as_bytes());
            }
            TokenType::Byte if spm => match parse_byte_token(text) {
                Some(b) => out.push(b),
                None => out.extend_from_slice(text.as_bytes()),
            },
            TokenType::Normal | TokenType::Undefined => {
                for c in text.chars() {
                    match char_to_byte(c) {
                        Some(b) => out.push(b),
                        None => {
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                }
            }
            TokenType::UserDefined => out.extend_from_slice(text.as_bytes()),
            TokenType::Control | TokenType::Unknown | TokenType::Unused | TokenType::Byte => {
                if with_specials {
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
    }

    /// Decodes `ids` to text; control tokens (BOS, EOS, chat markers) are left out,
    /// as llama.cpp does when not rendering specials. Invalid UTF-8 becomes U+FFFD.
    /// For SentencePiece models that prefix a space, the first token's leading space
    /// is removed (as llama.cpp's `llama_detokenize`).
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            let before = bytes.len();
            self.token_bytes(id, false, &mut bytes);
            if i == 0
                && matches!(
                    self.algorithm,
                    Algorithm::SentencePiece {
                        add_space_prefix: true,
                        ..
                    }
                )
                && bytes.get(before) == Some(&b' ')
            {
                bytes.remove(before);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Decodes `ids` to text, printing control tokens' text too.
    pub fn decode_with_specials(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            self.token_bytes(id, true, &mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// An incremental decoder for streaming generated tokens as text.
    pub fn stream_decoder(&self) -> StreamDecoder<'_> {
        StreamDecoder {
            tokenizer: self,
            pending: Vec::new(),
        }
    }
}

/// The byte of a SentencePiece byte token `<0xAB>`.
fn parse_byte_token(text: &str) -> Option<u8> {
    let hex = text.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

/// A candidate SentencePiece merge of symbols `left` and `right`.
struct SpmBigram {
    score: f32,
    left: usize,
    right: usize,
    /// Byte length of the merged text, to detect stale candidates.
    size: usize,
}

impl PartialEq for SpmBigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for SpmBigram {}
impl PartialOrd for SpmBigram {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SpmBigram {
    /// Max-heap order: higher score first, then the leftmost pair.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

enum Fragment<'t> {
    Text(&'t str),
    Token(u32),
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    letter: bool,
    number: bool,
    whitespace: bool,
    /// Has a Unicode category (not unassigned) or is whitespace.
    assigned: bool,
}

impl Flags {
    fn other(self) -> bool {
        !(self.whitespace || self.letter || self.number) && self.assigned
    }
}

/// llama.cpp's hand-written equivalent of the GPT-2 pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// over `chars[start..end]`, pushing `(start, end)` char ranges.
fn gpt2_split(
    chars: &[char],
    flags: &[Flags],
    start: usize,
    end: usize,
    out: &mut Vec<(usize, usize)>,
) {
    let none = Flags::default();
    let f = |i: usize| if i < end { flags[i] } else { none };
    let c = |i: usize| if i < end { Some(chars[i]) } else { None };
    let mut pos = start;
    while pos < end {
        let from = pos;
        let cpt = chars[pos];
        if cpt == '\'' && pos + 1 < end {
            let n1 = chars[pos + 1];
            if matches!(n1, 's' | 't' | 'm' | 'd') {
                out.push((from, pos + 2));
                pos += 2;
                continue;
            }
            if pos + 2 < end {
                let n2 = chars[pos + 2];
                if matches!((n1, n2), ('r', 'e') | ('v', 'e') | ('l', 'l')) {
                    out.push((from, pos + 3));
                    pos += 3;
                    continue;
                }
            }
        }
        let f2 = if cpt == ' ' { f(pos + 1) } else { f(pos) };
        let class: Option<fn(Flags) -> bool> = if f2.letter {
            Some(|x| x.letter)
        } else if f2.number {
            Some(|x| x.number)
        } else if f2.other() {
            Some(Flags::other)
        } else {
            None
        };
        if let Some(class) = class {
            if cpt == ' ' {
                pos += 1;
            }
            while pos < end && class(f(pos)) {
                pos += 1;
            }
            out.push((from, pos));
            continue;
        }
        let mut ws = 0;
        while f(pos + ws).whitespace {
            ws += 1;
        }
        if ws > 1 && c(pos + ws).is_some() {
            // `\s+(?!\S)`: leave the last whitespace for the next piece.
            pos += ws - 1;
            out.push((from, pos));
            continue;
        }
        if ws > 0 {
            pos += ws;
            out.push((from, pos));
            continue;
        }
        pos += 1;
        out.push((from, pos));
    }
}

/// llama.cpp's hand-written equivalent of the Llama 3 pattern
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
fn llama3_split(chars: &[char], flags: &[Flags], out: &mut Vec<(usize, usize)>) {
    let end = chars.len();
    let none = Flags::default();
    let f = |i: usize| if i < end { flags[i] } else { none };
    let c = |i: usize| if i < end { Some(chars[i]) } else { None };
    let lower = |i: usize| c(i).map(|ch| ch.to_ascii_lowercase());
    let is_crlf = |ch: Option<char>| matches!(ch, Some('\r' | '\n'));
    let mut pos = 0;
    while pos < end {
        let from = pos;
        let cpt = chars[pos];
        let fl = flags[pos];
        if cpt == '\'' && pos + 1 < end {
            let n1 = lower(pos + 1);
            if matches!(n1, Some('s' | 't' | 'm' | 'd')) {
                out.push((from, pos + 2));
                pos += 2;
                continue;
            }
            if pos + 2 < end
                && matches!(
                    (n1, lower(pos + 2)),
                    (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l'))
                )
            {
                out.push((from, pos + 3));
                pos += 3;
                continue;
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if !(cpt == '\r' || cpt == '\n' || fl.number) && (fl.letter || f(pos + 1).letter) {
            pos += 1;
            while f(pos).letter {
                pos += 1;
            }
            out.push((from, pos));
            continue;
        }
        // \p{N}{1,3}
        if fl.number {
            let mut ini = pos;
            while f(pos).number {
                pos += 1;
                if pos - ini >= 3 {
                    out.push((ini, pos));
                    ini = pos;
                }
            }
            if pos > ini {
                out.push((ini, pos));
            }
            continue;
        }
        // <space>?[^\s\p{L}\p{N}]+[\r\n]*
        let mut f2 = if cpt == ' ' { f(pos + 1) } else { fl };
        let other = |x: Flags| !(x.whitespace || x.letter || x.number);
        if other(f2) && fl.assigned {
            if cpt == ' ' {
                pos += 1;
            }
            while other(f2) && f2.assigned {
                pos += 1;
                f2 = f(pos);
            }
            while is_crlf(c(pos)) {
                pos += 1;
            }
            out.push((from, pos));
            continue;
        }
        let mut ws = 0;
        let mut last_crlf_end = 0;
        while f(pos + ws).whitespace {
            if is_crlf(c(pos + ws)) {
                last_crlf_end = pos + ws + 1;
            }
            ws += 1;
        }
        // \s*[\r\n]+
        if last_crlf_end > 0 {
            pos = last_crlf_end;
            out.push((from, pos));
            continue;
        }
        // \s+(?!\S)
        if ws > 1 && c(pos + ws).is_some() {
            pos += ws - 1;
            out.push((from, pos));
            continue;
        }
        if ws > 0 {
            pos += ws;
            out.push((from, pos));
            continue;
        }
        pos += 1;
        out.push((from, pos));
    }
}

/// Turns a stream of token ids into text, holding back bytes until they complete
/// a UTF-8 character (a token may end in the middle of one).
pub struct StreamDecoder<'a> {
    tokenizer: &'a Tokenizer,
    pending: Vec<u8>,
}

impl StreamDecoder<'_> {
    /// Adds one token; returns the text it completes, if any.
    pub fn push(&mut self, id: u32) -> Option<String> {
        self.tokenizer.token_bytes(id, false, &mut self.pending);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    break;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // The prefix is valid UTF-8 by construction.
                    out.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // Incomplete character at the end: wait for more bytes.
                        None => {
                            self.pending.drain(..valid);
                            break;
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// Flushes bytes still held back (an incomplete character becomes U+FFFD).
    pub fn finish(&mut self) -> Option<String> {
        if self.pending.is_empty() {
            return None;
        }
        let s = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        Some(s)
    }
}
