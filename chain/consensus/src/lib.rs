//! Infernet consensus: the rules that decide which blocks are valid and what they do.
//!
//! This crate owns (see `specs/protocol.md` and `specs/consensus.md`):
//! - stateless checks of headers, blocks and transactions ([`check_header`],
//!   [`check_tx_stateless`]);
//! - the state transition [`apply_block`]`(view, block, context) -> StateDelta`, which reads
//!   state only through the [`StateView`] trait and returns the changes with their undo values;
//! - each transaction kind's rules and effects, one module per kind behind [`TxRules`]
//!   ([`kinds`]), on typed state access ([`typed_state`]) through the [`executor`];
//! - proof of work, the ASERT difficulty rule, chain work and fork choice ([`pow`]);
//! - the state root: an LtHash accumulator whose per-block cost follows the changes
//!   ([`StateAccumulator`]);
//! - block production helpers for the node ([`build_block`], [`genesis_block`], [`mine`]);
//! - [`MemoryState`], an in-memory state for tests and tools.
//!
//! A chain in a few lines (what the node does, minus storage and networking):
//!
//! ```
//! use infernet_consensus::{BlockContext, MemoryState, apply_block, build_block, genesis_block, mine};
//! use infernet_types::ChainSpec;
//!
//! let spec = ChainSpec::dev();
//! let (genesis, delta) = genesis_block(&spec)?;
//! let mut state = MemoryState::new();
//! state.apply(&delta);
//! let parent = genesis.header;
//! let ctx = BlockContext::new(&spec, &parent, &[parent.timestamp], parent.timestamp + 10);
//! let recipient = infernet_crypto::Address::from_bytes([1; 32]);
//! let mut template = build_block(&state, &ctx, parent.timestamp + 2, recipient, Vec::new())?;
//! assert!(mine(&mut template.block.header, 1_000)); // trivial on the dev chain
//! let delta = apply_block(&state, &template.block, &ctx)?; // what every node checks
//! state.apply(&delta);
//! assert_eq!(state.state_root(), template.block.header.state_root);
//! # Ok::<(), infernet_consensus::BlockError>(())
//! ```
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
pub mod executor;
pub mod kinds;
pub mod pow;
pub mod state;
pub mod transition;
pub mod typed_state;
pub mod u256;
pub mod validate;

pub use accumulator::StateAccumulator;
pub use builder::{BlockTemplate, apply_genesis, build_block, genesis_block, mine};
pub use context::{BlockContext, ParentInfo, median_time_past, required_target};
pub use error::{BlockError, StateError, TxError};
pub use kinds::{TxEnv, TxRules};
pub use pow::{block_work, cumulative_work, is_better_chain};
pub use state::{MemoryState, StateDelta, StateView};
pub use transition::{apply_block, check_tx, evidence_report_data, total_supply};
pub use u256::U256;
pub use validate::{CheckedTx, check_field_limits, check_header, check_tx_stateless};

/// The chain work proved by a header's target (`specs/consensus.md` §5).
pub fn header_work(header: &infernet_types::Header) -> U256 {
    block_work(U256::from_be_bytes(header.target.0))
}
