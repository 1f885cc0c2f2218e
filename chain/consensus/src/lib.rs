//! Infernet consensus: the rules that decide which blocks are valid and what they do.
//!
//! This crate owns (see `specs/protocol.md` and `specs/consensus.md`):
//! - stateless checks of headers, blocks and transactions ([`check_header`],
//!   [`check_tx_stateless`]);
//! - the state transition [`apply_block`]`(view, block, context) -> StateDelta`, which reads
//!   state only through the [`StateView`] trait and returns the changes with their undo values;
//! - proof of work, the ASERT difficulty rule, chain work and fork choice ([`pow`]);
//! - the state root: an LtHash accumulator whose per-block cost follows the changes
//!   ([`StateAccumulator`]);
//! - block production helpers for the node ([`build_block`], [`genesis_block`], [`mine`]);
//! - [`MemoryState`], an in-memory state for tests and tools.
//!
//! It leaves to others: storage (which implements [`StateView`] and keeps the deltas as undo
//! data), the clock (callers pass `now` in the [`BlockContext`]), the network, and ordering of
//! pending transactions. No I/O, no clock, no randomness, no floats; every amount operation is
//! checked. Every rule is an error variant ([`BlockError`], [`TxError`]) whose doc names its
//! rule id.

pub mod accumulator;
pub mod builder;
pub mod context;
pub mod error;
pub mod pow;
pub mod state;
pub mod transition;
pub mod u256;
pub mod validate;

pub use accumulator::StateAccumulator;
pub use builder::{BlockTemplate, apply_genesis, build_block, genesis_block, mine};
pub use context::{BlockContext, ParentInfo, median_time_past, required_target};
pub use error::{BlockError, StateError, TxError};
pub use pow::{block_work, cumulative_work, is_better_chain};
pub use state::{MemoryState, StateDelta, StateView};
pub use transition::{apply_block, check_tx, evidence_report_data, total_supply};
pub use u256::U256;
pub use validate::{CheckedTx, check_field_limits, check_header, check_tx_stateless};

/// The chain work proved by a header's target (`specs/consensus.md` §5).
pub fn header_work(header: &infernet_types::Header) -> U256 {
    block_work(U256::from_be_bytes(header.target.0))
}
