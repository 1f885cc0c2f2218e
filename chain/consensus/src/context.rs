//! What a block is validated against besides the state: the chain spec, the parent, the
//! median time past and the caller's clock reading ([`BlockContext`]); and the helpers that
//! compute the required target and the median time past.

use infernet_crypto::Hash;
use infernet_types::{ChainSpec, Header, Height};

use crate::pow::{AsertParams, asert_next_target};
use crate::u256::U256;

/// How many past timestamps the median time past covers.
pub const MEDIAN_TIME_SPAN: usize = 11;
/// How far (seconds) a timestamp may be ahead of the `now` passed in.
pub const MAX_FUTURE_DRIFT_SECS: u64 = 120;

/// The facts about the parent block that validation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentInfo {
    /// The parent's block hash.
    pub hash: Hash,
    /// The parent's height.
    pub height: Height,
    /// The parent's timestamp.
    pub timestamp: u64,
}

impl ParentInfo {
    /// The parent facts of `header`.
    pub fn of(header: &Header) -> Self {
        ParentInfo {
            hash: header.hash(),
            height: header.height,
            timestamp: header.timestamp,
        }
    }
}

/// Everything besides the state that a block is checked against. Built by the caller, which
/// owns the clock and the chain index; the rules never read either themselves.
#[derive(Debug, Clone, Copy)]
pub struct BlockContext<'a> {
    /// The chain's parameters.
    pub spec: &'a ChainSpec,
    /// The block's parent.
    pub parent: ParentInfo,
    /// Median of the timestamps of the last (up to) 11 blocks ending at the parent.
    pub median_time_past: u64,
    /// The caller's current time, unix seconds (for R-008).
    pub now: u64,
}

impl<'a> BlockContext<'a> {
    /// A context for the child of `parent`, where `recent_timestamps` are the timestamps of
    /// the last blocks ending at the parent (any order; only the last 11 are used; must not
    /// be empty, an empty slice counts as the parent's timestamp alone).
    pub fn new(spec: &'a ChainSpec, parent: &Header, recent_timestamps: &[u64], now: u64) -> Self {
        let median = if recent_timestamps.is_empty() {
            parent.timestamp
        } else {
            median_time_past(recent_timestamps)
        };
        BlockContext {
            spec,
            parent: ParentInfo::of(parent),
            median_time_past: median,
            now,
        }
    }

    /// The target the child of the parent must carry.
    pub fn required_target(&self) -> U256 {
        required_target(self.spec, self.parent.height, self.parent.timestamp)
    }

    /// The child's height.
    pub fn height(&self) -> Height {
        self.parent.height.saturating_add(1)
    }
}

/// The median of the last (up to) [`MEDIAN_TIME_SPAN`] timestamps of `timestamps` (the slice
/// ends at the parent): sorted ascending, the element at index `len / 2`. Zero for an empty
/// slice.
pub fn median_time_past(timestamps: &[u64]) -> u64 {
    let start = timestamps.len().saturating_sub(MEDIAN_TIME_SPAN);
    let mut window: Vec<u64> = timestamps[start..].to_vec();
    window.sort_unstable();
    window.get(window.len() / 2).copied().unwrap_or(0)
}

/// The ASERT parameters of a chain spec (anchor: genesis).
pub fn asert_params(spec: &ChainSpec) -> AsertParams {
    AsertParams {
        anchor_target: U256::from_be_bytes(spec.genesis.target.0),
        anchor_timestamp: spec.genesis.timestamp,
        anchor_height: 0,
        block_time_secs: spec.block_time_secs,
        half_life_secs: spec.asert_half_life_secs,
        max_target: U256::from_be_bytes(spec.pow_limit.0),
    }
}

/// The target required of the child of a parent at `parent_height` / `parent_timestamp`
/// ASERT anchored at genesis, or the genesis target on a dev chain.
pub fn required_target(spec: &ChainSpec, parent_height: Height, parent_timestamp: u64) -> U256 {
    let params = asert_params(spec);
    if spec.dev {
        return params.anchor_target;
    }
    asert_next_target(&params, parent_height, parent_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_window() {
        assert_eq!(median_time_past(&[5]), 5);
        assert_eq!(median_time_past(&[3, 1, 2]), 2);
        assert_eq!(median_time_past(&[1, 2, 3, 4]), 3);
        // Only the last 11 count: the leading 100s are outside the window.
        let mut ts = vec![100, 100, 100];
        ts.extend(1..=11);
        assert_eq!(median_time_past(&ts), 6);
        assert_eq!(median_time_past(&[]), 0);
    }
}
