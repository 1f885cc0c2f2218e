//! Proof of work: the target check, chain work, the ASERT difficulty rule and fork choice.
//!
//! Everything here is integer arithmetic on [`U256`]; nothing reads a clock. The rules are
//! specified in `specs/consensus.md` (§ PoW, § Difficulty, § Fork choice).

use crate::u256::U256;

/// Fixed-point precision of the ASERT exponent: 16 fractional bits.
const ASERT_RADIX_BITS: u32 = 16;

/// The work a block with `target` proves: the expected number of hashes needed to find a
/// PoW hash at or below it, `floor(2^256 / (target + 1))`.
///
/// Computed as `(!target / (target + 1)) + 1`, which equals the formula for every target and
/// never needs 257 bits.
pub fn block_work(target: U256) -> U256 {
    if target == U256::MAX {
        return U256::ONE;
    }
    // target < MAX, so target + 1 neither overflows nor is zero.
    let denom = target.checked_add(U256::ONE).unwrap_or(U256::MAX);
    let q = target.complement().checked_div(denom).unwrap_or(U256::ZERO);
    q.saturating_add(U256::ONE)
}

/// Whether a PoW hash (read as a big-endian number) is at or below `target`.
pub fn pow_hash_meets_target(pow_hash: [u8; 32], target: U256) -> bool {
    U256::from_be_bytes(pow_hash) <= target
}

/// Parameters of the ASERT rule, taken from the chain spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsertParams {
    /// The anchor block's target (the genesis target).
    pub anchor_target: U256,
    /// The anchor block's timestamp (the genesis timestamp), unix seconds.
    pub anchor_timestamp: u64,
    /// The anchor block's height (0 for genesis).
    pub anchor_height: u64,
    /// The intended seconds between blocks.
    pub block_time_secs: u64,
    /// Seconds of schedule drift that double (or halve) the target.
    pub half_life_secs: u64,
    /// The easiest target the chain allows; results are clamped to `1..=max_target`.
    pub max_target: U256,
}

/// The target required of the child of a block at `parent_height` with `parent_timestamp`.
///
/// The absolutely scheduled exponential rule (Bitcoin Cash's aserti3-2d, anchored at
/// genesis): the parent should have appeared at
/// `anchor_timestamp + block_time × (parent_height − anchor_height)`; each `half_life` of
/// lateness doubles the target and each `half_life` of earliness halves it. The fractional
/// power of two is the aserti3-2d cubic approximation, so every implementation gets the same
/// bits. A zero half-life (a misconfigured spec) leaves the anchor target unchanged.
pub fn asert_next_target(params: &AsertParams, parent_height: u64, parent_timestamp: u64) -> U256 {
    if params.half_life_secs == 0 {
        return params.anchor_target.min(params.max_target);
    }
    let time_delta = i128::from(parent_timestamp) - i128::from(params.anchor_timestamp);
    let height_delta = i128::from(parent_height) - i128::from(params.anchor_height);
    let scheduled = i128::from(params.block_time_secs)
        .checked_mul(height_delta)
        .unwrap_or(i128::MAX);
    // Clamped far beyond any meaningful drift (the result saturates at 2^±256 long before),
    // so the fixed-point shift below cannot overflow whatever the spec's values.
    let limit = 1i128 << 100;
    let drift = time_delta.saturating_sub(scheduled).clamp(-limit, limit);
    let exponent = (drift << ASERT_RADIX_BITS).div_euclid(i128::from(params.half_life_secs));
    let shifts = exponent >> ASERT_RADIX_BITS; // floor
    let frac = (exponent & 0xffff) as u128;
    let factor: u128 = 65_536
        + ((195_766_423_245_049 * frac
            + 971_821_376 * frac * frac
            + 5_127 * frac * frac * frac
            + (1u128 << 47))
            >> 48);
    let next = scale(
        params.anchor_target,
        factor as u64,
        shifts - i128::from(ASERT_RADIX_BITS),
    );
    next.clamp(U256::ONE, params.max_target.max(U256::ONE))
}

/// `(value × factor) × 2^shift`, saturating at [`U256::MAX`], exact in 320 bits.
fn scale(value: U256, factor: u64, shift: i128) -> U256 {
    type U320 = ruint::Uint<320, 5>;
    // 256 bits times 64 bits fits 320 bits, so the product is exact.
    let product = U320::from_limbs_slice(value.0.as_limbs()).wrapping_mul(U320::from(factor));
    let significant = product.bit_len() as i128;
    let shifted = if shift >= 0 {
        if significant + shift > 256 {
            return U256::MAX;
        }
        // shift <= 256 here, so the cast is lossless.
        product << shift as usize
    } else {
        if -shift >= 320 {
            return U256::ZERO;
        }
        product >> (-shift) as usize
    };
    let limbs = shifted.as_limbs();
    if limbs[4] != 0 {
        return U256::MAX;
    }
    U256(ruint::aliases::U256::from_limbs([
        limbs[0], limbs[1], limbs[2], limbs[3],
    ]))
}

/// Fork choice: whether a candidate tip with `candidate_work` total chain work replaces the
/// current tip with `current_work`. Strictly more work wins; a tie keeps the block seen first.
pub fn is_better_chain(current_work: U256, candidate_work: U256) -> bool {
    candidate_work > current_work
}

/// Cumulative chain work after adding a block with `target` to a chain with `parent_work`.
pub fn cumulative_work(parent_work: U256, target: U256) -> U256 {
    parent_work.saturating_add(block_work(target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(anchor: U256) -> AsertParams {
        AsertParams {
            anchor_target: anchor,
            anchor_timestamp: 1_000_000,
            anchor_height: 0,
            block_time_secs: 60,
            half_life_secs: 3_600,
            max_target: U256::MAX.shift_right(8),
        }
    }

    #[test]
    fn work_of_known_targets() {
        assert_eq!(block_work(U256::MAX), U256::ONE);
        // target = 2^255 - 1 -> 2^256 / 2^255 = 2
        assert_eq!(block_work(U256::MAX.shift_right(1)), U256::from_u64(2));
        // target = 2^224 - 1 -> 2^32
        assert_eq!(
            block_work(U256::MAX.shift_right(32)),
            U256::from_u64(1 << 32)
        );
        assert_eq!(block_work(U256::ZERO), U256::MAX);
    }

    #[test]
    fn on_schedule_keeps_anchor_target() {
        let anchor = U256::ONE.shift_left(200);
        let p = params(anchor);
        assert_eq!(asert_next_target(&p, 0, p.anchor_timestamp), anchor);
        assert_eq!(asert_next_target(&p, 10, p.anchor_timestamp + 600), anchor);
    }

    #[test]
    fn one_half_life_late_doubles_and_early_halves() {
        let anchor = U256::ONE.shift_left(200);
        let p = params(anchor);
        let late = asert_next_target(&p, 10, p.anchor_timestamp + 600 + 3_600);
        assert_eq!(late, anchor.shift_left(1));
        let early = asert_next_target(&p, 10, p.anchor_timestamp + 600 - 3_600);
        assert_eq!(early, anchor.shift_right(1));
        // Half a half-life late: about sqrt(2) (the cubic approximation is within 0.013%).
        let half = asert_next_target(&p, 10, p.anchor_timestamp + 600 + 1_800);
        let ratio = half.shift_right(180).to_u128().unwrap();
        let expect = (1u128 << 20) * 14_142 / 10_000;
        assert!(
            ratio.abs_diff(expect) < expect / 1_000,
            "{ratio} vs {expect}"
        );
    }

    #[test]
    fn clamped_to_bounds() {
        let p = params(U256::ONE.shift_left(200));
        assert_eq!(asert_next_target(&p, 0, u64::MAX), p.max_target);
        assert_eq!(asert_next_target(&p, u64::MAX / 61, 0), U256::ONE);
        let dev = AsertParams {
            anchor_target: U256::MAX,
            max_target: U256::MAX,
            ..p
        };
        let absurd = AsertParams {
            block_time_secs: u64::MAX,
            half_life_secs: 1,
            ..p
        };
        assert_eq!(asert_next_target(&absurd, u64::MAX, 0), U256::ONE);
        assert_eq!(asert_next_target(&absurd, 0, u64::MAX), p.max_target);
        assert_eq!(
            asert_next_target(&dev, 5, dev.anchor_timestamp + 300),
            U256::MAX
        );
    }

    #[test]
    fn fork_choice_prefers_more_work_and_first_seen_on_ties() {
        let a = cumulative_work(U256::ZERO, U256::MAX.shift_right(10));
        let b = cumulative_work(U256::ZERO, U256::MAX.shift_right(11));
        assert!(is_better_chain(a, b));
        assert!(!is_better_chain(b, a));
        assert!(!is_better_chain(a, a));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn later_parent_never_lowers_target(h in 0u64..100_000, t in 0u64..10_000_000, dt in 0u64..100_000) {
            let p = params(U256::ONE.shift_left(220));
            let a = asert_next_target(&p, h, p.anchor_timestamp + t);
            let b = asert_next_target(&p, h, p.anchor_timestamp + t + dt);
            prop_assert!(b >= a);
        }

        #[test]
        fn pow_check_is_numeric_compare(h in any::<[u8; 32]>(), t in any::<[u8; 32]>()) {
            prop_assert_eq!(pow_hash_meets_target(h, U256::from_be_bytes(t)), h <= t);
        }
    }
}

#[cfg(test)]
mod spec_examples {
    //! The worked examples of `specs/consensus.md` §3 (testnet parameters).
    use super::*;

    fn testnet() -> AsertParams {
        AsertParams {
            anchor_target: U256::MAX.shift_right(20),
            anchor_timestamp: 1_767_225_600,
            anchor_height: 0,
            block_time_secs: 60,
            half_life_secs: 172_800,
            max_target: U256::MAX.shift_right(8),
        }
    }

    #[test]
    fn worked_examples() {
        let p = testnet();
        let t = |h: u64, dt: u64| asert_next_target(&p, h, p.anchor_timestamp + dt).to_string();
        let ones = |prefix: &str, last: char| {
            let mut s = prefix.to_owned();
            while s.len() < 63 {
                s.push('f');
            }
            s.push(last);
            s
        };
        // On schedule: the anchor target.
        assert_eq!(t(100, 6_000), ones("00000", 'f'));
        // Half a half-life late: factor 92681/65536 (about sqrt 2).
        assert_eq!(t(100, 6_000 + 86_400), ones("000016a01", 'e'));
        // 3,000 s early: exponent = -3000 * 65536 / 172800, floored.
        assert_eq!(t(100, 3_000), ones("00000fcf1", 'f'));
        // One half-life late: exactly twice the anchor.
        assert_eq!(t(1_000, 60_000 + 172_800), ones("00001", 'e'));
    }
}
