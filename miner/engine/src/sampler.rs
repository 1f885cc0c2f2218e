//! Token sampling: greedy argmax and seeded temperature / top-k / top-p sampling.
//!
//! This module owns the choice of the next token from a row of logits. It is pure
//! and backend-independent (it works on `&[f32]`), so every rule is unit-tested.
//!
//! Rules, in order:
//! - temperature `<= 0` (or not finite) means **greedy**: the index of the largest
//!   logit, the lowest index on ties, NaN logits ignored;
//! - otherwise candidates are ordered by logit (descending, ties by lower id), cut to
//!   the `top_k` best when `top_k > 0`, turned into probabilities with
//!   `softmax(logit / temperature)`, cut to the smallest prefix whose probability mass
//!   is `>= top_p` (always at least one token), and one is drawn with a
//!   [`rand_chacha::ChaCha8Rng`] seeded from the request's `seed` with
//!   `SeedableRng::seed_from_u64`. One draw consumes one `u64` from the stream and
//!   maps it to a uniform `f64` in `[0, 1)` from its top 53 bits; the token is the
//!   first candidate whose cumulative (renormalised) mass exceeds it.
//!
//! Same seed, same logits ⇒ same tokens, on every platform.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingParams {
    /// Softmax temperature; `<= 0` selects greedy decoding.
    pub temperature: f32,
    /// Keep only the `top_k` most likely tokens; `0` disables the cut.
    pub top_k: usize,
    /// Nucleus sampling: keep the smallest set of tokens whose mass is `>= top_p`;
    /// `>= 1` disables the cut.
    pub top_p: f32,
    /// Seed of the ChaCha8 stream that draws the tokens.
    pub seed: u64,
}

impl SamplingParams {
    /// Greedy decoding (argmax).
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            seed: 0,
        }
    }

    /// Whether these parameters select greedy decoding.
    pub fn is_greedy(&self) -> bool {
        !(self.temperature.is_finite() && self.temperature > 0.0)
    }
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self::greedy()
    }
}

/// Index of the largest logit; the lowest index wins ties and NaN is never chosen
/// (an all-NaN or empty row gives `0`).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0usize;
    let mut best_value = f32::NEG_INFINITY;
    let mut found = false;
    for (i, &v) in logits.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if !found || v > best_value {
            best = i;
            best_value = v;
            found = true;
        }
    }
    u32::try_from(best).unwrap_or(u32::MAX)
}

/// The candidates that survive the top-k and top-p cuts, with their renormalised
/// probabilities, most likely first (ties by lower id).
///
/// `top_k == 0` and `top_p >= 1` disable the respective cut. The result always holds
/// at least one candidate when `logits` has a non-NaN entry.
pub fn candidates(logits: &[f32], temperature: f32, top_k: usize, top_p: f32) -> Vec<(u32, f32)> {
    let mut cand: Vec<(u32, f32)> = logits
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .map(|(i, &v)| (u32::try_from(i).unwrap_or(u32::MAX), v))
        .collect();
    if cand.is_empty() {
        return cand;
    }
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if top_k > 0 && top_k < cand.len() {
        cand.select_nth_unstable_by(top_k - 1, order);
        cand.truncate(top_k);
    }
    cand.sort_unstable_by(order);

    let t = if temperature.is_finite() && temperature > 0.0 {
        temperature
    } else {
        1.0
    };
    let max = cand[0].1;
    let mut sum = 0.0f64;
    let mut probs: Vec<f64> = cand
        .iter()
        .map(|&(_, v)| {
            let p = (f64::from(v - max) / f64::from(t)).exp();
            sum += p;
            p
        })
        .collect();
    for p in &mut probs {
        *p /= sum;
    }

    let mut keep = probs.len();
    if top_p < 1.0 {
        let target = f64::from(top_p.max(0.0));
        let mut mass = 0.0f64;
        for (i, p) in probs.iter().enumerate() {
            mass += p;
            if mass >= target {
                keep = i + 1;
                break;
            }
        }
    }
    let kept_mass: f64 = probs[..keep].iter().sum();
    cand.truncate(keep);
    cand.iter()
        .zip(probs)
        .map(|(&(id, _), p)| (id, (p / kept_mass) as f32))
        .collect()
}

/// Chooses tokens from logits according to [`SamplingParams`]; holds the RNG state.
pub struct Sampler {
    params: SamplingParams,
    rng: ChaCha8Rng,
}

impl Sampler {
    /// A sampler whose random stream starts from `params.seed`.
    pub fn new(params: SamplingParams) -> Self {
        Self {
            params,
            rng: ChaCha8Rng::seed_from_u64(params.seed),
        }
    }

    /// The parameters this sampler was built with.
    pub fn params(&self) -> &SamplingParams {
        &self.params
    }

    /// Chooses the next token from one row of logits.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        if self.params.is_greedy() {
            return argmax(logits);
        }
        let cand = candidates(
            logits,
            self.params.temperature,
            self.params.top_k,
            self.params.top_p,
        );
        let Some(&(first, _)) = cand.first() else {
            return 0;
        };
        // Top 53 bits of one u64 → uniform f64 in [0, 1).
        let u = (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let mut acc = 0.0f64;
        for &(id, p) in &cand {
            acc += f64::from(p);
            if u < acc {
                return id;
            }
        }
        // Rounding left a sliver above the last cumulative sum: take the last candidate.
        cand.last().map_or(first, |&(id, _)| id)
    }
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_lowest_index_on_ties_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax(&[f32::NAN, -1.0, -1.0]), 1);
        assert_eq!(argmax(&[-5.0]), 0);
    }

    #[test]
    fn greedy_params_take_argmax() {
        let mut s = Sampler::new(SamplingParams::greedy());
        assert_eq!(s.sample(&[0.0, 0.5, 9.0, 9.0]), 2);
    }

    #[test]
    fn seeded_sampling_is_reproducible_and_seed_dependent() {
        let logits: Vec<f32> = (0..100).map(|i| ((i * 37) % 11) as f32 * 0.3).collect();
        let params = SamplingParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            seed: 42,
        };
        let draw = |p: SamplingParams| {
            let mut s = Sampler::new(p);
            (0..64).map(|_| s.sample(&logits)).collect::<Vec<_>>()
        };
        let a = draw(params);
        assert_eq!(a, draw(params));
        assert_ne!(a, draw(SamplingParams { seed: 43, ..params }));
        // With a flat-ish distribution, 64 draws are not all the same token.
        assert!(a.iter().any(|&t| t != a[0]));
    }

    #[test]
    fn top_p_keeps_smallest_set_reaching_mass() {
        // probabilities 0.5, 0.25, 0.125, 0.125 (log-space logits)
        let logits = [0.5f32.ln(), 0.25f32.ln(), 0.125f32.ln(), 0.125f32.ln()];
        let c = candidates(&logits, 1.0, 0, 0.7);
        let ids: Vec<u32> = c.iter().map(|x| x.0).collect();
        assert_eq!(ids, vec![0, 1]);
        assert!((c[0].1 - 2.0 / 3.0).abs() < 1e-5);
        // Exactly reaching the mass stops there.
        let c = candidates(&logits, 1.0, 0, 0.75);
        assert_eq!(c.len(), 2);
        let c = candidates(&logits, 1.0, 0, 0.76);
        assert_eq!(c.len(), 3);
        // top_p tiny keeps one.
        assert_eq!(candidates(&logits, 1.0, 0, 0.0).len(), 1);
    }

    #[test]
    fn top_k_and_ties_order_by_lower_id() {
        let logits = [1.0, 2.0, 2.0, 0.0, 2.0];
        let c = candidates(&logits, 1.0, 2, 1.0);
        let ids: Vec<u32> = c.iter().map(|x| x.0).collect();
        assert_eq!(ids, vec![1, 2]);
        let total: f32 = c.iter().map(|x| x.1).sum();
        assert!((total - 1.0).abs() < 1e-5);
    }

    #[test]
    fn top_k_one_is_greedy() {
        let logits: Vec<f32> = (0..50).map(|i| (i as f32 * 0.7).sin()).collect();
        let mut s = Sampler::new(SamplingParams {
            temperature: 0.8,
            top_k: 1,
            top_p: 1.0,
            seed: 7,
        });
        for _ in 0..10 {
            assert_eq!(s.sample(&logits), argmax(&logits));
        }
    }

    #[test]
    fn sampling_frequencies_follow_probabilities() {
        let logits = [0.75f32.ln(), 0.25f32.ln()];
        let mut s = Sampler::new(SamplingParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            seed: 1,
        });
        let n = 4000;
        let zeros = (0..n).filter(|_| s.sample(&logits) == 0).count();
        let frac = zeros as f64 / n as f64;
        assert!((frac - 0.75).abs() < 0.03, "frac {frac}");
    }
}
