//! The generation loop: prefill, then sample / decode token by token until an
//! end-of-generation token, a stop string, the token limit, or cancellation.
//!
//! This module owns the loop's rules and its timings; the model computes logits, the
//! sampler picks tokens, the tokenizer turns them into text. Streaming: after every
//! generated token the callback receives the token id and the text that became final
//! with it. Text that could be the beginning of a stop string is held back until it is
//! known not to be one, so a stop string never reaches the callback; an
//! end-of-generation token is neither streamed nor returned.
//!
//! Cancellation is cooperative: the flag is checked before every decode step, and the
//! callback can stop the loop by returning [`ControlFlow::Break`].

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::model::{Llama, ModelError};
use crate::sampler::{Sampler, SamplingParams};
use crate::tokenizer::Tokenizer;

/// What to generate and when to stop.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationParams {
    /// Most tokens to generate (the end-of-generation token is not counted).
    pub max_tokens: usize,
    /// How the next token is chosen.
    pub sampling: SamplingParams,
    /// Generation stops when the text contains one of these; the text is cut before it.
    pub stop_strings: Vec<String>,
    /// Stop on the model's end-of-generation tokens (EOS, `<|im_end|>`, …).
    pub stop_at_eog: bool,
}

impl Default for GenerationParams {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            sampling: SamplingParams::greedy(),
            stop_strings: Vec::new(),
            stop_at_eog: true,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The model produced an end-of-generation token.
    EndOfGeneration,
    /// The text reached one of the stop strings.
    StopString,
    /// `max_tokens` tokens were generated.
    Length,
    /// The model's context length was reached.
    ContextFull,
    /// The cancellation flag was set or the callback asked to stop.
    Cancelled,
}

impl FinishReason {
    /// Stable lowercase name used in JSON output: `stop` (end-of-generation token or
    /// stop string), `length`, `context_full`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndOfGeneration | Self::StopString => "stop",
            Self::Length => "length",
            Self::ContextFull => "context_full",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The result of one generation.
#[derive(Clone, PartialEq)]
pub struct GenerationOutput {
    /// Number of prompt tokens processed by the prefill.
    pub prompt_tokens: usize,
    /// Generated token ids (without the end-of-generation token).
    pub tokens: Vec<u32>,
    /// Generated text (cut before a stop string when one was reached).
    pub text: String,
    /// Why generation ended.
    pub finish_reason: FinishReason,
    /// Time of the prefill (the prompt's forward pass up to the first logits).
    pub prefill_time: Duration,
    /// Time spent in decode forward passes.
    pub decode_time: Duration,
    /// Number of decode forward passes (single-token steps).
    pub decode_steps: usize,
}

impl GenerationOutput {
    /// Prompt tokens per second of prefill (0 when nothing was timed).
    pub fn prefill_tokens_per_s(&self) -> f64 {
        rate(self.prompt_tokens, self.prefill_time)
    }

    /// Decode steps per second (0 when no step ran).
    pub fn decode_tokens_per_s(&self) -> f64 {
        rate(self.decode_steps, self.decode_time)
    }
}

impl std::fmt::Debug for GenerationOutput {
    // No text and no ids: they are the user's plaintext.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenerationOutput")
            .field("prompt_tokens", &self.prompt_tokens)
            .field("generated_tokens", &self.tokens.len())
            .field("finish_reason", &self.finish_reason)
            .field("prefill_time", &self.prefill_time)
            .field("decode_time", &self.decode_time)
            .finish_non_exhaustive()
    }
}

fn rate(n: usize, t: Duration) -> f64 {
    let s = t.as_secs_f64();
    if n == 0 || s <= 0.0 {
        0.0
    } else {
        n as f64 / s
    }
}

/// Errors of the generation loop.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The prompt has no tokens.
    #[error("the prompt is empty: at least one token is needed")]
    EmptyPrompt,
    /// The model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Holds back text that may be the start of a stop string.
struct StopMatcher<'a> {
    stops: &'a [String],
    /// Text released to the caller.
    text: String,
    /// Text not yet released.
    pending: String,
}

impl<'a> StopMatcher<'a> {
    fn new(stops: &'a [String]) -> Self {
        Self {
            stops,
            text: String::new(),
            pending: String::new(),
        }
    }

    /// Adds `piece`; returns the text released now and whether a stop string matched.
    fn push(&mut self, piece: &str) -> (String, bool) {
        self.pending.push_str(piece);
        let full_len = self.text.len() + self.pending.len();
        let full = format!("{}{}", self.text, self.pending);
        // Earliest stop string occurrence that ends inside the pending part.
        let search_from = {
            let longest = self.stops.iter().map(String::len).max().unwrap_or(0);
            let mut i = self.text.len().saturating_sub(longest);
            while !full.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let hit = self
            .stops
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| {
                full[search_from..]
                    .find(s.as_str())
                    .map(|p| p + search_from)
            })
            .min();
        if let Some(at) = hit {
            let released = if at > self.text.len() {
                full[self.text.len()..at].to_owned()
            } else {
                String::new()
            };
            // Released text is never taken back; a match starting inside it (impossible
            // while hold-back works) would cut at the release point.
            self.text = full[..at.max(self.text.len()).min(full_len)].to_owned();
            self.pending.clear();
            return (released, true);
        }
        // Longest suffix of the pending text that is a proper prefix of a stop string.
        let mut hold = 0;
        for s in self.stops {
            for k in (1..s.len()).rev() {
                if k <= self.pending.len()
                    && s.is_char_boundary(k)
                    && self.pending.ends_with(&s[..k])
                {
                    hold = hold.max(k);
                    break;
                }
            }
        }
        let cut = self.pending.len() - hold;
        let released: String = self.pending[..cut].to_owned();
        self.pending.drain(..cut);
        self.text.push_str(&released);
        (released, false)
    }

    /// Releases whatever is held back (generation ended without a stop string).
    fn flush(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.text.push_str(&rest);
        rest
    }
}

/// Generates a continuation of `prompt` (token ids) with `model`.
///
/// `on_token(id, text)` is called once per generated token with the text that became
/// final with it (possibly empty); returning `ControlFlow::Break(())` stops generation
/// with [`FinishReason::Cancelled`]. `cancel` is checked before every decode step.
pub fn generate(
    model: &Llama,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    params: &GenerationParams,
    mut on_token: impl FnMut(u32, &str) -> ControlFlow<()>,
    cancel: &AtomicBool,
) -> Result<GenerationOutput, GenerateError> {
    if prompt.is_empty() {
        return Err(GenerateError::EmptyPrompt);
    }
    let mut cache = model.new_cache();
    let mut sampler = Sampler::new(params.sampling);
    let mut decoder = tokenizer.stream_decoder();
    let mut stops = StopMatcher::new(&params.stop_strings);
    let mut tokens = Vec::new();
    let context = model.config().context_length;

    let t0 = Instant::now();
    let mut logits = model.forward(prompt, &mut cache)?;
    let prefill_time = t0.elapsed();
    let mut decode_time = Duration::ZERO;
    let mut decode_steps = 0usize;

    let mut finish_reason = loop {
        if tokens.len() >= params.max_tokens {
            break FinishReason::Length;
        }
        if cancel.load(Ordering::Relaxed) {
            break FinishReason::Cancelled;
        }
        let tok = sampler.sample(&logits);
        if params.stop_at_eog && tokenizer.is_end_of_generation(tok) {
            break FinishReason::EndOfGeneration;
        }
        tokens.push(tok);
        let piece = decoder.push(tok).unwrap_or_default();
        let (released, stopped) = stops.push(&piece);
        let flow = on_token(tok, &released);
        if stopped {
            break FinishReason::StopString;
        }
        if flow.is_break() {
            break FinishReason::Cancelled;
        }
        if tokens.len() >= params.max_tokens {
            break FinishReason::Length;
        }
        if cache.len() >= context {
            break FinishReason::ContextFull;
        }
        if cancel.load(Ordering::Relaxed) {
            break FinishReason::Cancelled;
        }
        let t = Instant::now();
        logits = model.forward(&[tok], &mut cache)?;
        decode_time += t.elapsed();
        decode_steps += 1;
    };
    if finish_reason != FinishReason::StopString {
        // Bytes of an incomplete UTF-8 sequence left in the decoder, then any text held
        // back for a stop string that never completed.
        let mut tail = String::new();
        if let Some(rest) = decoder.finish() {
            let (released, stopped) = stops.push(&rest);
            tail.push_str(&released);
            if stopped {
                finish_reason = FinishReason::StopString;
            }
        }
        if finish_reason != FinishReason::StopString {
            tail.push_str(&stops.flush());
        }
        if !tail.is_empty()
            && let Some(&last) = tokens.last()
        {
            // Text held back for a stop string that never came belongs to the last token.
            let _ = on_token(last, &tail);
        }
    }
    Ok(GenerationOutput {
        prompt_tokens: prompt.len(),
        tokens,
        text: stops.text,
        finish_reason,
        prefill_time,
        decode_time,
        decode_steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (Vec<String>, String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| (*s).to_owned()).collect();
        let mut m = StopMatcher::new(&stops);
        let mut out = Vec::new();
        for p in pieces {
            let (r, hit) = m.push(p);
            out.push(r);
            if hit {
                return (out, m.text, true);
            }
        }
        m.flush();
        (out, m.text, false)
    }

    #[test]
    fn stop_string_split_across_pieces_is_never_released() {
        let (out, text, hit) = run(&["</s>"], &["Hello", " wor", "ld<", "/s", ">tail"]);
        assert!(hit);
        assert_eq!(text, "Hello world");
        assert_eq!(out.concat(), "Hello world");
        assert!(out.iter().all(|p| !p.contains('<')));
    }

    #[test]
    fn near_miss_is_released_later() {
        let (out, text, hit) = run(&["STOP"], &["ab", "ST", "OX", "!"]);
        assert!(!hit);
        assert_eq!(text, "abSTOX!");
        assert_eq!(out, vec!["ab", "", "STOX", "!"]);
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        let (_, text, hit) = run(&["cd", "b"], &["abcd"]);
        assert!(hit);
        assert_eq!(text, "a");
    }

    #[test]
    fn no_stops_releases_everything_at_once() {
        let (out, text, hit) = run(&[], &["é", "ü"]);
        assert!(!hit);
        assert_eq!(out, vec!["é", "ü"]);
        assert_eq!(text, "éü");
    }
}
