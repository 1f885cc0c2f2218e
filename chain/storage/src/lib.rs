//! Infernet rocksdb storage: atomic block commit, undo data, reorgs and indexes.
//!
//! This crate owns the node's chain database (`specs/storage.md`): rocksdb column families
//! for headers, bodies, the main-chain index, the state, per-block undo data, the transaction
//! index, the record-owner index and the record history index. It commits each block in one synced write batch, undoes
//! blocks atomically for reorgs of any depth the undo data covers, stores side-branch blocks
//! with their cumulative work, and implements the consensus crate's [`StateView`] over the
//! stored state. On open it checks that tip, index, state root and undo data agree, and
//! refuses to start otherwise.
//!
//! It makes no consensus decisions: the state changes of a block come from the consensus
//! crate's `apply_block` (handed in by the caller), and fork choice is the caller's.
//!
//! [`StateView`]: infernet_consensus::state::StateView

mod db;
mod error;
mod history;
mod records;
mod store;

pub use db::SCHEMA_VERSION;
pub use error::{Inconsistency, StorageError};
pub use history::{RecordEvent, RecordEventKind};
pub use store::{
    BlockInfo, CHECK_DEPTH, DisconnectedBlock, PendingState, ReorgOutcome, Store, TipInfo,
    TxLocation,
};
